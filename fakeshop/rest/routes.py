"""The ``/wp-json/wc/v3`` routing table and the request pipeline WordPress runs around
every handler: body size, JSON/form parsing, authentication, errors in WP's shape."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from fakeshop.auth import authenticate
from fakeshop.errors import WooError
from fakeshop.rest import (
    customers,
    describe,
    notes,
    order_create,
    orders,
    products,
    refunds,
    webhooks,
)
from fakeshop.rest.common import API_KEY, API_PREFIX, BODY, shop
from sapchaos.logs import get_logger

log = get_logger("fakeshop.rest")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

ROUTES: tuple[tuple[str, str, Handler], ...] = (
    ("GET", "/orders", orders.list_orders),
    ("POST", "/orders", order_create.create_order),
    ("POST", "/orders/batch", orders.batch_orders),
    ("PUT", "/orders/batch", orders.batch_orders),
    ("PATCH", "/orders/batch", orders.batch_orders),
    ("GET", "/orders/{id:\\d+}", orders.get_order),
    ("PUT", "/orders/{id:\\d+}", orders.update_order),
    ("PATCH", "/orders/{id:\\d+}", orders.update_order),
    ("POST", "/orders/{id:\\d+}", orders.update_order),
    ("DELETE", "/orders/{id:\\d+}", orders.delete_order),
    ("GET", "/orders/{id:\\d+}/notes", notes.list_notes),
    ("POST", "/orders/{id:\\d+}/notes", notes.create_note),
    ("GET", "/orders/{id:\\d+}/notes/{note_id:\\d+}", notes.get_note),
    ("GET", "/orders/{id:\\d+}/refunds", refunds.list_refunds),
    ("POST", "/orders/{id:\\d+}/refunds", refunds.post_refund),
    ("GET", "/orders/{id:\\d+}/refunds/{refund_id:\\d+}", refunds.get_refund),
    ("GET", "/products", products.list_products),
    ("POST", "/products", products.create_product),
    ("POST", "/products/batch", products.batch_products),
    ("PUT", "/products/batch", products.batch_products),
    ("PATCH", "/products/batch", products.batch_products),
    ("GET", "/products/{id:\\d+}", products.get_product),
    ("PUT", "/products/{id:\\d+}", products.update_product),
    ("PATCH", "/products/{id:\\d+}", products.update_product),
    ("POST", "/products/{id:\\d+}", products.update_product),
    ("DELETE", "/products/{id:\\d+}", products.delete_product),
    ("GET", "/products/{id:\\d+}/variations", products.list_variations),
    ("POST", "/products/{id:\\d+}/variations", products.create_variation),
    ("GET", "/products/{id:\\d+}/variations/{vid:\\d+}", products.get_variation),
    ("PUT", "/products/{id:\\d+}/variations/{vid:\\d+}", products.update_variation),
    ("PATCH", "/products/{id:\\d+}/variations/{vid:\\d+}", products.update_variation),
    ("POST", "/products/{id:\\d+}/variations/{vid:\\d+}", products.update_variation),
    ("DELETE", "/products/{id:\\d+}/variations/{vid:\\d+}", products.delete_variation),
    ("GET", "/customers", customers.list_customers),
    ("POST", "/customers", customers.create_customer),
    ("POST", "/customers/batch", customers.batch_customers),
    ("PUT", "/customers/batch", customers.batch_customers),
    ("PATCH", "/customers/batch", customers.batch_customers),
    ("GET", "/customers/{id:\\d+}", customers.get_customer),
    ("PUT", "/customers/{id:\\d+}", customers.update_customer),
    ("PATCH", "/customers/{id:\\d+}", customers.update_customer),
    ("POST", "/customers/{id:\\d+}", customers.update_customer),
    ("DELETE", "/customers/{id:\\d+}", customers.delete_customer),
    ("GET", "/webhooks", webhooks.list_webhooks),
    ("POST", "/webhooks", webhooks.create_webhook),
    ("GET", "/webhooks/{id:\\d+}", webhooks.get_webhook),
    ("PUT", "/webhooks/{id:\\d+}", webhooks.update_webhook),
    ("PATCH", "/webhooks/{id:\\d+}", webhooks.update_webhook),
    ("POST", "/webhooks/{id:\\d+}", webhooks.update_webhook),
    ("DELETE", "/webhooks/{id:\\d+}", webhooks.delete_webhook),
)


def _canonical(path: str) -> str:
    return API_PREFIX + re.sub(r"\{(\w+):[^}]*\}", r"{\1}", path)


#: ``Allow`` per route (its methods), as ``rest_send_allow_header`` adds to every answer
ALLOW: dict[str, str] = {
    _canonical(path): ", ".join(dict.fromkeys(m for m, p, _ in ROUTES if p == path))
    for _, path, _ in ROUTES
}


def _with_allow(request: web.Request, resp: web.StreamResponse) -> web.StreamResponse:
    resource = request.match_info.route.resource
    allow = ALLOW.get(resource.canonical) if resource is not None else None
    if allow is not None and not resp.prepared:
        resp.headers["Allow"] = allow
    return resp


def add_routes(app: web.Application) -> None:
    for method, path, handler in ROUTES:
        app.router.add_route(method, API_PREFIX + path, handler)
    # WordPress answers OPTIONS on every route with the route's description
    for path in dict.fromkeys(path for _, path, _ in ROUTES):
        app.router.add_route("OPTIONS", API_PREFIX + path, describe.options)


def _parse_body(request: web.Request, raw: bytes) -> tuple[dict[str, Any], dict[str, str]]:
    ctype = request.content_type
    if not raw.strip():
        return {}, {}
    if ctype == "application/x-www-form-urlencoded":
        form = dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
        return dict(form), form
    if ctype in ("application/json", "text/json") or raw.lstrip()[:1] in (b"{", b"["):
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            # too deep is invalid JSON too: PHP's json_decode gives up past 512 levels
            raise WooError("invalid_json") from exc
        return (data if isinstance(data, dict) else {"_": data}), {}
    return {}, {}


@web.middleware
async def wp_rest_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.path.startswith("/wp-json"):
        return await handler(request)
    state = shop(request).state
    try:
        limit = state.config.max_body_bytes
        if request.content_length is not None and request.content_length > limit:
            raise WooError("too_large", {"limit": str(limit)})
        raw = await request.read()
        if len(raw) > limit:
            raise WooError("too_large", {"limit": str(limit)})
        data, form = _parse_body(request, raw)
        request[BODY] = data
        key = authenticate(request, state, form)
        if key is not None:
            request[API_KEY] = key
        return _with_allow(request, await handler(request))
    except WooError as err:
        return _with_allow(request, err.response())
    except (web.HTTPNotFound, web.HTTPMethodNotAllowed):
        return WooError("no_route").response()
    except web.HTTPRequestEntityTooLarge:
        return WooError("too_large", {"limit": str(state.config.max_body_bytes)}).response()
    except web.HTTPException:
        raise
    except Exception:
        log.exception("rest_handler_failed", path=request.path)
        return web.json_response(
            {
                "code": "internal_server_error",
                "message": "There has been a critical error on this website.",
                "data": {"status": 500},
            },
            status=500,
        )
