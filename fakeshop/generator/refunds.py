"""Order refunds as ``POST /wc/v3/orders/{id}/refunds`` and ``wc_create_refund`` make them.

Validation follows WooCommerce: a negative amount → 400 ``woocommerce_rest_invalid_order_refund``;
an amount above what is left to refund, or ``api_refund`` through a gateway that cannot
refund (bacs, cod) → 500 ``woocommerce_rest_cannot_create_order_refund`` with
``wc_create_refund``'s message. Refund line items carry negative quantities and totals.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any

from fakeshop.generator.settings import order_tz, wp_dates
from fakeshop.taxes import ZERO, MoneyError, money_str, parse_money

#: gateways whose ``supports('refunds')`` is true in a default install with their plugins
REFUNDABLE_GATEWAYS: frozenset[str] = frozenset(
    {"stripe", "paypal", "ppcp-gateway", "woocommerce_payments"}
)


class RefundError(ValueError):
    """A refund WooCommerce would refuse, carrying its REST error code and HTTP status."""

    def __init__(
        self, code: str, message: str, status: int, params: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.params = params

    def to_wire(self) -> dict[str, Any]:
        """The WordPress REST error body."""
        data: dict[str, Any] = {"status": self.status}
        if self.params:
            data["params"] = self.params
        return {"code": self.code, "message": self.message, "data": data}


#: name → (code, HTTP status, message) — the refund errors WooCommerce answers
REFUND_ERRORS: dict[str, tuple[str, int, str]] = {
    "negative": (
        "woocommerce_rest_invalid_order_refund",
        400,
        "Refund amount must be greater than zero.",
    ),
    "exceeds": ("woocommerce_rest_cannot_create_order_refund", 500, "Invalid refund amount."),
    "gateway": (
        "woocommerce_rest_cannot_create_order_refund",
        500,
        "The payment gateway for this order does not support automatic refunds.",
    ),
    "invalid_param": ("rest_invalid_param", 400, "Invalid parameter(s): {name}"),
}


def refund_error(kind: str, **fmt: str) -> RefundError:
    code, status, message = REFUND_ERRORS[kind]
    params = (
        {fmt["name"]: f"{fmt['name']} is not of type {fmt.get('type', 'number')}."}
        if kind == "invalid_param"
        else None
    )
    return RefundError(code, message.format(**fmt), status, params)


def refunded_amount(order: Mapping[str, Any]) -> Decimal:
    """Sum of the order's refunds (``refunds[].total`` are negative strings)."""
    return sum((-parse_money(r.get("total", "0")) for r in order.get("refunds", []) or []), ZERO)


def remaining_refund_amount(order: Mapping[str, Any]) -> Decimal:
    """``WC_Order::get_remaining_refund_amount``: total minus everything refunded."""
    return parse_money(order.get("total", "0")) - refunded_amount(order)


def _items_by_id(order: Mapping[str, Any]) -> dict[int, tuple[str, dict[str, Any]]]:
    out: dict[int, tuple[str, dict[str, Any]]] = {}
    for kind in ("line_items", "shipping_lines", "fee_lines"):
        for item in order.get(kind, []) or []:
            out[int(item["id"])] = (kind, item)
    return out


def _neg(value: Decimal) -> str:
    return money_str(-value)


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise refund_error("invalid_param", name=name, type="integer")
    try:
        number = int(str(value))
    except (TypeError, ValueError) as exc:
        raise refund_error("invalid_param", name=name, type="integer") from exc
    return number


