"""``POST /wc/v3/orders``: an order created over REST as ``WC_REST_Orders_Controller``
does it — ``created_via`` ``rest-api``, line items priced from the product (by
``product_id``, ``variation_id`` or ``sku``), totals computed by the shop's own rules
(:meth:`OrderGenerator.assemble`, the same code checkout orders use), billing and shipping
kept verbatim, ``set_paid`` running ``payment_complete`` (status, ``date_paid``, stock
reduction), ``order.created`` fired, ``201`` with ``Location``."""

from __future__ import annotations

import string
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web

from fakeshop.customers import BILLING_FIELDS, SHIPPING_FIELDS, address, is_email
from fakeshop.errors import WooError, invalid_param
from fakeshop.generator.cart import CartLine, FeeSpec
from fakeshop.generator.order import PAYMENT_TITLES, OrderSpec, ShippingSpec
from fakeshop.orders_model import ORDER_STATUSES, STATUS_LABELS, change_status, upsert_meta
from fakeshop.products_model import refresh_price
from fakeshop.rest.common import API_PREFIX, body, require, shop, wp_json
from fakeshop.rest.orders import render
from fakeshop.stock import count_sales, on_status_change
from fakeshop.store import ShopState
from fakeshop.wp_types import wp_integer
from sapchaos.catalog import Product

#: statuses ``payment_complete`` accepts (``woocommerce_valid_order_statuses_for_payment_complete``)
PAYABLE = ("on-hold", "pending", "failed", "cancelled")
ITEM_LISTS = ("line_items", "shipping_lines", "fee_lines", "coupon_lines", "meta_data")


def _objects(data: dict[str, Any], name: str) -> list[dict[str, Any]]:
    value = data.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise invalid_param(**{name: f"{name} is not of type array."})
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise invalid_param(**{name: f"{name}[{i}] is not of type object."})
    return value


def _text(data: dict[str, Any], name: str, default: str = "") -> str:
    value = data.get(name)
    if value is None:
        return default
    if isinstance(value, dict | list):
        raise invalid_param(**{name: f"{name} is not of type string."})
    return str(value)


def _money(value: Any, name: str) -> Decimal:
    try:
        amount = Decimal(str(value if value not in (None, "") else "0"))
    except InvalidOperation as exc:
        raise invalid_param(**{name: f"{name} is not of type string."}) from exc
    if not amount.is_finite():
        raise invalid_param(**{name: f"{name} is not of type string."})
    return amount


def _address(data: dict[str, Any], name: str, fields: tuple[str, ...]) -> dict[str, str]:
    raw = data.get(name)
    if raw is None:
        return address({}, fields)
    if not isinstance(raw, dict):
        raise invalid_param(**{name: f"{name} is not of type object."})
    for key, value in raw.items():
        if isinstance(value, dict | list):
            raise invalid_param(**{name: f"{name}[{key}] is not of type string."})
    email = raw.get("email")
    if "email" in fields and email not in (None, "") and not is_email(str(email)):
        raise invalid_param(**{name: "Invalid email address."})
    return address(raw, fields)


def _line(state: ShopState, item: dict[str, Any], i: int) -> tuple[CartLine, dict[str, Any]]:
    """``get_product_id`` then ``prepare_line_items``: the product's current price."""
    sku = item.get("sku")
    pid_raw, var_raw = item.get("product_id"), item.get("variation_id")
    if sku not in (None, ""):
        pid = state.id_by_sku(str(sku))
    elif pid_raw not in (None, "", 0, "0") and var_raw in (None, "", 0, "0"):
        pid = wp_integer(pid_raw) or 0
    elif var_raw not in (None, "", 0, "0"):
        pid = wp_integer(var_raw) or 0
    else:
        raise WooError("required_product_reference")
    prod = state.sellable(pid)
    if prod is None or prod.get("type") == "variable":
        raise WooError("invalid_line_product")
    qty_raw = item.get("quantity", 1)
    qty = wp_integer(qty_raw)
    if qty is None:
        raise invalid_param(line_items=f"line_items[{i}][quantity] is not of type integer.")
    if qty < 1:
        # fakeshop refuses what real WooCommerce would store as a zero or negative line
        raise invalid_param(line_items=f"line_items[{i}][quantity] must be greater than 0.")
    refresh_price(state, prod)
    slug = str(prod.get("tax_class", ""))
    if slug == "parent":  # a variation inherits its parent's tax class
        slug = str(state.products.get(int(prod.get("parent_id") or 0), {}).get("tax_class", ""))
    try:
        rate = state.catalog.tax_class(slug)
    except KeyError as exc:
        raise WooError("invalid_line_product") from exc
    product = Product(
        id=int(prod["id"]),
        sku=str(prod.get("sku", "")),
        name=str(prod.get("name", "")),
        price=_money(prod.get("price"), "price"),
        tax_class=rate.slug,
        stock={},
    )
    return CartLine(product, qty, rate), prod


def _coupon(state: ShopState, items: list[dict[str, Any]]) -> Any:
    """``apply_coupon`` for the one coupon the shop's cart rules compute."""
    builder = state.order_builder
    found = None
    for item in items:
        code = _text(item, "code").strip().lower()  # wc_format_coupon_code
        if not code:
            raise WooError("coupon_code_required")
        match = next((c for c in builder.coupons if c.code.lower() == code), None)
        if match is None:
            raise WooError("invalid_coupon", {"code": code})
        if found is not None and found.code != match.code:
            raise invalid_param(coupon_lines="fakeshop applies at most one coupon per order.")
        found = match
    return found


