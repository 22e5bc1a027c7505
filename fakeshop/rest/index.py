"""``GET /wp-json/wc/v3``: the REST namespace index, as WordPress answers it.

WordPress registers every namespace's root as a public route
(``WP_REST_Server::get_namespace_index``): no authentication, and the answer lists the
namespace's routes (regex paths such as ``/wc/v3/orders/(?P<id>[\\d]+)``), each with its
methods and endpoints, plus an ``up`` link to ``/wp-json/``. Clients and people use it to
check that the API is there before configuring keys.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from fakeshop.rest.common import API_PREFIX

NAMESPACE = API_PREFIX.removeprefix("/wp-json/")
_PARAM = re.compile(r"\{(\w+)\}")


def _site(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


def _routes(request: web.Request) -> dict[str, dict[str, Any]]:
    """Every route of the namespace in WordPress's regex form, with its methods."""
    methods: dict[str, list[str]] = {}
    for route in request.app.router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        path = info.get("path") or info.get("formatter") or ""
        if not path.startswith(API_PREFIX + "/") or path == API_PREFIX + "/":
            continue  # other namespaces, and the index itself (listed once, below)
        if route.method == "HEAD":
            continue  # aiohttp's implicit HEAD of each GET; WordPress lists GET only
        wp = _PARAM.sub(r"(?P<\1>[\\d]+)", path.removeprefix("/wp-json"))
        if route.method not in methods.setdefault(wp, []):
            methods[wp].append(route.method)
    site = _site(request)
    out: dict[str, dict[str, Any]] = {}
    for path in sorted(methods):
        verbs = methods[path]
        entry: dict[str, Any] = {
            "namespace": NAMESPACE,
            "methods": verbs,
            "endpoints": [{"methods": [m], "args": {}} for m in verbs],
        }
        if "(?P<" not in path:
            entry["_links"] = {"self": [{"href": f"{site}/wp-json{path}"}]}
        out[path] = entry
    return out


async def namespace_index(request: web.Request) -> web.Response:
    site = _site(request)
    routes = {
        f"/{NAMESPACE}": {
            "namespace": NAMESPACE,
            "methods": ["GET"],
            "endpoints": [
                {
                    "methods": ["GET"],
                    "args": {
                        "namespace": {"default": NAMESPACE, "required": False},
                        "context": {"default": "view", "required": False},
                    },
                }
            ],
            "_links": {"self": [{"href": f"{site}{API_PREFIX}"}]},
        },
        **_routes(request),
    }
    return web.json_response(
        {
            "namespace": NAMESPACE,
            "routes": routes,
            "_links": {"up": [{"href": f"{site}/wp-json/"}]},
        }
    )


def add_index_routes(app: web.Application) -> None:
    app.router.add_get(API_PREFIX, namespace_index)
    app.router.add_get(API_PREFIX + "/", namespace_index)
