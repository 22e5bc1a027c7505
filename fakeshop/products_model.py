"""Product rules WooCommerce applies on save and read: the sale price logic
(``WC_Product::is_on_sale``, ``_price``), scheduled sales by ``date_on_sale_from/to``,
unique SKUs, variable products whose price comes from their variations, and trash.

Pure functions over the REST product resources (dicts) in :class:`fakeshop.store.ShopState`;
:mod:`fakeshop.rest.products` translates HTTP to these.
"""

from __future__ import annotations

import copy
import re
import unicodedata
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from fakeshop.errors import WooError, invalid_param
from fakeshop.orders_model import fmt, upsert_meta
from fakeshop.store import ShopState
from fakeshop.timefmt import parse_wp_date
from fakeshop.wp_types import wp_integer

TYPES = ("simple", "grouped", "external", "variable")
STATUSES = ("draft", "pending", "private", "publish", "future")
STOCK_STATUSES = ("instock", "outofstock", "onbackorder")
BACKORDERS = ("no", "notify", "yes")
TAX_STATUSES = ("taxable", "shipping", "none")
WP_DATE = "%Y-%m-%dT%H:%M:%S"


def slugify(name: str) -> str:
    """``sanitize_title``: lower-case ASCII words joined by hyphens."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "product"


def _price_text(value: Any, name: str) -> str:
    """``wc_format_decimal`` of a price field; '' clears it."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool | dict | list):
        raise invalid_param(**{name: f"{name} is not of type string."})
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise invalid_param(**{name: f"{name} is not of type string."}) from exc
    if not amount.is_finite() or amount < 0 or amount.adjusted() > 12:
        raise invalid_param(**{name: f"{name} is not a valid price."})
    return fmt(amount)


def _sale_date(state: ShopState, data: dict[str, Any], name: str) -> tuple[str, str] | None:
    """``(local, gmt)`` from ``name`` (site time) or ``name_gmt``; None when absent;
    ``("", "")`` when cleared."""
    off = timedelta(hours=state.config.utc_offset_hours)
    for key, is_gmt in ((f"{name}_gmt", True), (name, False)):
        if key not in data:
            continue
        raw = data[key]
        if raw in (None, ""):
            return "", ""
        dt = parse_wp_date(str(raw)) if isinstance(raw, str) else None
        if dt is None:
            raise invalid_param(**{key: "Invalid date."})
        gmt = dt if is_gmt else dt - off
        return (gmt + off).strftime(WP_DATE), gmt.strftime(WP_DATE)
    return None


def _gmt_ts(text: str | None) -> float | None:
    if not text:
        return None
    return datetime.strptime(text, WP_DATE).replace(tzinfo=UTC).timestamp()


def is_on_sale(prod: dict[str, Any], now: float) -> bool:
    """``WC_Product::is_on_sale``: a sale price below the regular price, inside its dates."""
    sale, regular = prod.get("sale_price", ""), prod.get("regular_price", "")
    if sale == "" or regular == "" or Decimal(sale) >= Decimal(regular):
        return False
    start = _gmt_ts(prod.get("date_on_sale_from_gmt"))
    end = _gmt_ts(prod.get("date_on_sale_to_gmt"))
    if start is not None and start > now:
        return False
    return not (end is not None and end < now)


def refresh_price(state: ShopState, prod: dict[str, Any]) -> None:
    """Keep ``price``/``on_sale`` as the scheduled-sales cron would have left them now:
    ``price`` is the sale price while on sale, else the regular price; a variable
    product shows its cheapest variation."""
    now = state.now()
    if prod.get("type") == "variable":
        children = [
            state.variations[v] for v in prod.get("variations", []) if v in state.variations
        ]
        for child in children:
            refresh_price(state, child)
        prices = [Decimal(c["price"]) for c in children if c.get("price") not in ("", None)]
        prod["price"] = fmt(min(prices)) if prices else ""
        prod["on_sale"] = any(c["on_sale"] for c in children)
        return
    on_sale = is_on_sale(prod, now)
    prod["on_sale"] = on_sale
    prod["price"] = prod["sale_price"] if on_sale else prod.get("regular_price", "")


def _stock(prod: dict[str, Any]) -> None:
    """``validate_props``: managed stock derives ``stock_status``; unmanaged has no qty."""
    if not prod.get("manage_stock"):
        prod["stock_quantity"] = None
        return
    qty = prod.get("stock_quantity")
    if qty is None:
        return
    prod["stock_status"] = (
        "instock" if qty > 0 else ("onbackorder" if prod["backorders"] != "no" else "outofstock")
    )
    prod["backorders_allowed"] = prod["backorders"] != "no"
    prod["backordered"] = qty < 0 and prod["backorders"] != "no"


