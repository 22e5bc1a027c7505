"""A tiny in-memory Service Layer for worker tests that need to script SAP's answers."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


def sl_error(status: int, code: int, message: str) -> web.Response:
    return web.json_response(
        {"error": {"code": code, "message": {"lang": "en-us", "value": message}}}, status=status
    )


@dataclass
class SLStub:
    orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)
    #: queue of scripted answers for POST Orders: "ok", "lost" (commit then 502), "reject", "slow" (1.5 s, then commit)
    script: list[str] = field(default_factory=list)
    down: bool = False

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/b1s/v1/Login", self.login)
        app.router.add_route("*", "/b1s/v1/{tail:.*}", self.handle)
        return app

    async def login(self, _request: web.Request) -> web.Response:
        resp = web.json_response({"SessionId": "s1", "SessionTimeout": 30})
        resp.set_cookie("B1SESSION", "s1")
        return resp

    async def handle(self, request: web.Request) -> web.Response:
        tail = request.match_info["tail"]
        self.calls.append((request.method, tail))
        if self.down:
            return web.Response(status=503, text="down")
        if request.method == "POST" and tail == "Orders":
            mode = self.script.pop(0) if self.script else "ok"
            if mode == "reject":
                return sl_error(400, -10, "Item 'X' is inactive  [RDR1.ItemCode][line: 1]")
            body = await request.json()
            if mode == "slow":
                await asyncio.sleep(1.5)
            entry = len(self.orders) + 1
            doc = {**body, "DocEntry": entry, "DocNum": 100 + entry, "Cancelled": "tNO"}
            self.orders[entry] = doc
            if mode == "lost":
                return web.Response(status=502, text="<html>502</html>")
            return web.json_response(doc, status=201)
        if request.method == "GET" and tail == "Orders":
            m = re.match(r"U_IdemKey eq '(.*)'$", request.query.get("$filter", ""))
            key = m.group(1).replace("''", "'") if m else None
            return web.json_response(
                {"value": [d for d in self.orders.values() if d.get("U_IdemKey") == key]}
            )
        m = re.match(r"Orders\((\d+)\)(/Cancel)?$", tail)
        if m:
            found = self.orders.get(int(m.group(1)))
            if found is None:
                return sl_error(404, -2028, "No matching records found (ODBC -2028)")
            doc = found
            if m.group(2):
                doc["Cancelled"] = "tYES"
                return web.Response(status=204)
            if request.method == "PATCH":
                doc.update(await request.json())
                return web.Response(status=204)
            return web.json_response(doc)
        return sl_error(404, -1, f"Resource not found for the segment '{tail}'")
