"""``/wc/v3/webhooks``: subscriptions. Creating one pings the delivery URL (the REST
controller ignores the ping's answer unless ``strict_ping``); re-activating a disabled
webhook does not reset its failure counter, as in WooCommerce core."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from fakeshop.errors import WooError, invalid_param
from fakeshop.rest.common import (
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
from fakeshop.store import ShopState, Webhook
from fakeshop.timefmt import wp_gmt, wp_local

RESOURCES = ("coupon", "customer", "order", "product")
EVENTS = ("created", "updated", "deleted", "restored")
STATUSES = ("active", "paused", "disabled")
#: ``WC_Webhook::get_topic_hooks`` in WooCommerce 9.x: the actions each topic listens to.
#: A forced order delete (``woocommerce_delete_order``) is in no list, so it fires nothing.
TOPIC_HOOKS: dict[str, tuple[str, ...]] = {
    "coupon.created": ("woocommerce_process_shop_coupon_meta", "woocommerce_new_coupon"),
    "coupon.updated": ("woocommerce_process_shop_coupon_meta", "woocommerce_update_coupon"),
    "coupon.deleted": ("wp_trash_post",),
    "coupon.restored": ("untrashed_post",),
    "customer.created": (
        "user_register",
        "woocommerce_created_customer",
        "woocommerce_new_customer",
    ),
    "customer.updated": ("profile_update", "woocommerce_update_customer"),
    "customer.deleted": ("delete_user",),
    "order.created": ("woocommerce_new_order",),
    "order.updated": ("woocommerce_update_order", "woocommerce_order_refunded"),
    "order.deleted": ("wp_trash_post", "woocommerce_trash_order"),
    "order.restored": ("untrashed_post", "woocommerce_untrash_order"),
    "product.created": (
        "woocommerce_process_product_meta",
        "woocommerce_new_product",
        "woocommerce_new_product_variation",
    ),
    "product.updated": (
        "woocommerce_process_product_meta",
        "woocommerce_update_product",
        "woocommerce_update_product_variation",
    ),
    "product.deleted": ("wp_trash_post",),
    "product.restored": ("untrashed_post",),
}


def topic_hooks(topic: str) -> list[str]:
    """``WC_Webhook::get_hooks``: an ``action.x`` topic listens to ``x`` itself."""
    resource, _, event = topic.partition(".")
    if resource == "action":
        return [event]
    return list(TOPIC_HOOKS.get(topic, ()))


def valid_topic(topic: Any) -> bool:
    """``wc_is_webhook_valid_topic``: ``resource.event`` from the core lists, or ``action.*``."""
    if not isinstance(topic, str) or "." not in topic:
        return False
    resource, event = topic.lower().split(".", 1)
    return (resource in RESOURCES and event in EVENTS) or (resource == "action" and bool(event))


def valid_url(url: Any) -> bool:
    """``wc_is_valid_url``: http(s) with a host."""
    if not isinstance(url, str):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:  # e.g. an unclosed IPv6 bracket: "http://[::1"
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


#: schema fields of type string (``delivery_url`` is read-only in the schema, so WordPress
#: leaves it to the handler's ``wc_is_valid_url`` check)
STRING_FIELDS = ("name", "status", "topic", "secret")


def check_types(data: dict[str, Any]) -> None:
    """``rest_validate_request_arg`` for the string fields: 400 ``rest_invalid_param``."""
    bad = {
        k: f"{k} is not of type string."
        for k in STRING_FIELDS
        if k in data and not isinstance(data[k], str)
    }
    if bad:
        raise invalid_param(**bad)


def render(request: web.Request, state: ShopState, wh: Webhook) -> dict[str, Any]:
    off = state.config.utc_offset_hours
    hooks = topic_hooks(wh.topic)
    return {
        "id": wh.id,
        "name": wh.name,
        "status": wh.status,
        "topic": wh.topic,
        "resource": wh.resource,
        "event": wh.event,
        "hooks": hooks,
        "delivery_url": wh.delivery_url,
        "date_created": wp_local(wh.created_at, off),
        "date_created_gmt": wp_gmt(wh.created_at),
        "date_modified": wp_local(wh.modified_at, off),
        "date_modified_gmt": wp_gmt(wh.modified_at),
        "_links": links(request, f"webhooks/{wh.id}", "webhooks"),
    }


def _get(state: ShopState, wid: int, kind: str = "webhook_invalid_id") -> Webhook:
    wh = state.webhooks.get(wid)
    if wh is None:
        raise WooError(kind)
    return wh


async def list_webhooks(request: web.Request) -> web.Response:
    require(request, "cannot_list")
    state = shop(request).state
    page = int_param(request, "page", 1, 1)
    per_page = int_param(request, "per_page", 10, 1, 100)
    status = request.query.get("status", "all")
    hooks = [w for w in state.webhooks.values() if status == "all" or w.status == status]
    hooks.sort(key=lambda w: (w.created_at, w.id), reverse=True)
    chunk, headers = paginate(request, hooks, page, per_page)
    return wp_json([render(request, state, w) for w in chunk], headers=headers)


async def get_webhook(request: web.Request) -> web.Response:
    require(request, "cannot_view")
    state = shop(request).state
    return wp_json(render(request, state, _get(state, route_id(request))))


async def create_webhook(request: web.Request) -> web.Response:
    require(request, "cannot_create")
    the_shop = shop(request)
    state = the_shop.state
    data = body(request)
    check_types(data)
    if data.get("id"):
        raise WooError("webhook_exists")
    if not valid_topic(data.get("topic")):
        raise WooError("webhook_invalid_topic")
    if not valid_url(data.get("delivery_url")):
        raise WooError("webhook_invalid_url")
    status = str(data.get("status") or "active")
    if status not in STATUSES:
        raise WooError("webhook_invalid_status")
    ts = state.now()
    wh = Webhook(
        id=state.next_webhook_id(),
        name=str(data.get("name") or f"Webhook created on {wp_local(ts, 0)}"),
        status=status,
        topic=str(data["topic"]).lower(),
        delivery_url=str(data["delivery_url"]),
        secret=str(data.get("secret") or secrets.token_urlsafe(37)[:50]),
        api_version="wp_api_v3",
        created_at=ts,
        modified_at=ts,
    )
    state.webhooks[wh.id] = wh
    if wh.status == "active":
        result = await the_shop.engine.ping(wh)
        wh.pending_delivery = False
        if state.config.strict_ping and result.status != 200:
            del state.webhooks[wh.id]
            if result.status is None:
                raise WooError("webhook_ping_unreachable", {"reason": str(result.error)})
            raise WooError("webhook_ping_failed", {"code": str(result.status)})
    loc = f"{request.scheme}://{request.host}/wp-json/wc/v3/webhooks/{wh.id}"
    return wp_json(render(request, state, wh), status=201, headers={"Location": loc})


async def update_webhook(request: web.Request) -> web.Response:
    require(request, "cannot_edit")
    state = shop(request).state
    wh = _get(state, route_id(request))
    data = body(request)
    check_types(data)
    if data.get("topic"):
        if not valid_topic(data["topic"]):
            raise WooError("webhook_invalid_topic_update")
        wh.topic = str(data["topic"]).lower()
    if data.get("delivery_url"):
        if not valid_url(data["delivery_url"]):
            raise WooError("webhook_invalid_url")
        wh.delivery_url = str(data["delivery_url"])
    if data.get("secret"):
        wh.secret = str(data["secret"])
    if data.get("status"):
        if str(data["status"]).lower() not in STATUSES:
            raise WooError("webhook_invalid_status")
        wh.status = str(data["status"]).lower()
    if data.get("name"):
        wh.name = str(data["name"])
    wh.modified_at = state.now()
    return wp_json(render(request, state, wh))


async def delete_webhook(request: web.Request) -> web.Response:
    require(request, "cannot_delete")
    state = shop(request).state
    if not bool_param(request, "force", False):
        raise WooError("trash_not_supported", {"what": "Webhooks"})
    wh = _get(state, route_id(request), "webhook_invalid_id_404")
    data = render(request, state, wh)
    del state.webhooks[wh.id]
    return wp_json(data)
