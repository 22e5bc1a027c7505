"""The aiohttp middleware that asks the engine about each Service Layer request and
wraps the real handler in the faults that fire."""

from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import web

from fakesap.errors import ODataVersion
from fakesap.faults.base import FaultContext, Handler, RequestView
from fakesap.faults.engine import Decision, FaultEngine, Firing
from fakesap.http.cookies import cookie

SL_PATH = re.compile(r"^/b1s/(v1|v2)/(.*)$")
RESOURCE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:\((.*?)\))?")
BODY_METHODS = ("POST", "PATCH", "PUT")


async def request_view(request: web.Request) -> RequestView | None:
    """Parse an SL request (None for anything outside ``/b1s/v1`` and ``/b1s/v2``)."""
    m = SL_PATH.match(request.path)
    if m is None:
        return None
    version: ODataVersion = "v2" if m.group(1) == "v2" else "v1"
    resource = m.group(2)
    rm = RESOURCE.match(resource)
    body: Any = None
    if request.method in BODY_METHODS and request.can_read_body:
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except (ValueError, RecursionError):
            body = None  # the real handler answers the invalid (or too deeply nested) JSON
    return RequestView(
        method=request.method,
        path=request.path,
        version=version,
        resource=resource,
        entity_set=rm.group(1) if rm else None,
        key=rm.group(2) if rm else None,
        body=body,
        session_id=cookie(request, "B1SESSION"),
    )


def _wrap(firing: Firing, ctx: FaultContext, inner: Handler) -> Handler:
    async def call(_request: web.Request) -> web.StreamResponse:
        return await firing.rule.fault.apply(ctx, inner)

    return call


def chain(
    decision: Decision,
    request: web.Request,
    view: RequestView,
    state: Any,
    engine: FaultEngine,
    handler: Handler,
) -> Handler:
    """handler wrapped by the outcome fault, then by every delay fault (first rule outermost)."""
    call = handler
    for firing in reversed(decision.firings):
        ctx = FaultContext(
            request=request,
            view=view,
            rng=firing.rng(),
            state=state,
            spawn=engine.spawn,
            info=firing.info,
        )
        call = _wrap(firing, ctx, call)
    return call


def make_middleware(
    engine: FaultEngine, state: Any, fault_key: web.RequestKey[dict[str, Any]]
) -> Any:
    @web.middleware
    async def faults_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith("/b1s/"):
            return await handler(request)  # /__admin and anything else: never faulted
        if not engine.rules:
            # nothing can fire: no body parse, no draws (the RNG is only drawn for rules
            # that match), but the request still counts in ``requests_seen``
            if SL_PATH.match(request.path) is not None:
                engine.seq += 1
            return await handler(request)
        view = await request_view(request)
        if view is None:
            return await handler(request)
        decision = engine.decide(view, "sl")
        if decision is None:
            return await handler(request)
        request[fault_key] = decision.journal_entry()
        try:
            return await chain(decision, request, view, state, engine, handler)(request)
        finally:
            request[fault_key] = decision.journal_entry()  # with what the faults observed
            decision.finish()

    return faults_middleware
