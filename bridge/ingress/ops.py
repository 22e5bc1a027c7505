"""Ops API: quarantine, dead letters (list, show, replay one or all), stats, metrics.

What an on-call person needs when SAP refused an order at 3 a.m.: see why, fix the master
data in SAP, replay — and be sure the replay creates the document exactly once.
"""

from __future__ import annotations

import base64
import dataclasses
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bridge.ingress.webhooks import error
from bridge.metrics import Metrics
from bridge.store.base import DeadLetterRow, QuarantineEntry, Store


def quarantine_json(q: QuarantineEntry, with_body: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": q.id,
        "kind": q.kind,
        "source": q.source,
        "topic": q.topic,
        "reason": q.reason,
        "received_at": q.received_at,
        "headers": dict(q.headers),
        "size": len(q.body),
    }
    if with_body:
        try:
            out["body"] = q.body.decode("utf-8")
        except UnicodeDecodeError:
            out["body_base64"] = base64.b64encode(q.body).decode()
    return out


def dlq_json(d: DeadLetterRow) -> dict[str, Any]:
    return dataclasses.asdict(d)


#: row ids and limits are SQL BIGINTs; anything larger cannot name a row
MAX_SQL_INT = 2**63 - 1


def _int(request: web.Request, name: str) -> int | None:
    try:
        value = int(request.match_info[name])
    except (KeyError, ValueError):
        return None
    return value if 0 <= value <= MAX_SQL_INT else None


def _query_int(request: web.Request, name: str, default: int) -> int:
    try:
        return min(MAX_SQL_INT, max(0, int(request.query.get(name, default))))
    except ValueError:
        return default


def add_ops_routes(
    app: web.Application, store: Store, metrics: Metrics, extra_stats: Any = None
) -> None:
    async def list_quarantine(request: web.Request) -> web.Response:
        rows = await store.list_quarantine(
            _query_int(request, "limit", 100),
            _query_int(request, "offset", 0),
            request.query.get("kind"),
        )
        return web.json_response({"quarantine": [quarantine_json(q) for q in rows]})

    async def show_quarantine(request: web.Request) -> web.Response:
        qid = _int(request, "id")
        row = await store.get_quarantine(qid) if qid is not None else None
        if row is None:
            return error(404, "not_found", "No such quarantine entry.")
        return web.json_response(quarantine_json(row, with_body=True))

    async def list_dlq(request: web.Request) -> web.Response:
        rows = await store.list_dead_letters(
            _query_int(request, "limit", 100),
            _query_int(request, "offset", 0),
            request.query.get("all") in ("1", "true"),
        )
        return web.json_response({"dead_letters": [dlq_json(d) for d in rows]})

    async def show_dlq(request: web.Request) -> web.Response:
        did = _int(request, "id")
        row = await store.get_dead_letter(did) if did is not None else None
        if row is None:
            return error(404, "not_found", "No such dead letter.")
        return web.json_response(dlq_json(row))

    async def replay_dlq(request: web.Request) -> web.Response:
        did = _int(request, "id")
        row = await store.get_dead_letter(did) if did is not None else None
        if row is None or did is None:
            return error(404, "not_found", "No such dead letter.")
        ok = await store.replay_dead_letter(did)
        if not ok:
            return error(409, "already_replayed", f"Dead letter {did} was already replayed.")
        return web.json_response({"replayed": [did]})

    async def replay_all(_request: web.Request) -> web.Response:
        n = await store.replay_all_dead_letters()
        return web.json_response({"replayed": n})

    async def stats(_request: web.Request) -> web.Response:
        out = await store.counts()
        if extra_stats is not None:
            out.update(extra_stats())
        return web.json_response(out)

    async def metrics_view(_request: web.Request) -> web.Response:
        body = generate_latest(metrics.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    app.router.add_get("/ops/quarantine", list_quarantine)
    app.router.add_get("/ops/quarantine/{id}", show_quarantine)
    app.router.add_get("/ops/dlq", list_dlq)
    app.router.add_post("/ops/dlq/replay-all", replay_all)
    app.router.add_get("/ops/dlq/{id}", show_dlq)
    app.router.add_post("/ops/dlq/{id}/replay", replay_dlq)
    app.router.add_get("/ops/stats", stats)
    app.router.add_get("/metrics", metrics_view)
