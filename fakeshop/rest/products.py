"""``/wc/v3/products``: the catalog as WooCommerce products; a bridge syncs stock back from
SAP with ``PUT products/{id}`` or ``POST products/batch`` (at most 100 objects)."""

from __future__ import annotations

import copy
import math
from typing import Any

from aiohttp import web

from fakeshop.errors import WooError, invalid_param
from fakeshop.rest.common import (
    body,
    int_param,
    links,
    paginate,
    require,
    route_id,
    shop,
    wp_json,
)
from fakeshop.store import ShopState

STOCK_STATUSES = ("instock", "outofstock", "onbackorder")
BATCH_LIMIT = 100


def render(request: web.Request, prod: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(prod)
    data["_links"] = links(request, f"products/{prod['id']}", "products")
    return data


async def list_products(request: web.Request) -> web.Response:
    require(request, "cannot_list")
    state = shop(request).state
    page = int_param(request, "page", 1, 1)
    per_page = int_param(request, "per_page", 10, 1, 100)
    sku = request.query.get("sku")
    status = request.query.get("status", "any")
    items = [
        p
        for p in state.products.values()
        if (sku is None or p["sku"] in sku.split(","))
        and (status == "any" or p["status"] == status)
    ]
    items.sort(key=lambda p: (p["date_created_gmt"], p["id"]), reverse=True)
    chunk, headers = paginate(request, items, page, per_page)
    return wp_json([render(request, p) for p in chunk], headers=headers)


async def get_product(request: web.Request) -> web.Response:
    require(request, "cannot_view")
    return wp_json(render(request, shop(request).state.product(route_id(request))))


def wp_integer(value: Any) -> int | None:
    """``rest_is_integer``: a number (or numeric string) with no fraction; None otherwise
    (booleans, NaN, Infinity, text, arrays)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if not math.isfinite(number) or number != int(number):
        return None
    return int(number)


def apply_product_update(
    state: ShopState, pid: int, data: dict[str, Any], missing: str = "product_invalid_id"
) -> dict[str, Any]:
    """Stock fields as ``WC_Product`` sets them: managed stock derives ``stock_status``."""
    prod = state.products.get(pid)
    if prod is None:
        raise WooError(missing)
    if "stock_status" in data and data["stock_status"] not in STOCK_STATUSES:
        raise invalid_param(stock_status=f"stock_status is not one of {', '.join(STOCK_STATUSES)}.")
    qty: int | None = None
    if "stock_quantity" in data and data["stock_quantity"] is not None:
        qty = wp_integer(data["stock_quantity"])
        if qty is None:
            raise invalid_param(stock_quantity="stock_quantity is not of type integer.")
    before = {k: prod.get(k) for k in ("stock_quantity", "manage_stock", "stock_status")}
    if "manage_stock" in data:
        prod["manage_stock"] = bool(data["manage_stock"]) and data["manage_stock"] not in (
            "false",
            "0",
        )
    if qty is not None:
        prod["stock_quantity"] = qty
    if "stock_status" in data and not prod["manage_stock"]:
        prod["stock_status"] = data["stock_status"]
    if prod["manage_stock"] and prod["stock_quantity"] is not None:
        prod["stock_status"] = (
            "instock"
            if prod["stock_quantity"] > 0
            else ("onbackorder" if prod.get("backorders") != "no" else "outofstock")
        )
    for k in ("regular_price", "sale_price", "name", "status"):
        if k in data:
            prod[k] = str(data[k])
    state.touch_product(prod)
    after = {k: prod.get(k) for k in ("stock_quantity", "manage_stock", "stock_status")}
    state.record_received(
        "stock", None, {"product_id": pid, "sku": prod["sku"], "before": before, "after": after}
    )
    return prod


async def update_product(request: web.Request) -> web.Response:
    require(request, "cannot_edit")
    state = shop(request).state
    prod = apply_product_update(state, route_id(request), body(request), "product_invalid_id_400")
    return wp_json(render(request, prod))


async def batch_products(request: web.Request) -> web.Response:
    require(request, "cannot_batch")
    state = shop(request).state
    data = body(request)
    groups = {k: data.get(k) or [] for k in ("create", "update", "delete")}
    for k, v in groups.items():
        if not isinstance(v, list):
            raise invalid_param(**{k: f"{k} is not of type array."})
    if sum(len(v) for v in groups.values()) > BATCH_LIMIT:
        raise WooError("batch_too_large", {"limit": str(BATCH_LIMIT)})
    out: dict[str, list[dict[str, Any]]] = {}
    if groups["create"]:
        # fakeshop's catalog is fixed: creating products is refused per item
        out["create"] = [
            {"id": 0, "error": WooError("cannot_create").item_error()} for _ in groups["create"]
        ]
    if groups["update"]:
        results = []
        for item in groups["update"]:
            try:
                pid = int(item.get("id", 0)) if isinstance(item, dict) else 0
                results.append(
                    render(
                        request, apply_product_update(state, pid, item, "product_invalid_id_400")
                    )
                )
            except WooError as err:
                results.append({"id": pid, "error": err.item_error()})
            except (TypeError, ValueError):
                results.append({"id": 0, "error": WooError("product_invalid_id_400").item_error()})
        out["update"] = results
    if groups["delete"]:
        out["delete"] = [
            {"id": d, "error": WooError("cannot_delete").item_error()} for d in groups["delete"]
        ]
    return wp_json(out)
