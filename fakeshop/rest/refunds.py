"""``/wc/v3/orders/{id}/refunds``: refunds are posts of their own (ids from the order
sequence) built by ``wc_create_refund`` (:func:`fakeshop.lifecycle.compute_refund`); a
refund that leaves nothing refundable marks the order refunded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from aiohttp import web

from fakeshop.errors import WooError
from fakeshop.lifecycle import RefundError, add_refund, compute_refund
from fakeshop.rest.common import body, links, require, route_id, shop, wp_json
from fakeshop.store import OrderRecord, ShopState


def _parent(state: ShopState, oid: int) -> OrderRecord:
    rec = state.orders.get(oid)
    if rec is None or rec.deleted:
        raise WooError("refund_parent_invalid_id")
    return rec


def render(request: web.Request, oid: int, refund: dict[str, Any]) -> dict[str, Any]:
    return {
        **refund,
        "_links": {
            **links(request, f"orders/{oid}/refunds/{refund['id']}", f"orders/{oid}/refunds"),
            "up": [{"href": f"{request.scheme}://{request.host}/wp-json/wc/v3/orders/{oid}"}],
        },
    }


async def list_refunds(request: web.Request) -> web.Response:
    require(request, "cannot_list")
    state = shop(request).state
    rec = _parent(state, route_id(request))
    return wp_json([render(request, rec.id, r) for r in reversed(state.refunds.get(rec.id, []))])


async def get_refund(request: web.Request) -> web.Response:
    require(request, "cannot_view")
    state = shop(request).state
    rec = _parent(state, route_id(request))
    rid = route_id(request, "refund_id")
    refund = next((r for r in state.refunds.get(rec.id, []) if r["id"] == rid), None)
    if refund is None:
        raise WooError("refund_invalid_id")
    return wp_json(render(request, rec.id, refund))


def create_refund(
    state: ShopState, rec: OrderRecord, data: dict[str, Any], source: str
) -> dict[str, Any]:
    """``wc_create_refund`` + ``wc_order_fully_refunded``; fires ``order.updated``.

    Raises :class:`RefundError` (nothing is changed, no id is used) for a refund
    WooCommerce refuses."""
    ts = state.now()
    now = datetime.fromtimestamp(ts, UTC)
    zone = timezone(timedelta(hours=state.config.utc_offset_hours))
    refund = compute_refund(
        rec.order,
        data,
        refund_id=0,
        now=now,
        next_item_id=state.next_item_id,
        tz=zone,
    )
    refund["id"] = state.next_post_id()
    order = add_refund(rec.order, refund, now, zone)
    refund.pop("_links", None)  # rendered per request, with the request's host
    state.refunds.setdefault(rec.id, []).append(refund)
    if source == "rest":
        state.record_received(
            "refund",
            rec.id,
            {"id": refund["id"], "amount": refund["amount"], "reason": refund["reason"]},
        )
    state.commit_order(rec, order, source, str(rec.order.get("status")), ts=ts)
    return refund


def refund_error_response(exc: RefundError) -> web.Response:
    """The refusal in WooCommerce's shape; ``wc_create_refund`` failures, which WooCommerce
    answers with 500, are answered 400 here (a client's mistake is never a 500)."""
    wire = exc.to_wire()
    status = 400 if exc.status >= 500 else exc.status
    wire["data"]["status"] = status
    return wp_json(wire, status=status)


async def post_refund(request: web.Request) -> web.Response:
    require(request, "cannot_create")
    state = shop(request).state
    rec = _parent(state, route_id(request))
    try:
        refund = create_refund(state, rec, body(request), "rest")
    except RefundError as exc:
        return refund_error_response(exc)
    return wp_json(render(request, rec.id, refund), status=201)
