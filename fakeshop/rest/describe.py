"""Route descriptions as the WordPress REST server gives them: ``OPTIONS`` on a route
answers ``{namespace, methods, endpoints: [{methods, args}], schema}`` (``get_data_for_route``
in the ``help`` context) with an ``Allow`` header, and the namespace index lists the same
entries. Clients use them for discovery; the data here is what fakeshop accepts.

Schemas are WooCommerce's item schemas (``get_item_schema``) trimmed to the fields
fakeshop keeps: same titles, property names, types and ``readonly`` flags.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from fakeshop.rest.common import API_PREFIX

NAMESPACE = API_PREFIX.removeprefix("/wp-json/")
SCHEMA_URI = "http://json-schema.org/draft-04/schema#"
#: WP_REST_Server::EDITABLE
EDITABLE = ("POST", "PUT", "PATCH")

_ADDRESS = "first_name last_name company address_1 address_2 city state postcode country"
#: per resource: schema title, then "name:type" (":ro" = read-only) in WooCommerce's order
SCHEMAS: dict[str, tuple[str, str]] = {
    "orders": (
        "shop_order",
        "id:integer:ro parent_id:integer number:string:ro order_key:string:ro "
        "created_via:string:ro version:string:ro status:string currency:string "
        "date_created:date-time:ro date_created_gmt:date-time:ro date_modified:date-time:ro "
        "date_modified_gmt:date-time:ro discount_total:string:ro discount_tax:string:ro "
        "shipping_total:string:ro shipping_tax:string:ro cart_tax:string:ro total:string:ro "
        "total_tax:string:ro prices_include_tax:boolean:ro customer_id:integer "
        "customer_ip_address:string:ro customer_user_agent:string:ro customer_note:string "
        "billing:object shipping:object payment_method:string payment_method_title:string "
        "transaction_id:string date_paid:date-time:ro date_paid_gmt:date-time:ro "
        "date_completed:date-time:ro date_completed_gmt:date-time:ro cart_hash:string:ro "
        "meta_data:array line_items:array tax_lines:array:ro shipping_lines:array "
        "fee_lines:array coupon_lines:array refunds:array:ro payment_url:string:ro "
        "is_editable:boolean:ro needs_payment:boolean:ro needs_processing:boolean:ro "
        "set_paid:boolean",
    ),
    "notes": (
        "order_note",
        "id:integer:ro author:string:ro date_created:date-time:ro "
        "date_created_gmt:date-time:ro note:string customer_note:boolean added_by_user:boolean",
    ),
    "refunds": (
        "shop_order_refund",
        "id:integer:ro date_created:date-time:ro date_created_gmt:date-time:ro amount:string "
        "reason:string refunded_by:integer refunded_payment:boolean:ro meta_data:array "
        "line_items:array api_refund:boolean api_restock:boolean",
    ),
    "products": (
        "product",
        "id:integer:ro name:string slug:string permalink:string:ro date_created:date-time "
        "date_created_gmt:date-time date_modified:date-time:ro date_modified_gmt:date-time:ro "
        "type:string status:string featured:boolean catalog_visibility:string "
        "description:string short_description:string sku:string price:string:ro "
        "regular_price:string sale_price:string date_on_sale_from:date-time "
        "date_on_sale_from_gmt:date-time date_on_sale_to:date-time date_on_sale_to_gmt:date-time "
        "on_sale:boolean:ro purchasable:boolean:ro total_sales:integer:ro virtual:boolean "
        "downloadable:boolean tax_status:string tax_class:string manage_stock:boolean "
        "stock_quantity:integer stock_status:string backorders:string "
        "backorders_allowed:boolean:ro backordered:boolean:ro sold_individually:boolean "
        "weight:string categories:array tags:array images:array attributes:array "
        "variations:array:ro meta_data:array",
    ),
    "variations": (
        "product_variation",
        "id:integer:ro name:string:ro parent_id:integer:ro permalink:string:ro "
        "date_created:date-time date_modified:date-time:ro description:string sku:string "
        "price:string:ro regular_price:string sale_price:string date_on_sale_from:date-time "
        "date_on_sale_to:date-time on_sale:boolean:ro status:string purchasable:boolean:ro "
        "virtual:boolean downloadable:boolean tax_status:string tax_class:string "
        "manage_stock:boolean stock_quantity:integer stock_status:string backorders:string "
        "weight:string attributes:array meta_data:array",
    ),
    "customers": (
        "customer",
        "id:integer:ro date_created:date-time:ro date_created_gmt:date-time:ro "
        "date_modified:date-time:ro date_modified_gmt:date-time:ro email:string "
        "first_name:string last_name:string role:string:ro username:string password:string "
        "billing:object shipping:object is_paying_customer:boolean:ro avatar_url:string:ro "
        "meta_data:array",
    ),
    "webhooks": (
        "webhook",
        "id:integer:ro name:string status:string topic:string resource:string:ro "
        "event:string:ro hooks:array:ro delivery_url:string secret:string "
        "date_created:date-time:ro date_created_gmt:date-time:ro date_modified:date-time:ro "
        "date_modified_gmt:date-time:ro",
    ),
}
ENUMS: dict[tuple[str, str], list[str]] = {
    ("orders", "status"): [
        "pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed",
        "checkout-draft",
    ],
    ("products", "type"): ["simple", "grouped", "external", "variable"],
    ("products", "status"): ["draft", "pending", "private", "publish", "future"],
    ("products", "stock_status"): ["instock", "outofstock", "onbackorder"],
    ("products", "backorders"): ["no", "notify", "yes"],
    ("products", "tax_status"): ["taxable", "shipping", "none"],
    ("webhooks", "status"): ["active", "paused", "disabled"],
}  # fmt: skip
#: extra query arguments of each collection GET (beyond context, page, per_page)
LIST_ARGS: dict[str, dict[str, dict[str, Any]]] = {
    "orders": {
        "search": {"type": "string"},
        "after": {"type": "string", "format": "date-time"},
        "before": {"type": "string", "format": "date-time"},
        "modified_after": {"type": "string", "format": "date-time"},
        "modified_before": {"type": "string", "format": "date-time"},
        "dates_are_gmt": {"type": "boolean", "default": False},
        "status": {"type": "array", "default": "any"},
        "customer": {"type": "integer"},
        "product": {"type": "integer"},
        "order": {"type": "string", "default": "desc", "enum": ["asc", "desc"]},
        "orderby": {
            "type": "string",
            "default": "date",
            "enum": ["date", "id", "include", "title", "slug", "modified"],
        },
    },
    "products": {
        "sku": {"type": "string"},
        "status": {"type": "string", "default": "any"},
        "type": {"type": "string", "enum": ["simple", "grouped", "external", "variable"]},
    },
    "customers": {
        "search": {"type": "string"},
        "email": {"type": "string", "format": "email"},
        "role": {"type": "string", "default": "customer"},
        "order": {"type": "string", "default": "asc", "enum": ["asc", "desc"]},
        "orderby": {
            "type": "string",
            "default": "name",
            "enum": ["id", "include", "name", "registered_date"],
        },
    },
    "webhooks": {"status": {"type": "string", "default": "all"}},
    "notes": {
        "type": {"type": "string", "default": "any", "enum": ["any", "customer", "internal"]}
    },
}
#: properties a create requires (``required`` in the schema's create args)
REQUIRED_ON_CREATE = {
    "customers": ("email",),
    "webhooks": ("topic", "delivery_url"),
    "notes": ("note",),
}
_PARAM = re.compile(r"\{(\w+)(?::[^}]*)?\}")


def schema(resource: str) -> dict[str, Any]:
    title, spec = SCHEMAS[resource]
    props: dict[str, Any] = {}
    for item in spec.split():
        name, kind, *flags = item.split(":")
        prop: dict[str, Any] = {"type": "string" if kind == "date-time" else kind}
        if kind == "date-time":
            prop["format"] = "date-time"
        if name in ("billing", "shipping"):
            fields = _ADDRESS.split() + (["email", "phone"] if name == "billing" else ["phone"])
            prop["properties"] = {f: {"type": "string"} for f in fields}
        if (resource, name) in ENUMS:
            prop["enum"] = ENUMS[(resource, name)]
        prop["context"] = ["view", "edit"]
        if flags == ["ro"]:
            prop["readonly"] = True
        props[name] = prop
    return {"$schema": SCHEMA_URI, "title": title, "type": "object", "properties": props}


def resource_of(path: str) -> str | None:
    """``/wc/v3/orders/{id}/notes`` → ``notes``; None for paths with no item schema."""
    parts = [p for p in path.removeprefix("/" + NAMESPACE).split("/") if p and p[0] not in "{("]
    parts = [p for p in parts if p != "batch"]
    if not parts:
        return None
    return parts[-1] if parts[-1] in SCHEMAS else None


def endpoint_args(path: str, method: str) -> dict[str, Any]:
    """The ``args`` of one endpoint (``get_collection_params``, ``get_endpoint_args_for_item_schema``)."""
    resource = resource_of(path)
    ids = {name: {"description": "Unique identifier for the resource.", "type": "integer"}
           for name in re.findall(r"\(\?P<(\w+)>", path)}  # fmt: skip
    args: dict[str, Any] = dict(ids)
    if resource is None:
        return args
    item = bool(ids) and path.rstrip("/").endswith(")")
    if path.endswith("/batch"):
        for key in ("create", "update", "delete"):
            args[key] = {"type": "array", "required": False}
        return args
    if method == "GET":
        args["context"] = {"type": "string", "default": "view", "enum": ["view", "edit"]}
        if not item:
            args["page"] = {"type": "integer", "default": 1, "minimum": 1}
            args["per_page"] = {"type": "integer", "default": 10, "minimum": 1, "maximum": 100}
            args.update(LIST_ARGS.get(resource, {}))
    elif method == "DELETE":
        args["force"] = {"type": "boolean", "default": False}
    else:
        required = REQUIRED_ON_CREATE.get(resource, ()) if not item else ()
        for name, prop in schema(resource)["properties"].items():
            if prop.get("readonly"):
                continue
            arg = {k: v for k, v in prop.items() if k not in ("context",)}
            arg["required"] = name in required
            args[name] = arg
    return args


def wp_path(aiohttp_path: str) -> str:
    """``/wp-json/wc/v3/orders/{id:\\d+}`` → ``/wc/v3/orders/(?P<id>[\\d]+)``."""
    return _PARAM.sub(r"(?P<\1>[\\d]+)", aiohttp_path.removeprefix("/wp-json"))


def describe(path: str, methods: list[str], request: web.Request, help_: bool) -> dict[str, Any]:
    """One route's entry: namespace, methods, endpoints (each with its args), and in the
    ``help`` context (OPTIONS) the item schema."""
    entry: dict[str, Any] = {
        "namespace": NAMESPACE,
        "methods": methods,
        "endpoints": [{"methods": [m], "args": endpoint_args(path, m)} for m in methods],
    }
    resource = resource_of(path)
    if help_ and resource is not None and not path.endswith("/batch"):
        entry["schema"] = schema(resource)
    if "(?P<" not in path:
        entry["_links"] = {"self": [{"href": f"{request.scheme}://{request.host}/wp-json{path}"}]}
    return entry


def route_methods(app: web.Application) -> dict[str, list[str]]:
    """Every ``wc/v3`` route (WordPress form) with its methods, in registration order."""
    methods: dict[str, list[str]] = {}
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        path = info.get("formatter") or info.get("path") or ""
        if not path.startswith(API_PREFIX + "/") or route.method in ("HEAD", "OPTIONS"):
            continue
        wp = wp_path(path)
        if route.method not in methods.setdefault(wp, []):
            methods[wp].append(route.method)
    return methods


async def options(request: web.Request) -> web.Response:
    """``OPTIONS`` on a route: its description, with ``Allow`` naming its methods."""
    from fakeshop.rest.common import wp_json

    info = request.match_info.route.resource.get_info() if request.match_info.route.resource else {}
    path = wp_path(info.get("formatter") or info.get("path") or request.path)
    methods = route_methods(request.app).get(path, [])
    return wp_json(describe(path, methods, request, True), headers={"Allow": ", ".join(methods)})
