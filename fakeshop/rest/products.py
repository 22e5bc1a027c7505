"""``/wc/v3/products`` and ``products/{id}/variations``: list, read, create (simple and
variable), update (stock, prices, sale dates), delete (trash or ``force``) and batch. A
bridge syncs stock back from SAP with ``PUT products/{id}`` or ``POST products/batch``."""

from __future__ import annotations

import copy
from typing import Any

from aiohttp import web

from fakeshop.errors import WooError
from fakeshop.products_model import apply_fields, refresh_price, trash_product
from fakeshop.products_model import create_product as create_product_model
from fakeshop.products_model import create_variation as create_variation_model
from fakeshop.rest.batch import run_batch
from fakeshop.rest.common import (
    API_PREFIX,
    body,
    bool_param,
    int_param,
    links,
    paginate,
    require,
    route_id,
    shop,
    wp_json,
)
from fakeshop.store import ShopState

BATCH_LIMIT = 100


def render(request: web.Request, prod: dict[str, Any]) -> dict[str, Any]:

    refresh_price(shop(request).state, prod)
    data = copy.deepcopy(prod)
    if prod.get("type") == "variation":
        pid = prod["parent_id"]
        data["_links"] = links(
            request, f"products/{pid}/variations/{prod['id']}", f"products/{pid}/variations"
        )
        data["_links"]["up"] = [
            {"href": f"{request.scheme}://{request.host}{API_PREFIX}/products/{pid}"}
        ]
    else:
        data["_links"] = links(request, f"products/{prod['id']}", "products")
    return data


async def list_products(request: web.Request) -> web.Response:
    require(request, "cannot_list")
    state = shop(request).state
    page = int_param(request, "page", 1, 1)
    per_page = int_param(request, "per_page", 10, 1, 100)
    sku = request.query.get("sku")
    status = request.query.get("status", "any")
    kind = request.query.get("type")
    items = [
        p
        for p in state.products.values()
        if (sku is None or p["sku"] in sku.split(","))
        and (p["status"] == status if status != "any" else p["status"] != "trash")
        and (kind is None or p["type"] == kind)
    ]
    items.sort(key=lambda p: (p["date_created_gmt"], p["id"]), reverse=True)
    chunk, headers = paginate(request, items, page, per_page)
    return wp_json([render(request, p) for p in chunk], headers=headers)


async def get_product(request: web.Request) -> web.Response:
    require(request, "cannot_view")
    return wp_json(render(request, shop(request).state.product(route_id(request))))


def apply_product_update(
    state: ShopState, pid: int, data: dict[str, Any], missing: str = "product_invalid_id"
) -> dict[str, Any]:
    """``update_item``: the fields in ``data`` (stock fields derive ``stock_status`` as
    ``WC_Product`` does; prices follow the sale rules); stock writes are ground truth."""

    prod = state.products.get(pid)
    if prod is None:
        raise WooError(missing)
    before = {k: prod.get(k) for k in ("stock_quantity", "manage_stock", "stock_status")}
    apply_fields(state, prod, data)
    state.touch_product(prod)
    state.emit_resource("product.updated", pid, prod, "rest")  # woocommerce_update_product
    after = {k: prod.get(k) for k in ("stock_quantity", "manage_stock", "stock_status")}
    if any(k in data for k in ("stock_quantity", "manage_stock", "stock_status")):
        state.record_received(
            "stock", None, {"product_id": pid, "sku": prod["sku"], "before": before, "after": after}
        )
    return prod


async def create_product(request: web.Request) -> web.Response:

    require(request, "cannot_create")
    prod = create_product_model(shop(request).state, body(request))
    loc = f"{request.scheme}://{request.host}{API_PREFIX}/products/{prod['id']}"
    return wp_json(render(request, prod), status=201, headers={"Location": loc})


