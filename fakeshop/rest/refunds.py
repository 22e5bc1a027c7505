"""``/wc/v3/orders/{id}/refunds``: refunds are posts of their own (ids from the order
sequence); a refund that brings the remaining amount to zero marks the order refunded."""

from __future__ import annotations

import copy
from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web

from fakeshop.errors import WooError, invalid_param
from fakeshop.orders_model import change_status, fmt, money, refund_amount_from_lines, refundable
from fakeshop.rest.common import body, links, require, route_id, shop, wp_json
from fakeshop.store import OrderRecord, ShopState


def _parent(state: ShopState, oid: int) -> OrderRecord:
    rec = state.orders.get(oid)
    if rec is None or rec.deleted:
        raise WooError("parent_order_invalid_id")
    return rec


def render(request: web.Request, oid: int, refund: dict[str, Any]) -> dict[str, Any]:
    return {
        **refund,
        "_links": links(request, f"orders/{oid}/refunds/{refund['id']}", f"orders/{oid}/refunds"),
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
    """``wc_create_refund`` + ``wc_order_fully_refunded``; fires ``order.updated``."""
    lines = data.get("line_items") or []
    if not isinstance(lines, list) or not all(isinstance(x, dict) for x in lines):
        raise invalid_param(line_items="line_items is not of type array.")
    try:
        if data.get("amount") not in (None, ""):
            amount = money(data["amount"])
        else:
            amount = refund_amount_from_lines(lines)
    except (InvalidOperation, ValueError) as exc:
        raise invalid_param(amount="amount is not of type string.") from exc
    if amount <= 0:
        raise WooError("refund_amount_zero")
    refunds = state.refunds.setdefault(rec.id, [])
    remaining = refundable(rec.order, refunds)
    if amount > remaining:
        raise WooError("refund_amount_invalid")
    ts = state.now()
    api_refund = data.get("api_refund", True) not in (False, "false", "0", 0)
    refund: dict[str, Any] = {
        "id": state.next_post_id(),
        **state.dates("date_created", ts),
        "amount": fmt(amount),
        "reason": str(data.get("reason") or ""),
        "refunded_by": 1,
        "refunded_payment": bool(api_refund),
        "meta_data": [],
        "line_items": [
            {
                "id": int(li.get("id", 0) or 0),
                "quantity": -abs(int(li.get("quantity", 0) or 0)),
                "total": fmt(-money(li.get("refund_total", "0") or "0")),
            }
            for li in lines
        ],
        "shipping_lines": [],
        "tax_lines": [],
        "fee_lines": [],
    }
    refunds.append(refund)
    order = copy.deepcopy(rec.order)
    order.setdefault("refunds", []).insert(
        0, {"id": refund["id"], "reason": refund["reason"], "total": fmt(-amount)}
    )
    prev = str(order.get("status"))
    if remaining - amount == Decimal("0"):
        change_status(order, "refunded", ts, state.config.utc_offset_hours)
    if source == "rest":
        state.record_received(
            "refund",
            rec.id,
            {"id": refund["id"], "amount": refund["amount"], "reason": refund["reason"]},
        )
    state.commit_order(rec, order, source, prev, ts=ts)
    return refund


async def post_refund(request: web.Request) -> web.Response:
    require(request, "cannot_create")
    state = shop(request).state
    rec = _parent(state, route_id(request))
    refund = create_refund(state, rec, body(request), "rest")
    return wp_json(render(request, rec.id, refund), status=201)