def compute_refund(
    order: Mapping[str, Any],
    body: Mapping[str, Any],
    *,
    refund_id: int,
    now: datetime,
    refunded_by: int = 1,
    next_item_id: Callable[[], int] | None = None,
    tz: tzinfo | None = None,
    refundable_gateways: Collection[str] = REFUNDABLE_GATEWAYS,
) -> dict[str, Any]:
    """Build the refund resource for a request body ``{amount, reason, api_refund,
    line_items: [{id, quantity, refund_total, refund_tax: [{id, refund_total}]}]}``.

    Raises :class:`RefundError`. ``amount`` may be omitted when ``line_items`` are given:
    it is then the sum of their ``refund_total`` and ``refund_tax`` (newer WooCommerce).
    """
    items = _items_by_id(order)
    raw_lines = body.get("line_items") or []
    if not isinstance(raw_lines, list):
        raise refund_error("invalid_param", name="line_items", type="array")
    counter = [max([0, *items.keys()])]

    def own_id() -> int:
        counter[0] += 1
        return counter[0]

    new_id = next_item_id or own_id
    lines_out: dict[str, list[dict[str, Any]]] = {
        "line_items": [],
        "shipping_lines": [],
        "fee_lines": [],
    }
    from_lines = ZERO
    for req in raw_lines:
        if not isinstance(req, Mapping):
            raise refund_error("invalid_param", name="line_items", type="object")
        item_id = _int(req.get("id"), "line_items")
        try:
            qty = _int(req.get("quantity", 0) or 0, "quantity")
            total = parse_money(req.get("refund_total", 0) or 0, "refund_total")
            taxes_req = req.get("refund_tax") or []
            if not isinstance(taxes_req, list):
                raise refund_error("invalid_param", name="line_items", type="array")
            taxes = {
                _int(t.get("id"), "refund_tax"): parse_money(
                    t.get("refund_total", 0) or 0, "refund_tax"
                )
                for t in taxes_req
                if isinstance(t, Mapping)
            }
        except MoneyError as exc:
            raise refund_error("invalid_param", name="line_items") from exc
        from_lines += total + sum(taxes.values(), ZERO)
        found = items.get(item_id)
        if found is None or (qty == 0 and total == ZERO and not any(taxes.values())):
            continue  # wc_create_refund skips ids that are not items of this order
        kind, item = found
        lines_out[kind].append(_refund_item(kind, item, qty, total, taxes, new_id()))

    if body.get("amount") in (None, "") and raw_lines:
        amount = from_lines
    else:
        try:
            amount = parse_money(
                body.get("amount", 0) if body.get("amount") not in (None, "") else 0
            )
        except MoneyError as exc:
            raise refund_error("invalid_param", name="amount", type="string") from exc
    if amount < ZERO:
        raise refund_error("negative")
    if amount > remaining_refund_amount(order):
        raise refund_error("exceeds")
    api_refund = body.get("api_refund", True)
    api_refund = api_refund if isinstance(api_refund, bool) else True
    if (
        api_refund
        and amount > ZERO
        and str(order.get("payment_method", "")) not in refundable_gateways
    ):
        raise refund_error("gateway")

    meta = body.get("meta_data") or []
    if not isinstance(meta, list) or not all(isinstance(m, Mapping) for m in meta):
        raise refund_error("invalid_param", name="meta_data", type="array")
    reason = body.get("reason")
    if reason is not None and not isinstance(reason, str | int | float):
        raise refund_error("invalid_param", name="reason", type="string")
    zone = tz or order_tz(dict(order))
    created = wp_dates("date_created", now, zone)
    home = _home(order)
    oid = order.get("id")
    return {
        "id": refund_id,
        "date_created": created["date_created"],
        "date_created_gmt": created["date_created_gmt"],
        "amount": money_str(amount),
        "reason": str(body.get("reason") or ""),
        "refunded_by": refunded_by,
        "refunded_payment": bool(api_refund and amount > ZERO),
        "meta_data": copy.deepcopy(list(meta)),
        **lines_out,
        "tax_lines": [],
        "_links": {
            "self": [{"href": f"{home}wp-json/wc/v3/orders/{oid}/refunds/{refund_id}"}],
            "collection": [{"href": f"{home}wp-json/wc/v3/orders/{oid}/refunds"}],
            "up": [{"href": f"{home}wp-json/wc/v3/orders/{oid}"}],
        },
    }


def _home(order: Mapping[str, Any]) -> str:
    try:
        href = str(order["_links"]["self"][0]["href"])
        return href.split("wp-json/")[0]
    except (KeyError, IndexError, TypeError):
        return "http://127.0.0.1/"


