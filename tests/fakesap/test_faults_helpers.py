"""Shared fixtures for the fault tests: a fakesap app on a free port (the real core when
it is importable, else a minimal stand-in with the same seams), and small HTTP helpers."""

from __future__ import annotations

import contextlib
import importlib
import json
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from fakesap.backoffice import BackOfficeConfig, install_backoffice
from fakesap.errors import ODataVersion, SLError, error_body
from fakesap.faults import FAULT_KEY, FaultsConfig, install_faults
from sapchaos.catalog import load_catalog

LOGIN = {"CompanyDB": "SBODEMOES", "UserName": "manager", "Password": "manager"}


# ---- stand-in core (used only while fakesap.app does not exist) -------------------------
class StubSessions:
    def __init__(self) -> None:
        self._ids: set[str] = set()
        self._n = 0

    def new(self) -> str:
        self._n += 1
        sid = f"sess-{self._n}"
        self._ids.add(sid)
        return sid

    def valid(self, sid: str | None) -> bool:
        return sid in self._ids

    def drop_all(self) -> int:
        n = len(self._ids)
        self._ids.clear()
        return n

    def drop(self, session_id: str) -> bool:
        if session_id in self._ids:
            self._ids.discard(session_id)
            return True
        return False

    def ids(self) -> list[str]:
        return sorted(self._ids)


