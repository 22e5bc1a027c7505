"""Fast reading of the two SL cookies from the ``Cookie`` header (no SimpleCookie parse)."""

from __future__ import annotations

from aiohttp import web


def _unquote(value: str) -> str:
    if value[:1] == '"' and len(value) >= 2 and value[-1] == '"':
        return value[1:-1]
    return value


def cookie(request: web.Request, name: str) -> str | None:
    header = request.headers.get("Cookie")
    if not header:
        return None
    prefix = name + "="
    for part in header.split(";"):
        part = part.strip()
        if part.startswith(prefix):
            value = part[len(prefix) :]
            return _unquote(value) if value[:1] == '"' else value
    return None


def sl_cookies(request: web.Request) -> tuple[str | None, str | None]:
    """``(B1SESSION, ROUTEID)`` in one pass over the header; the first of each name wins."""
    header = request.headers.get("Cookie")
    if not header:
        return None, None
    session = route = None
    for part in header.split(";"):
        part = part.strip()
        if session is None and part.startswith("B1SESSION="):
            session = part[10:]
            if session[:1] == '"':
                session = _unquote(session)
        elif route is None and part.startswith("ROUTEID="):
            route = part[8:]
            if route[:1] == '"':
                route = _unquote(route)
    return session, route