def _enum(data: dict[str, Any], name: str, allowed: tuple[str, ...]) -> str | None:
    if name not in data or data[name] is None:
        return None
    value = data[name]
    if not isinstance(value, str) or value not in allowed:
        raise invalid_param(**{name: f"{name} is not one of {', '.join(allowed)}."})
    return value


def _flag(data: dict[str, Any], name: str) -> bool | None:
    if name not in data or data[name] is None:
        return None
    value = data[name]
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("1", "true", "yes"):
        return True
    if str(value).lower() in ("0", "false", "no", ""):
        return False
    raise invalid_param(**{name: f"{name} is not of type boolean."})


def _int(data: dict[str, Any], name: str) -> int | None:
    if name not in data or data[name] is None:
        return None
    value = wp_integer(data[name])
    if value is None or abs(value) > 10**12:
        raise invalid_param(**{name: f"{name} is not of type integer."})
    return value


def check_sku(state: ShopState, sku: str, own_id: int) -> None:
    """``wc_product_has_unique_sku``: 400 ``product_invalid_sku`` naming the holder."""
    if not sku:
        return
    holder = state.id_by_sku(sku)
    if holder and holder != own_id:
        n = 1
        while state.id_by_sku(f"{sku}-{n}"):
            n += 1
        raise WooError("invalid_sku", extra={"resource_id": holder, "unique_sku": f"{sku}-{n}"})


def apply_fields(state: ShopState, prod: dict[str, Any], data: dict[str, Any]) -> None:
    """``set_product_data``: every writable field present in ``data``, validated first so a
    bad value changes nothing."""
    changes: dict[str, Any] = {}
    for name in ("name", "description", "short_description", "weight", "slug"):
        if name in data and data[name] is not None:
            if isinstance(data[name], dict | list):
                raise invalid_param(**{name: f"{name} is not of type string."})
            changes[name] = str(data[name])
    if "sku" in data and data["sku"] is not None:
        if isinstance(data["sku"], dict | list):
            raise invalid_param(sku="sku is not of type string.")
        changes["sku"] = str(data["sku"]).strip()
        check_sku(state, changes["sku"], int(prod["id"]))
    for name, allowed in (
        ("status", STATUSES),
        ("stock_status", STOCK_STATUSES),
        ("backorders", BACKORDERS),
        ("tax_status", TAX_STATUSES),
        ("catalog_visibility", ("visible", "catalog", "search", "hidden")),
    ):
        value = _enum(data, name, allowed)
        if value is not None:
            changes[name] = value
    for name in ("regular_price", "sale_price"):
        if name in data:
            changes[name] = _price_text(data[name], name)
    for name in ("manage_stock", "featured", "virtual", "downloadable", "sold_individually"):
        flag = _flag(data, name)
        if flag is not None:
            changes[name] = flag
    qty = _int(data, "stock_quantity")
    if qty is not None:
        changes["stock_quantity"] = qty
    if "tax_class" in data and data["tax_class"] is not None:
        slug = str(data["tax_class"])
        valid = {t.slug for t in state.catalog.tax_classes}
        if prod.get("type") == "variation":
            valid.add("parent")
        changes["tax_class"] = slug if slug in valid else ""  # WC_Product::set_tax_class
    for name in ("date_on_sale_from", "date_on_sale_to"):
        pair = _sale_date(state, data, name)
        if pair is not None:
            changes[name], changes[f"{name}_gmt"] = pair
    for name in ("categories", "tags", "images", "attributes"):
        if name in data and data[name] is not None:
            if not isinstance(data[name], list):
                raise invalid_param(**{name: f"{name} is not of type array."})
            changes[name] = copy.deepcopy(data[name])
    meta = data.get("meta_data")
    if meta is not None and not (isinstance(meta, list) and all(isinstance(m, dict) for m in meta)):
        raise invalid_param(meta_data="meta_data is not of type array.")
    prod.update(changes)
    if meta:
        upsert_meta(prod.setdefault("meta_data", []), meta, state.next_meta_id)
    if "name" in changes and "slug" not in changes and not prod.get("slug"):
        prod["slug"] = slugify(prod["name"])
    _end_expired_sale(state, prod)
    _stock(prod)
    refresh_price(state, prod)


