"""The core middleware: SL error rendering and the request journal, in one layer.

Whatever goes wrong below, a ``/b1s`` client gets the Service Layer's error object in its
flavour's shape: SL errors with their status and code, aiohttp's own 404/405/413 mapped to
SL errors, and a real bug as a 500 SL error (logged) without a traceback on the wire.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from fakesap.backend import FakeSap
from fakesap.errors import SLError
from fakesap.http.cookies import cookie
from fakesap.http.keys import REQUEST_ID_KEY
from fakesap.http.routes import version_of
from fakesap.http.wire import error_response
from fakesap.journal import JournalEntry
from fakesap.odata import QueryError
from sapchaos.logs import get_logger

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


HTTP_ERRORS = {
    404: lambda req, exc: SLError.of("resource_not_found", segment=req.path[:80]),
    405: lambda req, exc: with_allow(
        SLError.of("method_not_allowed", method=req.method, segment=req.path[:80]),
        sorted(getattr(exc, "allowed_methods", ()) or ()),
    ),
    413: lambda req, exc: SLError.of("request_too_large"),
    415: lambda req, exc: SLError.of("unsupported_media_type", content_type=req.content_type),
}


def with_allow(err: SLError, methods: list[str]) -> SLError:
    """A 405 names the methods the resource does allow (RFC 9110 §15.5.6)."""
    if methods:
        err.headers = {"Allow": ", ".join(methods)}
    return err


def error_answer(request: web.Request, exc: Exception, log: Any) -> web.StreamResponse:
    """The SL error answer for whatever a handler raised; a redirect is raised again."""
    version = version_of(request)
    if isinstance(exc, SLError):
        return error_response(exc, version)
    if isinstance(exc, QueryError):
        return error_response(exc.sl_error(), version)
    if isinstance(exc, web.HTTPException):
        if exc.status < 400:
            raise exc
        make = HTTP_ERRORS.get(exc.status)
        mapped = make(request, exc) if make else SLError(exc.status, -1000, exc.reason)
        return error_response(mapped, version)
    if isinstance(exc, RecursionError):  # JSON nested too deeply for any parser on the way
        return error_response(SLError.of("invalid_json", detail="nested too deeply"), version)
    if isinstance(exc, ConnectionResetError):
        raise exc
    log.exception("unhandled_error", method=request.method, path=request.path)
    return error_response(SLError.of("internal_error"), version)


def make_sl_middleware(state: FakeSap, fault_key: web.RequestKey[dict[str, Any]]) -> Any:
    """The outermost middleware: SL error rendering for every request, and for ``/b1s``
    requests the journal entry (id, time, method, path, status, duration, session, and the
    fault the fault engine recorded under ``fault_key``). One middleware, not two: each
    layer costs every request a coroutine."""
    journal = state.journal
    clock = state.clock
    perf_counter = time.perf_counter
    log = get_logger("fakesap.http")

    @web.middleware
    async def sl_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith("/b1s/"):
            try:
                return await handler(request)
            except Exception as exc:
                return error_answer(request, exc, log)
        request_id = journal.next_id()
        request[REQUEST_ID_KEY] = request_id
        at = clock()
        started = perf_counter()
        status = 500
        try:
            try:
                response = await handler(request)
            except Exception as exc:
                response = error_answer(request, exc, log)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        except asyncio.CancelledError:
            status = 499  # the client went away before an answer (nginx's convention)
            raise
        finally:
            journal.add(
                new_entry(
                    JournalEntry,
                    (
                        request_id,
                        at,
                        request.method,
                        request.path,
                        request.query_string,
                        status,
                        round((perf_counter() - started) * 1000, 3),
                        cookie(request, "B1SESSION"),
                        request.get(fault_key),
                    ),
                )
            )

    return sl_middleware


#: builds a JournalEntry from a plain tuple without the NamedTuple's Python-level __new__
new_entry = tuple.__new__
