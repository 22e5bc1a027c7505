"""``/wc/v3/orders/{id}/notes``: order notes are WordPress comments on the order; a bridge
writes its confirmation here (``SAP sales order N created ...``)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from fakeshop.errors import WooError, invalid_param
from fakeshop.rest.common import body, enum_param, links, require, route_id, shop, wp_json
from fakeshop.store import ShopState


def _order_id(
    request: web.Request, state: ShopState, missing: str = "parent_order_invalid_id"
) -> int:
    oid = route_id(request)
    rec = state.orders.get(oid)
    if rec is None or rec.deleted:
        raise WooError(missing)
    return oid


def render(request: web.Request, oid: int, note: dict[str, Any]) -> dict[str, Any]:
    return {
        **note,
        "_links": {
            **links(request, f"orders/{oid}/notes/{note['id']}", f"orders/{oid}/notes"),
            "up": [{"href": f"{request.scheme}://{request.host}/wp-json/wc/v3/orders/{oid}"}],
        },
    }


async def list_notes(request: web.Request) -> web.Response:
    require(request, "cannot_list")
    state = shop(request).state
    oid = _order_id(request, state, "notes_parent_invalid_id")
    kind = enum_param(request, "type", "any", ("any", "customer", "internal"))
    notes = [
        n
        for n in reversed(state.notes.get(oid, []))
        if kind == "any" or (kind == "customer") == bool(n["customer_note"])
    ]
    return wp_json([render(request, oid, n) for n in notes])


async def get_note(request: web.Request) -> web.Response:
    require(request, "cannot_view")
    state = shop(request).state
    oid = _order_id(request, state)
    nid = route_id(request, "note_id")
    note = next((n for n in state.notes.get(oid, []) if n["id"] == nid), None)
    if note is None:
        raise WooError("order_note_invalid_id")
    return wp_json(render(request, oid, note))


async def create_note(request: web.Request) -> web.Response:
    require(request, "cannot_create")
    state = shop(request).state
    oid = _order_id(request, state)
    data = body(request)
    text = data.get("note", request.query.get("note"))
    if text is None or text == "":
        raise WooError("missing_param", {"names": "note"})
    if not isinstance(text, str):
        raise invalid_param(note="note is not of type string.")
    customer_note = bool(data.get("customer_note", False))
    by_user = bool(data.get("added_by_user", False))
    ts = state.now()
    note = {
        "id": state.next_note_id(),
        "author": "admin" if by_user else "system",
        **state.dates("date_created", ts),
        "note": text,
        "customer_note": customer_note,
    }
    state.notes.setdefault(oid, []).append(note)
    state.record_received(
        "note", oid, {"id": note["id"], "note": text, "customer_note": customer_note}
    )
    loc = f"{request.scheme}://{request.host}/wp-json/wc/v3/orders/{oid}/notes/{note['id']}"
    return wp_json(render(request, oid, note), status=201, headers={"Location": loc})
