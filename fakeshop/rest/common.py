"""What every WooCommerce REST handler shares: JSON in and out as WordPress does it,
argument validation with ``rest_invalid_param``, permission checks, pagination headers."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from fakeshop.config import ApiKey
from fakeshop.context import FAKESHOP_KEY, Shop
from fakeshop.errors import WooError, invalid_param
from fakeshop.webhooks.payload import php_json

API_PREFIX = "/wp-json/wc/v3"
#: the parsed request body (JSON object or form fields)
BODY: web.RequestKey[dict[str, Any]] = web.RequestKey("wc_body", dict)
#: the API key the request authenticated as (absent when unauthenticated)
API_KEY: web.RequestKey[ApiKey] = web.RequestKey("wc_api_key", ApiKey)


def shop(request: web.Request) -> Shop:
    return request.app[FAKESHOP_KEY]


def wp_json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """A REST response body as ``WP_REST_Server`` writes it (``wp_json_encode``)."""
    return web.Response(
        body=php_json(data),
        status=status,
        content_type="application/json",
        charset="UTF-8",
        headers=headers,
    )


def require(request: web.Request, kind: str) -> None:
    """Permission callback: an unauthenticated request gets 401 with the route's code."""
    if request.get(API_KEY) is None:
        raise WooError(kind)


def body(request: web.Request) -> dict[str, Any]:
    return request.get(BODY) or {}


def param(request: web.Request, name: str) -> Any:
    """``$request[name]``: JSON body wins over query string, as in WP_REST_Request."""
    b = body(request)
    if name in b:
        return b[name]
    return request.query.get(name)


def int_param(
    request: web.Request, name: str, default: int, minimum: int, maximum: int | None = None
) -> int:
    raw = param(request, name)
    if raw is None or raw == "":
        return default
    try:
        value = int(str(raw))
    except ValueError as exc:
        raise invalid_param(**{name: f"{name} is not of type integer."}) from exc
    if value < minimum or (maximum is not None and value > maximum):
        if maximum is None:
            raise invalid_param(**{name: f"{name} must be greater than or equal to {minimum}"})
        raise invalid_param(
            **{name: f"{name} must be between {minimum} (inclusive) and {maximum} (inclusive)"}
        )
    return value


def enum_param(request: web.Request, name: str, default: str, allowed: Sequence[str]) -> str:
    raw = param(request, name)
    if raw is None or raw == "":
        return default
    value = str(raw)
    if value not in allowed:
        raise invalid_param(**{name: f"{name} is not one of {', '.join(allowed)}."})
    return value


def bool_param(request: web.Request, name: str, default: bool = False) -> bool:
    raw = param(request, name)
    if raw is None or raw == "":
        return default
    if isinstance(raw, bool):
        return raw
    text = str(raw).lower()
    if text in ("1", "true", "yes"):
        return True
    if text in ("0", "false", "no"):
        return False
    raise invalid_param(**{name: f"{name} is not of type boolean."})


def route_id(request: web.Request, name: str = "id") -> int:
    return int(request.match_info[name])


def paginate(
    request: web.Request, items: list[Any], page: int, per_page: int
) -> tuple[list[Any], dict[str, str]]:
    """Slice one page and build ``X-WP-Total``, ``X-WP-TotalPages`` and ``Link``."""
    total = len(items)
    pages = math.ceil(total / per_page) if total else 0
    chunk = items[(page - 1) * per_page : page * per_page]
    headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)}
    base = f"{request.scheme}://{request.host}{request.path}"
    query = {
        k: v
        for k, v in request.query.items()
        if not k.startswith("oauth_") and k not in ("consumer_key", "consumer_secret")
    }
    links = []
    if page > 1:
        prev_page = min(page - 1, max(pages, 1))
        links.append(f'<{base}?{urlencode({**query, "page": prev_page})}>; rel="prev"')
    if pages > page:
        links.append(f'<{base}?{urlencode({**query, "page": page + 1})}>; rel="next"')
    if links:
        headers["Link"] = ", ".join(links)
    return chunk, headers


def links(request: web.Request, path: str, collection: str) -> dict[str, Any]:
    base = f"{request.scheme}://{request.host}{API_PREFIX}"
    return {
        "self": [{"href": f"{base}/{path}"}],
        "collection": [{"href": f"{base}/{collection}"}],
    }
