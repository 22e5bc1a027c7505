"""Ground truth under ``/__admin/`` (the WireMock convention), read by the oracle.

Never reachable through ``/b1s``: every document ever created with its commit time and
the request that created it, the request journal, sessions, reset and master-data upload,
and the OpenAPI description of the emulated subset.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from aiohttp import web

from fakesap.backend import FakeSap
from fakesap.errors import SLError
from fakesap.http.wire import json_response
from fakesap.journal import iso_ms, request_for_json


def openapi_text() -> str:
    return resources.files("fakesap").joinpath("openapi.json").read_text("utf-8")


def add_admin_routes(app: web.Application, state: FakeSap) -> None:
    async def documents(request: web.Request) -> web.Response:
        wanted = request.query.get("entity_set")
        # ``?since=N``: only the records after the first N (an incremental cursor; the
        # answer's ``next`` is the cursor for the following call)
        since = request.query.get("since", "0")
        start = int(since) if since.isdigit() else 0
        out: list[dict[str, Any]] = []
        for rec in state.truth[start:]:
            if wanted and rec.entity_set != wanted:
                continue
            out.append(
                {
                    "entity_set": rec.entity_set,
                    "object_type": rec.object_type,
                    "DocEntry": rec.doc_entry,
                    "DocNum": rec.doc_num,
                    "committed_at": iso_ms(rec.committed_at),
                    "request_id": rec.request_id,
                    "request": request_for_json(rec.request),
                    "document": state.docs[rec.entity_set].get(rec.doc_entry),
                }
            )
        return json_response({"documents": out, "next": len(state.truth)})

    async def journal(request: web.Request) -> web.Response:
        raw = request.query.get("limit")
        limit = int(raw) if raw and raw.isdigit() else None
        return json_response(
            {"requests": state.journal.render(limit), "total": state.journal.total}
        )

    async def reset(_request: web.Request) -> web.Response:
        state.reset()
        return json_response({"reset": True})

    async def master_data(request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError as exc:
            raise SLError.of("invalid_json", detail=str(exc)[:120]) from None
        if not isinstance(body, dict):
            raise SLError.of("invalid_json", detail="expected a JSON object")
        return json_response({"loaded": state.load_master_data(body)})

    async def sessions(request: web.Request) -> web.Response:
        if request.method == "DELETE":
            return json_response({"dropped": state.sessions.drop_all()})
        return json_response({"sessions": state.sessions.ids()})

    async def uniqueness_guard(request: web.Request) -> web.Response:
        if request.method == "PUT":
            try:
                body = await request.json()
            except ValueError as exc:
                raise SLError.of("invalid_json", detail=str(exc)[:120]) from None
            udf = body.get("udf") if isinstance(body, dict) else None
            if not isinstance(body, dict) or not (udf is None or isinstance(udf, str)):
                raise SLError.of("invalid_json", detail='expected {"udf": "U_Name" | null}')
            if udf and not udf.startswith("U_"):
                raise SLError.of("invalid_value", name="udf", value=udf[:60])
            state.set_uniqueness_guard(udf)
        return json_response({"udf": state.config.uniqueness_guard_udf})

    async def openapi(_request: web.Request) -> web.Response:
        return web.Response(text=openapi_text(), content_type="application/json")

    async def health(_request: web.Request) -> web.Response:
        return json_response(
            {
                "status": "ok",
                "documents": len(state.truth),
                "sessions": len(state.sessions),
                "requests": state.journal.total,
                "writes": state.journal.writes,
            }
        )

    app.router.add_get("/__admin/documents", documents)
    app.router.add_get("/__admin/journal", journal)
    app.router.add_post("/__admin/reset", reset)
    app.router.add_post("/__admin/master-data", master_data)
    app.router.add_route("GET", "/__admin/sessions", sessions)
    app.router.add_route("DELETE", "/__admin/sessions", sessions)
    app.router.add_route("GET", "/__admin/uniqueness-guard", uniqueness_guard)
    app.router.add_route("PUT", "/__admin/uniqueness-guard", uniqueness_guard)
    app.router.add_get("/__admin/openapi.json", openapi)
    app.router.add_get("/__admin/health", health)
