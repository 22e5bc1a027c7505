"""The Toxiproxy HTTP API (v2) as a thin aiohttp layer over a ProxyCollection.

Routes, status codes and error bodies follow Toxiproxy's ``api.go``: JSON bodies,
``{"error", "status"}`` on failure, 201 for proxy creation and populate, 200 for toxic
creation, 204 for deletes and reset. POST and PATCH both update proxies and toxics.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from scenarios.proxy.collection import PopulateError, ProxyCollection
from scenarios.proxy.errors import ERRORS, ApiError

#: the Toxiproxy release whose API this server follows
API_VERSION = "2.12.0"
VERSION = f"{API_VERSION}-sapchaos"

COLLECTION: web.AppKey[ProxyCollection] = web.AppKey("collection", ProxyCollection)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(text=json.dumps(data), status=status, content_type="application/json")


def _error(exc: ApiError) -> web.Response:
    return _json(exc.body(), status=exc.status)


async def _body(request: web.Request) -> Any:
    raw = await request.read()
    try:
        return json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError.of("bad_request_body", str(exc)) from None


@web.middleware
async def api_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn ApiError into Toxiproxy's JSON error; refuse browsers like the real server."""
    if request.headers.get("User-Agent", "").startswith("Mozilla/"):
        refused = ERRORS["browser_refused"]  # plain text, as Go's http.Error sends it
        return web.Response(status=refused.status, text=refused.message + "\n")
    try:
        return await handler(request)
    except ApiError as exc:
        return _error(exc)


def _collection(request: web.Request) -> ProxyCollection:
    return request.app[COLLECTION]


async def version(request: web.Request) -> web.Response:
    return web.Response(
        text=json.dumps({"version": VERSION}) + "\n",
        content_type="application/json",
        charset="utf-8",
    )


async def reset(request: web.Request) -> web.Response:
    await _collection(request).reset()
    return web.Response(status=204)


async def proxy_index(request: web.Request) -> web.Response:
    proxies = _collection(request).proxies
    return _json({name: p.as_json() for name, p in proxies.items()})


async def proxy_create(request: web.Request) -> web.Response:
    proxy = await _collection(request).create(await _body(request))
    return _json(proxy.as_json(), status=201)


async def populate(request: web.Request) -> web.Response:
    try:
        proxies = await _collection(request).populate(await _body(request))
    except PopulateError as exc:
        body = {**exc.error.body(), "proxies": [p.as_json() for p in exc.done]}
        return _json(body, status=exc.error.status)
    except ApiError as exc:
        return _json({**exc.body(), "proxies": None}, status=exc.status)
    return _json({"proxies": [p.as_json() for p in proxies]}, status=201)


async def proxy_show(request: web.Request) -> web.Response:
    return _json(_collection(request).get(request.match_info["proxy"]).as_json())


async def proxy_update(request: web.Request) -> web.Response:
    collection = _collection(request)
    name = request.match_info["proxy"]
    collection.get(name)  # 404 before looking at the body, like the reference server
    proxy = await collection.update(name, await _body(request))
    return _json(proxy.as_json())


async def proxy_delete(request: web.Request) -> web.Response:
    _collection(request).remove(request.match_info["proxy"])
    return web.Response(status=204)


async def toxic_index(request: web.Request) -> web.Response:
    proxy = _collection(request).get(request.match_info["proxy"])
    return _json(proxy.toxics.as_json())


async def toxic_create(request: web.Request) -> web.Response:
    proxy = _collection(request).get(request.match_info["proxy"])
    return _json(proxy.add_toxic(await _body(request)).as_json())


async def toxic_show(request: web.Request) -> web.Response:
    proxy = _collection(request).get(request.match_info["proxy"])
    return _json(proxy.toxics.get(request.match_info["toxic"]).as_json())


async def toxic_update(request: web.Request) -> web.Response:
    proxy = _collection(request).get(request.match_info["proxy"])
    proxy.toxics.get(request.match_info["toxic"])
    entry = proxy.update_toxic(request.match_info["toxic"], await _body(request))
    return _json(entry.as_json())


async def toxic_delete(request: web.Request) -> web.Response:
    proxy = _collection(request).get(request.match_info["proxy"])
    proxy.remove_toxic(request.match_info["toxic"])
    return web.Response(status=204)


async def metrics(request: web.Request) -> web.Response:
    """A few Prometheus gauges (the reference server's /metrics is optional)."""
    lines = [
        "# HELP toxiproxy_proxy_connections Live client connections per proxy.",
        "# TYPE toxiproxy_proxy_connections gauge",
    ]
    for name, proxy in _collection(request).proxies.items():
        lines.append(f'toxiproxy_proxy_connections{{proxy="{name}"}} {len(proxy.connections)}')
    return web.Response(text="\n".join(lines) + "\n", content_type="text/plain")


async def _close_proxies(app: web.Application) -> None:
    app[COLLECTION].clear()


def create_app(collection: ProxyCollection) -> web.Application:
    """The API app over ``collection``; proxies are closed when the app shuts down."""
    app = web.Application(middlewares=[api_errors])
    app[COLLECTION] = collection
    app.on_shutdown.append(_close_proxies)
    r = app.router
    r.add_post("/reset", reset)
    r.add_get("/proxies", proxy_index)
    r.add_post("/proxies", proxy_create)
    r.add_post("/populate", populate)
    r.add_get("/proxies/{proxy}", proxy_show)
    r.add_post("/proxies/{proxy}", proxy_update)
    r.add_patch("/proxies/{proxy}", proxy_update)
    r.add_delete("/proxies/{proxy}", proxy_delete)
    r.add_get("/proxies/{proxy}/toxics", toxic_index)
    r.add_post("/proxies/{proxy}/toxics", toxic_create)
    r.add_get("/proxies/{proxy}/toxics/{toxic}", toxic_show)
    r.add_post("/proxies/{proxy}/toxics/{toxic}", toxic_update)
    r.add_patch("/proxies/{proxy}/toxics/{toxic}", toxic_update)
    r.add_delete("/proxies/{proxy}/toxics/{toxic}", toxic_delete)
    r.add_get("/version", version)
    r.add_get("/metrics", metrics)
    return app
