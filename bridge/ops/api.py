"""The ops JSON API under ``/ops`` (bearer token, or the dashboard's session).

What an on-call person needs when SAP refused an order at 3 a.m.: find the order and see
why, fix the master data in SAP, replay — and be sure the replay creates the document
exactly once and is recorded in the audit chain with who did it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from bridge.ops.audit import verify_store
from bridge.ops.auth import Principal, error_json
from bridge.ops.figures import Figures
from bridge.ops.views import (
    audit_json,
    dlq_json,
    order_view,
    quarantine_json,
    resolve_order,
)
from bridge.store.base import Store

#: row ids and limits are SQL BIGINTs; anything larger cannot name a row
MAX_SQL_INT = 2**63 - 1
PRINCIPAL_KEY: web.RequestKey[Principal] = web.RequestKey("ops_principal", Principal)


def principal_of(request: web.Request) -> Principal:
    return request[PRINCIPAL_KEY]


def masked_for(request: web.Request) -> bool:
    """Personal data is masked for everyone but operators."""
    return not principal_of(request).can_write


def path_int(request: web.Request, name: str) -> int | None:
    try:
        value = int(request.match_info[name])
    except (KeyError, ValueError):
        return None
    return value if 0 <= value <= MAX_SQL_INT else None


def query_int(request: web.Request, name: str, default: int) -> int:
    try:
        return min(MAX_SQL_INT, max(0, int(request.query.get(name, default))))
    except ValueError:
        return default


async def replay(
    store: Store, principal: Principal, dl_id: int | None, via: str
) -> tuple[int, dict[str, Any]]:
    """Replay one dead letter (or all, ``dl_id=None``) as ``principal``: (status, body)."""
    if dl_id is not None and await store.get_dead_letter(dl_id) is None:
        return 404, {"code": "not_found", "message": "No such dead letter."}
    done = await store.replay_audited(dl_id, principal.name, principal.role, via)
    if dl_id is not None and not done:
        return 409, {
            "code": "already_replayed",
            "message": f"Dead letter {dl_id} was already replayed.",
        }
    return 200, {"replayed": done if dl_id is not None else len(done), "ids": done}


def add_api_routes(
    app: web.Application,
    store: Store,
    figures: Figures,
    extra_stats: Callable[[], dict[str, Any]] | None = None,
) -> None:
    async def whoami(request: web.Request) -> web.Response:
        p = principal_of(request)
        return web.json_response({"name": p.name, "role": p.role, "via": p.via})

    async def list_quarantine(request: web.Request) -> web.Response:
        rows = await store.list_quarantine(
            query_int(request, "limit", 100),
            query_int(request, "offset", 0),
            request.query.get("kind"),
        )
        masked = masked_for(request)
        return web.json_response({"quarantine": [quarantine_json(q, masked=masked) for q in rows]})

    async def show_quarantine(request: web.Request) -> web.Response:
        qid = path_int(request, "id")
        row = await store.get_quarantine(qid) if qid is not None else None
        if row is None:
            return error_json(404, "not_found", "No such quarantine entry.")
        return web.json_response(quarantine_json(row, True, masked_for(request)))

    async def list_dlq(request: web.Request) -> web.Response:
        rows = await store.list_dead_letters(
            query_int(request, "limit", 100),
            query_int(request, "offset", 0),
            request.query.get("all") in ("1", "true"),
        )
        masked = masked_for(request)
        return web.json_response({"dead_letters": [dlq_json(d, masked) for d in rows]})

    async def show_dlq(request: web.Request) -> web.Response:
        did = path_int(request, "id")
        row = await store.get_dead_letter(did) if did is not None else None
        if row is None:
            return error_json(404, "not_found", "No such dead letter.")
        return web.json_response(dlq_json(row, masked_for(request)))

    async def replay_one(request: web.Request) -> web.Response:
        did = path_int(request, "id")
        if did is None:
            return error_json(404, "not_found", "No such dead letter.")
        status, body = await replay(store, principal_of(request), did, "api")
        if status != 200:
            return error_json(status, body["code"], body["message"])
        return web.json_response(body)

    async def replay_all(request: web.Request) -> web.Response:
        _status, body = await replay(store, principal_of(request), None, "api")
        return web.json_response(body)

    async def stats(_request: web.Request) -> web.Response:
        out = await store.counts()
        if extra_stats is not None:
            out.update(extra_stats())
        return web.json_response(out)

    async def key_figures(_request: web.Request) -> web.Response:
        out = dict(await figures.refresh())
        if extra_stats is not None:
            extra = extra_stats()
            out["breakers"] = extra.get("breakers")
        return web.json_response(out)

    async def show_order(request: web.Request) -> web.Response:
        oid = await resolve_order(store, request.match_info["ref"])
        view = await order_view(store, oid, masked_for(request)) if oid is not None else None
        if view is None:
            return error_json(404, "not_found", "The bridge knows no such order.")
        return web.json_response(view)

    async def audit(request: web.Request) -> web.Response:
        order = request.query.get("order")
        oid = await resolve_order(store, order) if order else None
        rows = await store.list_audit(
            oid, query_int(request, "after", 0), query_int(request, "limit", 1000)
        )
        return web.json_response({"audit": [audit_json(e) for e in rows]})

    async def audit_verify(_request: web.Request) -> web.Response:
        report = await verify_store(store)
        return web.json_response(report.as_json(), status=200 if report.ok else 409)

    app.router.add_get("/ops/whoami", whoami)
    app.router.add_get("/ops/quarantine", list_quarantine)
    app.router.add_get("/ops/quarantine/{id}", show_quarantine)
    app.router.add_get("/ops/dlq", list_dlq)
    app.router.add_post("/ops/dlq/replay-all", replay_all)
    app.router.add_get("/ops/dlq/{id}", show_dlq)
    app.router.add_post("/ops/dlq/{id}/replay", replay_one)
    app.router.add_get("/ops/stats", stats)
    app.router.add_get("/ops/figures", key_figures)
    app.router.add_get("/ops/orders/{ref}", show_order)
    app.router.add_get("/ops/audit", audit)
    app.router.add_get("/ops/audit/verify", audit_verify)
