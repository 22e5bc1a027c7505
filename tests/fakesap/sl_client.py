"""A plain-HTTP Service Layer client for the conformance tests (what any SL client does:
cookies from Login, JSON bodies, SL error bodies), with amounts parsed as Decimal."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer

LOGIN = {"CompanyDB": "SBODEMOES", "UserName": "manager", "Password": "manager"}


class Reply:
    def __init__(self, status: int, text: str, headers: Any) -> None:
        self.status = status
        self.text = text
        self.headers = headers
        try:
            self.json: Any = json.loads(text, parse_float=Decimal) if text else None
        except ValueError:
            self.json = None

    @property
    def error(self) -> dict[str, Any]:
        assert self.json is not None and "error" in self.json, self.text
        return self.json["error"]

    def __repr__(self) -> str:
        return f"Reply({self.status}, {self.text[:300]!r})"


class SL:
    def __init__(
        self, server: TestServer, http: aiohttp.ClientSession, version: str = "v1"
    ) -> None:
        self.server = server
        self.http = http
        self.version = version

    def url(self, path: str) -> str:
        if path.startswith("/"):
            return str(self.server.make_url(path))
        return str(self.server.make_url(f"/b1s/{self.version}/{path}"))

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        raw: bytes | str | None = None,
    ) -> Reply:
        kwargs: dict[str, Any] = {"headers": headers or {}}
        if raw is not None:
            kwargs["data"] = raw
        elif body is not None:
            kwargs["data"] = json.dumps(body, default=str)
            kwargs["headers"].setdefault("Content-Type", "application/json")
        async with self.http.request(method, self.url(path), **kwargs) as r:
            return Reply(r.status, await r.text(), r.headers)

    async def login(self, **override: str) -> Reply:
        return await self.call("POST", "Login", {**LOGIN, **override})

    async def get(self, path: str, **kw: Any) -> Reply:
        return await self.call("GET", path, **kw)

    async def post(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return await self.call("POST", path, body, **kw)

    async def patch(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return await self.call("PATCH", path, body, **kw)

    async def create(self, entity_set: str, body: dict[str, Any]) -> dict[str, Any]:
        r = await self.post(entity_set, body)
        assert r.status == 201, r
        return r.json

    async def admin(self, path: str) -> Any:
        r = await self.get(f"/__admin/{path}")
        assert r.status == 200, r
        return r.json


def order(n: int = 1, lines: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "CardCode": "C10011",
        "DocDueDate": "2026-11-30",
        "NumAtCard": f"WEB-{n}",
        "U_IdemKey": f"wc:{n}:order",
        "DocumentLines": lines or [{"ItemCode": "TSH-RED-M", "Quantity": 1, "WarehouseCode": "01"}],
        **extra,
    }


def D(x: str | int) -> Decimal:
    return Decimal(str(x))
