"""The two core middlewares: the request journal (outermost) and SL error rendering.

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


def make_journal_middleware(state: FakeSap, fault_key: web.RequestKey[dict[str, Any]]) -> Any:
    journal = state.journal
    clock = state.clock

    @web.middleware
    async def journal_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        """Record every ``/b1s`` request: id, time, method, path, status, duration, session,
        and the fault the fault engine recorded under ``fault_key``."""
        if not request.path.startswith("/b1s/"):
            return await handler(request)
        request_id = journal.next_id()
        request[REQUEST_ID_KEY] = request_id
        at = clock()
        started = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
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
                JournalEntry(
                    request_id,
                    at,
                    request.method,
                    request.path,
                    request.query_string,
                    status,
                    round((time.perf_counter() - started) * 1000, 3),
                    cookie(request, "B1SESSION"),
                    request.get(fault_key),
                )
            )

    return journal_middleware


HTTP_ERRORS = {
    404: lambda req, exc: SLError.of("resource_not_found", segment=req.path[:80]),
    405: lambda req, exc: SLError.of(
        "method_not_allowed", method=req.method, segment=req.path[:80]
    ),
    413: lambda req, exc: SLError.of("request_too_large"),
    415: lambda req, exc: SLError.of("unsupported_media_type", content_type=req.content_type),
}


def make_error_middleware() -> Any:
    log = get_logger("fakesap.http")

    @web.middleware
    async def sl_error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        version = version_of(request)
        try:
            return await handler(request)
        except SLError as err:
            return error_response(err, version)
        except QueryError as err:
            return error_response(err.sl_error(), version)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            make = HTTP_ERRORS.get(exc.status)
            mapped = make(request, exc) if make else SLError(exc.status, -1000, exc.reason)
            return error_response(mapped, version)
        except RecursionError:  # JSON nested too deeply for any parser on the way
            return error_response(SLError.of("invalid_json", detail="nested too deeply"), version)
        except (asyncio.CancelledError, ConnectionResetError):
            raise
        except Exception:
            log.exception("unhandled_error", method=request.method, path=request.path)
            return error_response(SLError.of("internal_error"), version)

    return sl_error_middleware