def build_order(state: ShopState, data: dict[str, Any], oid: int, ts: float) -> dict[str, Any]:
    """The order resource a REST create makes from ``data`` (raises :class:`WooError`)."""
    if data.get("id") not in (None, "", 0, "0"):
        raise WooError("exists", {"type": "shop_order"})
    for name in ITEM_LISTS:
        _objects(data, name)
    status = _text(data, "status", "pending")
    if status not in ORDER_STATUSES:
        raise invalid_param(status=f"status is not one of {', '.join(ORDER_STATUSES)}.")
    customer_id = wp_integer(data.get("customer_id", 0) or 0)
    if customer_id is None:
        raise invalid_param(customer_id="customer_id is not of type integer.")
    if customer_id != 0 and customer_id not in state.customers:
        raise WooError("invalid_customer_id")
    billing = _address(data, "billing", BILLING_FIELDS)
    shipping = _address(data, "shipping", SHIPPING_FIELDS)
    pairs = [_line(state, item, i) for i, item in enumerate(_objects(data, "line_items"))]
    ships = [
        ShippingSpec(
            title=_text(s, "method_title"),
            method_id=_text(s, "method_id"),
            cost=_money(s.get("total"), "shipping_lines"),
            instance_id=_text(s, "instance_id", "0"),
        )
        for s in _objects(data, "shipping_lines")
    ]
    fees = [
        FeeSpec(
            name=_text(f, "name"),
            amount=_money(f.get("total"), "fee_lines"),
            tax_class=_text(f, "tax_class"),
            taxable=_text(f, "tax_status", "taxable") != "none",
        )
        for f in _objects(data, "fee_lines")
    ]
    for f in fees:
        try:
            state.catalog.tax_class(f.tax_class)
        except KeyError as exc:
            raise invalid_param(
                fee_lines=f"fee_lines tax_class {f.tax_class!r} is unknown."
            ) from exc
    coupon = _coupon(state, _objects(data, "coupon_lines"))
    builder = state.order_builder
    meta: list[dict[str, Any]] = []
    upsert_meta(meta, _objects(data, "meta_data"), state.next_meta_id)
    method = _text(data, "payment_method")
    key = "wc_order_" + "".join(
        builder.rng.choice(string.ascii_letters + string.digits) for _ in range(13)
    )
    spec = OrderSpec(
        lines=[p[0] for p in pairs],
        payment_method=method,
        payment_method_title=_text(data, "payment_method_title", PAYMENT_TITLES.get(method, "")),
        customer_id=customer_id,
        billing=billing,
        shipping=shipping,
        order_key=key,
        meta=meta,
        coupon=coupon,
        fees=fees,
        shipping_lines=ships,
        created_via="rest-api",
        customer_note=_text(data, "customer_note"),
        transaction_id=_text(data, "transaction_id"),
    )
    order = builder.assemble(oid, datetime.fromtimestamp(ts, UTC), spec)
    if data.get("currency"):
        order["currency"] = _text(data, "currency")
    for line, (_cart, prod) in zip(order["line_items"], pairs, strict=True):
        if prod.get("type") == "variation":
            line["product_id"] = int(prod["parent_id"])
            line["variation_id"] = int(prod["id"])
            parent = state.products.get(int(prod["parent_id"]), {})
            line["parent_name"] = parent.get("name")
            line["name"] = str(prod.get("name", ""))
    order["status"] = "pending"
    return order


def finish_order(state: ShopState, order: dict[str, Any], data: dict[str, Any], ts: float) -> None:
    """The requested status, then ``payment_complete`` when ``set_paid`` is true, then stock
    reduction for paid/on-hold orders, each with the order note WooCommerce writes."""
    oid = int(order["id"])
    off = state.config.utc_offset_hours
    target = _text(data, "status", "pending")
    if target != "pending":
        change_status(order, target, ts, off)
        state.system_note(
            oid, f"Order status changed from Pending payment to {STATUS_LABELS[target]}.", ts
        )
    paid = data.get("set_paid") in (True, "true", "1", 1)
    if paid and order["status"] in PAYABLE:
        prev = order["status"]
        if data.get("transaction_id"):
            order["transaction_id"] = str(data["transaction_id"])
        change_status(order, "processing", ts, off)
        order["needs_payment"] = False
        state.system_note(
            oid,
            f"Order status changed from {STATUS_LABELS[prev]} to {STATUS_LABELS['processing']}.",
            ts,
        )
        count_sales(state, order)
        if order["customer_id"] in state.customers:  # wc_paying_customer
            state.customers[order["customer_id"]]["is_paying_customer"] = True
    on_status_change(state, order, "pending", ts)


def create(state: ShopState, data: dict[str, Any], source: str = "rest") -> dict[str, Any]:
    """Create one order from a REST body; fires ``order.created`` once, with the final
    (paid, stock-reduced) resource, as the deferred webhook delivery would show it."""
    ts = state.now()
    oid = state.next_post_id()
    order = build_order(state, data, oid, ts)
    finish_order(state, order, data, ts)
    return state.add_order(order, source=source, ts=ts)


async def create_order(request: web.Request) -> web.Response:
    require(request, "cannot_create")
    state = shop(request).state
    order = create(state, body(request))
    oid = int(order["id"])
    rec = state.record(oid)
    loc = f"{request.scheme}://{request.host}{API_PREFIX}/orders/{oid}"
    return wp_json(render(request, rec), status=201, headers={"Location": loc})
