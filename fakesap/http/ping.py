"""``GET /ping/`` and ``GET /ping/node``: the Service Layer's health checks (SL 10.0+).

The load balancer answers ``/ping/`` itself; its rewrite rules send ``/ping/node`` and
``/ping/node/<N>`` to a node's ``/b1s/ping/node``, and any ``/ping/node/<other>`` back to
the balancer's own ping. Neither needs a session. Bodies carry ``message: "pong"``, the
``sender`` and a Unix ``timestamp``, as the real components send.
"""

from __future__ import annotations

from aiohttp import web

from fakesap.backend import FakeSap
from fakesap.http.wire import json_response

BALANCER = "SAP Business One Service Layer Load Balancer"


def add_ping_routes(app: web.Application, state: FakeSap) -> None:
    node = state.config.route_node

    def pong(sender: str) -> web.Response:
        return json_response({"message": "pong", "sender": sender, "timestamp": int(state.clock())})

    async def balancer(request: web.Request) -> web.Response:
        return pong(BALANCER)

    async def this_node(request: web.Request) -> web.Response:
        wanted = request.match_info.get("node")
        if wanted is not None and wanted != str(node):
            return pong(BALANCER)  # the balancer's catch-all rewrite rule
        return pong(f"SAP Business One Service Layer Node {node}")

    for path in ("/ping", "/ping/"):
        app.router.add_get(path, balancer)
    for path in ("/ping/node", "/ping/node/", "/ping/node/{node}", "/b1s/ping/node"):
        app.router.add_get(path, this_node)