class StubSap:
    """Just enough of ``fakesap.backend.FakeSap`` for the fault and back-office tests."""

    def __init__(self) -> None:
        self.clock: Callable[[], float] = time.time
        self.sessions = StubSessions()
        self.docs: dict[str, dict[int, dict[str, Any]]] = {}
        self.truth: list[dict[str, Any]] = []
        self.journal: list[dict[str, Any]] = []
        self.subscribers: list[Callable[[str, str, dict[str, Any]], Awaitable[None] | None]] = []
        catalog = load_catalog()
        self.docs["Items"] = {}
        for product in (*catalog.products, *catalog.inactive_products):
            self.docs["Items"][product.sku] = {  # type: ignore[index]
                "ItemCode": product.sku,
                "InventoryItem": "tYES",
                "ItemWarehouseInfoCollection": [
                    {"WarehouseCode": wh, "InStock": float(units), "Committed": 0.0}
                    for wh, units in sorted(product.stock.items())
                ],
            }

    def _stock_row(self, item_code: str, warehouse: str) -> dict[str, Any]:
        item = self.get_entity("Items", item_code)
        for row in item["ItemWarehouseInfoCollection"]:
            if row["WarehouseCode"] == warehouse:
                return row
        raise SLError.of("invalid_warehouse", table="RDR1", warehouse=warehouse, line=1)

    async def create_document(
        self, entity_set: str, body: dict[str, Any], *, request: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        table = self.docs.setdefault(entity_set, {})
        entry = len(table) + 1
        lines = []
        for i, raw in enumerate(body.get("DocumentLines", [])):
            line = dict(raw, LineNum=i)
            if "BaseEntry" in raw:
                base_set = {17: "Orders", 15: "DeliveryNotes"}[raw["BaseType"]]
                base = self.get_entity(base_set, raw["BaseEntry"])["DocumentLines"][raw["BaseLine"]]
                line.setdefault("ItemCode", base["ItemCode"])
                line.setdefault("WarehouseCode", base.get("WarehouseCode", "01"))
                base["RemainingOpenQuantity"] -= raw["Quantity"]
            line["RemainingOpenQuantity"] = line["Quantity"]
            if entity_set == "DeliveryNotes":
                row = self._stock_row(line["ItemCode"], line["WarehouseCode"])
                if row["InStock"] < line["Quantity"]:
                    raise SLError.of("negative_inventory", table="DLN1", line=i + 1)
                row["InStock"] -= line["Quantity"]
            lines.append(line)
        for base_set in ("Orders", "DeliveryNotes"):
            for doc in self.docs.get(base_set, {}).values():
                if all(bl["RemainingOpenQuantity"] <= 0 for bl in doc["DocumentLines"]):
                    doc["DocumentStatus"] = "bost_Close"
        doc = {
            **body,
            "DocEntry": entry,
            "DocNum": entry,
            "DocumentLines": lines,
            "DocumentStatus": "bost_Open",
        }
        table[entry] = doc
        self.truth.append(
            {
                "entity_set": entity_set,
                "DocEntry": entry,
                "committed_at": time.time(),
                "document": doc,
            }
        )
        for callback in self.subscribers:
            result = callback("created", entity_set, doc)
            if result is not None:
                await result
        return doc

    async def patch_document(
        self, entity_set: str, key: Any, body: dict[str, Any], *, replace_collections: bool = False
    ) -> None:
        doc = self.get_entity(entity_set, key)
        for line in body.get("DocumentLines", []):
            doc["DocumentLines"].append(dict(line, LineNum=len(doc["DocumentLines"])))

    def get_entity(self, entity_set: str, key: Any) -> dict[str, Any]:
        try:
            table = self.docs[entity_set]
            return table[key if entity_set == "Items" else int(key)]
        except (KeyError, ValueError):
            raise SLError.of("no_matching_records") from None

    def list_entities(self, entity_set: str) -> list[dict[str, Any]]:
        return list(self.docs.get(entity_set, {}).values())

    async def adjust_stock(
        self, item_code: str, warehouse: str, delta: Decimal, *, reason: str
    ) -> None:
        self._stock_row(item_code, warehouse)["InStock"] += float(delta)

    def subscribe(
        self, callback: Callable[[str, str, dict[str, Any]], Awaitable[None] | None]
    ) -> None:
        self.subscribers.append(callback)


def stub_app(
    config: FaultsConfig, backoffice: BackOfficeConfig | None = None
) -> tuple[web.Application, StubSap]:
    sap = StubSap()

    @web.middleware
    async def journal(request: web.Request, handler: Any) -> web.StreamResponse:
        started = time.time()
        status: int | None = None
        try:
            resp = await handler(request)
            status = resp.status
            return resp
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            if not request.path.startswith("/__admin"):
                sap.journal.append(
                    {
                        "at": started,
                        "method": request.method,
                        "path": request.path,
                        "status": status,
                        "fault": request.get(FAULT_KEY),
                    }
                )

    @web.middleware
    async def sl_errors(request: web.Request, handler: Any) -> web.StreamResponse:
        try:
            return await handler(request)
        except SLError as err:
            version: ODataVersion = "v2" if "/v2/" in request.path else "v1"
            return web.json_response(error_body(err.code, err.message, version), status=err.status)

    app = web.Application(middlewares=[journal, sl_errors])

    async def login(request: web.Request) -> web.Response:
        await request.json()
        resp = web.json_response({"SessionId": (sid := sap.sessions.new()), "SessionTimeout": 30})
        resp.set_cookie("B1SESSION", sid)
        return resp

    def auth(request: web.Request) -> None:
        if not sap.sessions.valid(request.cookies.get("B1SESSION")):
            raise SLError.of("invalid_session")

    async def create(request: web.Request) -> web.Response:
        auth(request)
        doc = await sap.create_document(request.match_info["es"], await request.json())
        return web.json_response(doc, status=201)

    async def listing(request: web.Request) -> web.Response:
        auth(request)
        return web.json_response({"value": sap.list_entities(request.match_info["es"])})

    async def get_one(request: web.Request) -> web.Response:
        auth(request)
        key = request.match_info["key"][1:-1].strip("'")
        return web.json_response(sap.get_entity(request.match_info["es"], key))

    async def patch(request: web.Request) -> web.Response:
        auth(request)
        await sap.patch_document(
            request.match_info["es"], request.match_info["key"][1:-1], await request.json()
        )
        return web.Response(status=204)

    async def documents(_request: web.Request) -> web.Response:
        return web.json_response({"documents": sap.truth})

    async def journal_view(_request: web.Request) -> web.Response:
        return web.json_response({"requests": sap.journal})

    app.router.add_post("/b1s/{v}/Login", login)
    app.router.add_post("/b1s/{v}/{es:[A-Za-z]+}", create)
    app.router.add_get("/b1s/{v}/{es:[A-Za-z]+}", listing)
    app.router.add_get(r"/b1s/{v}/{es:[A-Za-z]+}{key:\([^)]+\)}", get_one)
    app.router.add_patch(r"/b1s/{v}/{es:[A-Za-z]+}{key:\(\d+\)}", patch)
    app.router.add_get("/__admin/documents", documents)
    app.router.add_get("/__admin/journal", journal_view)
    install_faults(app, sap, config)
    install_backoffice(app, sap, backoffice or BackOfficeConfig())
    return app, sap


def build_app(config: FaultsConfig, backoffice: BackOfficeConfig | None = None) -> web.Application:
    """The real fakesap app when the core exists, else the stand-in."""
    try:
        app_module = importlib.import_module("fakesap.app")
    except ModuleNotFoundError:
        return stub_app(config, backoffice)[0]
    config_cls = getattr(app_module, "FakeSapConfig", None)
    for name in ("fakesap.config", "fakesap.backend"):
        if config_cls is None:
            with contextlib.suppress(ModuleNotFoundError):
                config_cls = getattr(importlib.import_module(name), "FakeSapConfig", None)
    assert config_cls is not None, "fakesap.app exists but FakeSapConfig was not found"
    app: web.Application = app_module.create_app(
        config_cls(faults=config, backoffice=backoffice or BackOfficeConfig())
    )
    return app


# ---- HTTP helpers -------------------------------------------------------------------------
class Client:
    """A plain aiohttp client logged in to the fake SL."""

    def __init__(self, server: TestServer, session: aiohttp.ClientSession) -> None:
        self.server = server
        self.http = session

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))

    async def login(self, version: str = "v1") -> None:
        async with self.http.post(self.url(f"/b1s/{version}/Login"), json=LOGIN) as r:
            assert r.status == 200, await r.text()

    async def admin(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        async with self.http.request(method, self.url(path), json=body) as r:
            text = await r.text()
            return r.status, (json.loads(text) if text else None)

    async def add_rule(self, rule: dict[str, Any]) -> dict[str, Any]:
        status, body = await self.admin("POST", "/__admin/faults", rule)
        assert status == 201, body
        return body

    async def documents(self, entity_set: str = "Orders") -> list[dict[str, Any]]:
        _, body = await self.admin("GET", f"/__admin/documents?entity_set={entity_set}")
        return [d for d in body["documents"] if d["entity_set"] == entity_set]


async def start(
    config: FaultsConfig | None = None, backoffice: BackOfficeConfig | None = None
) -> AsyncIterator[Client]:
    server = TestServer(build_app(config or FaultsConfig(seed=7), backoffice))
    await server.start_server()
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as session:
        client = Client(server, session)
        await client.login()
        yield client
    await server.close()


def order_body(n: int = 1, skus: tuple[str, ...] = ("TSH-RED-M",)) -> dict[str, Any]:
    return {
        "CardCode": "C10011",
        "DocDueDate": "2026-11-30",
        "NumAtCard": f"WEB-{n}",
        "U_IdemKey": f"wc:{n}:order",
        "DocumentLines": [{"ItemCode": sku, "Quantity": 1, "WarehouseCode": "01"} for sku in skus],
    }


def binomial_interval(n: int, p: float, z: float = 3.2905) -> tuple[float, float]:
    """99.9 % two-sided interval for the count of successes (normal approximation with
    continuity correction; z = 3.2905 is the 0.9995 quantile)."""
    mean = n * p
    sd = math.sqrt(n * p * (1 - p))
    return mean - z * sd - 0.5, mean + z * sd + 0.5