def _end_expired_sale(state: ShopState, prod: dict[str, Any]) -> None:
    """A save with ``date_on_sale_to`` in the past ends the sale: sale price and both dates
    are cleared (``WC_Product_Data_Store_CPT::handle_updated_props``)."""
    end = _gmt_ts(prod.get("date_on_sale_to_gmt"))
    if end is not None and end < state.now():
        prod["sale_price"] = ""
        for name in ("date_on_sale_from", "date_on_sale_to"):
            prod[name] = prod[f"{name}_gmt"] = None


def blank_product(state: ShopState, pid: int, kind: str) -> dict[str, Any]:
    """A new product as ``new WC_Product_{Type}`` starts: every field at its default."""
    ts = state.now()
    return {
        "id": pid,
        "name": "Product",
        "slug": "",
        "permalink": f"{state.home_url()}?post_type=product&p={pid}",
        **state.dates("date_created", ts),
        **state.dates("date_modified", ts),
        "type": kind,
        "status": "publish",
        "featured": False,
        "catalog_visibility": "visible",
        "description": "",
        "short_description": "",
        "sku": "",
        "price": "",
        "regular_price": "",
        "sale_price": "",
        "date_on_sale_from": None,
        "date_on_sale_from_gmt": None,
        "date_on_sale_to": None,
        "date_on_sale_to_gmt": None,
        "on_sale": False,
        "purchasable": kind != "variable",
        "total_sales": 0,
        "virtual": False,
        "downloadable": False,
        "tax_status": "taxable",
        "tax_class": "",
        "manage_stock": False,
        "stock_quantity": None,
        "stock_status": "instock",
        "backorders": "no",
        "backorders_allowed": False,
        "backordered": False,
        "sold_individually": False,
        "weight": "",
        "categories": [],
        "tags": [],
        "images": [],
        "attributes": [],
        "variations": [],
        "meta_data": [],
    }


def create_product(state: ShopState, data: dict[str, Any]) -> dict[str, Any]:
    """``POST products``: a simple (default), grouped, external or variable product."""
    if data.get("id") not in (None, "", 0, "0"):
        raise WooError("exists", {"type": "product"})
    kind = _enum(data, "type", TYPES) or "simple"
    pid = state.next_post_id()
    prod = blank_product(state, pid, kind)
    apply_fields(state, prod, data)
    if not prod["slug"]:
        prod["slug"] = slugify(prod["name"])
    prod["permalink"] = f"{state.home_url()}product/{prod['slug']}/"
    state.products[pid] = prod
    state.emit_resource("product.created", pid, prod, "rest")  # woocommerce_new_product
    return prod


def create_variation(
    state: ShopState, parent: dict[str, Any], data: dict[str, Any]
) -> dict[str, Any]:
    """``POST products/{id}/variations``: a priced, stock-keeping child of a variable
    product; its attributes pick one option each; the parent's price follows."""
    if parent.get("type") != "variable":
        raise WooError("invalid_variable_parent")
    vid = state.next_post_id()
    var = blank_product(state, vid, "variation")
    var.pop("variations")
    var.update({"parent_id": parent["id"], "tax_class": "parent", "purchasable": True})
    apply_fields(state, var, data)
    options = [a for a in (var.get("attributes") or []) if isinstance(a, dict)]
    var["attributes"] = [
        {
            "id": int(a.get("id") or 0),
            "name": str(a.get("name", "")),
            "option": str(a.get("option", "")),
        }
        for a in options
    ]
    label = ", ".join(a["option"] for a in var["attributes"] if a["option"])
    var["name"] = f"{parent['name']} - {label}" if label else str(parent["name"])
    var["permalink"] = f"{parent['permalink']}?variation_id={vid}"
    state.variations[vid] = var
    parent["variations"].append(vid)
    refresh_price(state, parent)
    state.emit_resource("product.created", vid, var, "rest")  # ..._new_product_variation
    return var


def trash_product(state: ShopState, prod: dict[str, Any], force: bool) -> dict[str, Any]:
    """``DELETE products/{id}``: without ``force`` the product goes to the trash (status
    ``trash``, 410 on a second trash, ``product.deleted`` fired); with ``force`` it and its
    variations are gone and no webhook fires (``product.deleted`` hooks ``wp_trash_post``
    only)."""
    refresh_price(state, prod)
    snapshot = copy.deepcopy(prod)
    if force:
        for vid in prod.get("variations", []):
            state.variations.pop(vid, None)
        state.products.pop(int(prod["id"]), None)
        return snapshot
    if prod["status"] == "trash":
        raise WooError("already_trashed", {"type": "product"})
    prod["status"] = "trash"
    prod.update(state.dates("date_modified", state.now()))
    state.emit_resource("product.deleted", int(prod["id"]), prod, "rest")  # wp_trash_post
    return copy.deepcopy(prod)