async def update_product(request: web.Request) -> web.Response:
    require(request, "cannot_edit")
    state = shop(request).state
    prod = apply_product_update(state, route_id(request), body(request), "product_invalid_id_400")
    return wp_json(render(request, prod))


def delete_one(state: ShopState, pid: int, force: bool) -> dict[str, Any]:

    prod = state.products.get(pid)
    if prod is None:
        raise WooError("product_invalid_id")
    return trash_product(state, prod, force)


async def delete_product(request: web.Request) -> web.Response:
    require(request, "cannot_delete")
    state = shop(request).state
    data = delete_one(state, route_id(request), bool_param(request, "force", False))
    out = copy.deepcopy(data)
    out["_links"] = links(request, f"products/{data['id']}", "products")
    return wp_json(out)


async def batch_products(request: web.Request) -> web.Response:
    """``products/batch``: create, update, delete (always forced) in one request; a failing
    item is ``{id, error}`` in a 200, the others still apply."""

    require(request, "cannot_batch")
    state = shop(request).state
    return wp_json(
        run_batch(
            body(request),
            create=lambda item: render(request, create_product_model(state, item)),
            update=lambda pid, item: render(
                request, apply_product_update(state, pid, item, "product_invalid_id_400")
            ),
            delete=lambda pid: render(request, delete_one(state, pid, True)),
            invalid_id=WooError("product_invalid_id_400"),
        )
    )


# -- variations ----------------------------------------------------------------------
def _parent(state: ShopState, request: web.Request) -> dict[str, Any]:
    prod = state.products.get(route_id(request))
    if prod is None:
        raise WooError("invalid_variable_parent")
    return prod


def _variation(state: ShopState, parent: dict[str, Any], vid: int) -> dict[str, Any]:
    var = state.variations.get(vid)
    if var is None or var.get("parent_id") != parent["id"]:
        raise WooError("variation_invalid_id")
    return var


async def list_variations(request: web.Request) -> web.Response:
    require(request, "cannot_list")
    state = shop(request).state
    parent = _parent(state, request)
    page = int_param(request, "page", 1, 1)
    per_page = int_param(request, "per_page", 10, 1, 100)
    items = [state.variations[v] for v in parent.get("variations", []) if v in state.variations]
    chunk, headers = paginate(request, items, page, per_page)
    return wp_json([render(request, v) for v in chunk], headers=headers)


async def get_variation(request: web.Request) -> web.Response:
    require(request, "cannot_view")
    state = shop(request).state
    parent = _parent(state, request)
    return wp_json(render(request, _variation(state, parent, route_id(request, "vid"))))


async def create_variation(request: web.Request) -> web.Response:

    require(request, "cannot_create")
    state = shop(request).state
    parent = _parent(state, request)
    var = create_variation_model(state, parent, body(request))
    loc = f"{request.scheme}://{request.host}{API_PREFIX}/products/{parent['id']}/variations/{var['id']}"
    return wp_json(render(request, var), status=201, headers={"Location": loc})


async def update_variation(request: web.Request) -> web.Response:

    require(request, "cannot_edit")
    state = shop(request).state
    parent = _parent(state, request)
    var = _variation(state, parent, route_id(request, "vid"))
    apply_fields(state, var, body(request))
    state.touch_product(var)
    refresh_price(state, parent)
    state.emit_resource("product.updated", int(var["id"]), var, "rest")
    return wp_json(render(request, var))


async def delete_variation(request: web.Request) -> web.Response:
    """Variations cannot be trashed (501); ``force`` removes one from its parent."""

    require(request, "cannot_delete")
    state = shop(request).state
    parent = _parent(state, request)
    var = _variation(state, parent, route_id(request, "vid"))
    if not bool_param(request, "force", False):
        raise WooError("trash_not_supported", {"what": "Variations"})
    out = render(request, var)
    del state.variations[var["id"]]
    parent["variations"].remove(var["id"])
    refresh_price(state, parent)
    return wp_json(out)
