"""Fast reading of the two SL cookies from the ``Cookie`` header (no SimpleCookie parse)."""

from __future__ import annotations

from aiohttp import web


def cookie(request: web.Request, name: str) -> str | None:
    header = request.headers.get("Cookie")
    if not header:
        return None
    prefix = name + "="
    for part in header.split(";"):
        part = part.strip()
        if part.startswith(prefix):
            value = part[len(prefix) :]
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            return value
    return None
