"""``GET /wp-json/wc/v3``: the REST namespace index, as WordPress answers it.

WordPress registers every namespace's root as a public route
(``WP_REST_Server::get_namespace_index``): no authentication, and the answer lists the
namespace's routes (regex paths such as ``/wc/v3/orders/(?P<id>[\\d]+)``), each with its
methods and endpoints, plus an ``up`` link to ``/wp-json/``. Clients and people use it to
check that the API is there before configuring keys.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from fakeshop.rest.common import API_PREFIX
from fakeshop.rest.describe import describe, route_methods

NAMESPACE = API_PREFIX.removeprefix("/wp-json/")


def _site(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


def _routes(request: web.Request) -> dict[str, dict[str, Any]]:
    """Every route of the namespace in WordPress's regex form, with its methods and each
    endpoint's args (:mod:`fakeshop.rest.describe`, which ``OPTIONS`` answers from too)."""
    methods = route_methods(request.app)
    return {path: describe(path, methods[path], request, False) for path in sorted(methods)}


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