def _refund_item(
    kind: str,
    item: Mapping[str, Any],
    qty: int,
    total: Decimal,
    taxes: dict[int, Decimal],
    item_id: int,
) -> dict[str, Any]:
    """A refunded copy of an order item: ``_refunded_item_id`` meta, negative figures."""
    tax_sum = sum(taxes.values(), ZERO)
    tax_list = [
        {"id": rid, "total": _neg(v), "subtotal": _neg(v)} for rid, v in sorted(taxes.items())
    ]
    meta = [
        {
            "id": 0,
            "key": "_refunded_item_id",
            "value": str(item["id"]),
            "display_key": "_refunded_item_id",
            "display_value": str(item["id"]),
        }
    ]
    if kind == "line_items":
        return {
            "id": item_id,
            "name": item.get("name", ""),
            "product_id": item.get("product_id", 0),
            "variation_id": item.get("variation_id", 0),
            "quantity": -qty,
            "tax_class": item.get("tax_class", ""),
            "subtotal": _neg(total),
            "subtotal_tax": _neg(tax_sum),
            "total": _neg(total),
            "total_tax": _neg(tax_sum),
            "taxes": tax_list,
            "meta_data": meta,
            "sku": item.get("sku", ""),
            "price": float(-total / qty) if qty else 0.0,
            "refund_total": float(total),
        }
    base = {
        "id": item_id,
        "total": _neg(total),
        "total_tax": _neg(tax_sum),
        "taxes": [{"id": t["id"], "total": t["total"], "subtotal": ""} for t in tax_list],
        "meta_data": meta,
    }
    if kind == "shipping_lines":
        return {
            "method_title": item.get("method_title", ""),
            "method_id": item.get("method_id", ""),
            **base,
        }
    return {"name": item.get("name", ""), "tax_class": item.get("tax_class", ""), **base}


def add_refund(
    order: Mapping[str, Any], refund: Mapping[str, Any], now: datetime, tz: tzinfo | None = None
) -> dict[str, Any]:
    """The order after ``refund``: ``refunds[]`` gains ``{id, reason, total}`` (newest first)
    and, when nothing is left to refund, the status becomes ``refunded``."""
    out = copy.deepcopy(dict(order))
    remaining_before = remaining_refund_amount(out)
    amount = parse_money(refund["amount"])
    out["refunds"] = [
        {"id": refund["id"], "reason": refund.get("reason", ""), "total": _neg(amount)},
        *out.get("refunds", []),
    ]
    if remaining_before - amount <= ZERO:
        out["status"] = "refunded"
    out.update(wp_dates("date_modified", now, tz or order_tz(out)))
    return out


def _item_taxes(item: Mapping[str, Any], share: Decimal) -> list[dict[str, Any]]:
    """``refund_tax`` entries for a share of an item; a single rate uses the item's rounded
    ``total_tax`` (its ``taxes[]`` may hold WooCommerce's unrounded figure)."""
    taxes = item.get("taxes", []) or []
    if len(taxes) == 1:
        return [
            {
                "id": taxes[0]["id"],
                "refund_total": money_str(parse_money(item["total_tax"]) * share),
            }
        ]
    return [
        {"id": t["id"], "refund_total": money_str(parse_money(t["total"]) * share)} for t in taxes
    ]


def full_refund_body(order: Mapping[str, Any], reason: str, api_refund: bool) -> dict[str, Any]:
    """What the admin "Refund all" button sends: every item's remaining quantity and money."""
    remaining = remaining_refund_amount(order)
    if refunded_amount(order) > ZERO:
        return {"amount": money_str(remaining), "reason": reason, "api_refund": api_refund}
    lines: list[dict[str, Any]] = []
    for kind in ("line_items", "shipping_lines", "fee_lines"):
        for item in order.get(kind, []) or []:
            entry: dict[str, Any] = {
                "id": item["id"],
                "refund_total": item["total"],
                "refund_tax": _item_taxes(item, Decimal(1)),
            }
            if kind == "line_items":
                entry["quantity"] = item["quantity"]
            lines.append(entry)
    return {
        "amount": money_str(remaining),
        "reason": reason,
        "api_refund": api_refund,
        "line_items": lines,
    }


def partial_line_body(
    order: Mapping[str, Any], rng_pick: Sequence[int], reason: str, api_refund: bool
) -> dict[str, Any] | None:
    """Refund ``n`` units of one product line (``rng_pick`` = (line index, units)), with the
    line's per-unit net and tax; None when that would not leave anything unrefunded."""
    lines = order.get("line_items", []) or []
    if not lines:
        return None
    idx, units = rng_pick
    item = lines[idx % len(lines)]
    qty = int(item["quantity"])
    units = max(1, min(units, qty))
    net = parse_money(Decimal(str(item["total"])) * units / qty)
    taxes = _item_taxes(item, Decimal(units) / qty)
    amount = net + sum((parse_money(t["refund_total"]) for t in taxes), ZERO)
    if amount <= ZERO or amount >= remaining_refund_amount(order):
        return None
    return {
        "amount": money_str(amount),
        "reason": reason,
        "api_refund": api_refund,
        "line_items": [
            {
                "id": item["id"],
                "quantity": units,
                "refund_total": money_str(net),
                "refund_tax": taxes,
            }
        ],
    }
