"""``/__admin/backoffice``: what the back office did, and a manual tick for tests/scenarios."""

from __future__ import annotations

from aiohttp import web

from fakesap.backoffice.simulation import BackOffice


def add_admin_routes(app: web.Application, office: BackOffice) -> None:
    async def show(_request: web.Request) -> web.Response:
        return web.json_response(office.snapshot())

    async def tick(_request: web.Request) -> web.Response:
        return web.json_response(await office.tick())

    app.router.add_get("/__admin/backoffice", show)
    app.router.add_post("/__admin/backoffice/tick", tick)
