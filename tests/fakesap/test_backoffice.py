"""The back office seen from outside: deliveries, invoices, back orders, stock moves and
signed callbacks, read back through /b1s/v1 and a real callback receiver."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from fakesap.backoffice import BACKOFFICE_KEY, BackOfficeConfig
from fakesap.faults import FaultsConfig
from sapchaos.catalog import load_catalog
from tests.fakesap.test_faults_helpers import Client, start

FAST = {"enabled": True, "tick_s": 0.05, "delay_s": 0.1}


def order(n: int, lines: list[tuple[str, int, str]], paid: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {
        "CardCode": "C10011",
        "DocDueDate": "2026-11-30",
        "NumAtCard": str(1000 + n),
        "U_IdemKey": f"wc:{1000 + n}:order",
        "DocumentLines": [
            {"ItemCode": sku, "Quantity": q, "WarehouseCode": wh} for sku, q, wh in lines
        ],
    }
    if paid:
        body["U_TransactionId"] = f"pi_{n}"
    return body


async def create(sl: Client, body: dict[str, Any]) -> dict[str, Any]:
    async with sl.http.post(sl.url("/b1s/v1/Orders"), json=body) as r:
        assert r.status == 201, await r.text()
        return await r.json()


async def get_all(sl: Client, entity_set: str) -> list[dict[str, Any]]:
    async with sl.http.get(
        sl.url(f"/b1s/v1/{entity_set}"), headers={"Prefer": "odata.maxpagesize=0"}
    ) as r:
        assert r.status == 200, await r.text()
        return (await r.json())["value"]


async def get_one(sl: Client, path: str) -> dict[str, Any]:
    async with sl.http.get(sl.url(f"/b1s/v1/{path}")) as r:
        assert r.status == 200, await r.text()
        return await r.json()


async def eventually(check: Callable[[], Awaitable[bool]], timeout_s: float = 5.0) -> None:
    for _ in range(int(timeout_s / 0.05)):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached in time")


def qty(value: Any) -> Decimal:
    return Decimal(str(value))


async def test_paid_orders_delivered_partially_and_invoiced() -> None:
    async for sl in start(FaultsConfig(), BackOfficeConfig(seed=4, **FAST)):  # type: ignore[arg-type]
        full = await create(sl, order(1, [("TSH-RED-M", 2, "01"), ("MUG-LOGO", 1, "01")]))
        unpaid = await create(sl, order(2, [("TSH-BLU-L", 1, "01")], paid=False))
        short = await create(sl, order(3, [("LAMP-DESK", 8, "02")]))  # only 5 in stock in 02

        async def two_invoices(sl: Client = sl) -> bool:
            return len(await get_all(sl, "Invoices")) >= 2

        await eventually(two_invoices)
        deliveries = {
            d["DocumentLines"][0]["BaseEntry"]: d for d in await get_all(sl, "DeliveryNotes")
        }
        assert set(deliveries) == {full["DocEntry"], short["DocEntry"]}  # the unpaid one waits
        d_full, d_short = deliveries[full["DocEntry"]], deliveries[short["DocEntry"]]
        assert d_full["U_TrackingNo"].startswith("1Z") and len(d_full["U_TrackingNo"]) == 18
        assert [
            (ln["BaseType"], ln["BaseLine"], qty(ln["Quantity"])) for ln in d_full["DocumentLines"]
        ] == [(17, 0, 2), (17, 1, 1)]
        assert [qty(ln["Quantity"]) for ln in d_short["DocumentLines"]] == [5]  # back order of 3

        orders = {o["DocEntry"]: o for o in await get_all(sl, "Orders")}
        assert orders[full["DocEntry"]]["DocumentStatus"] == "bost_Close"
        assert orders[short["DocEntry"]]["DocumentStatus"] == "bost_Open"
        assert orders[unpaid["DocEntry"]]["DocumentStatus"] == "bost_Open"
        assert qty(orders[short["DocEntry"]]["DocumentLines"][0]["RemainingOpenQuantity"]) == 3

        invoices = await get_all(sl, "Invoices")
        assert sorted(inv["DocumentLines"][0]["BaseEntry"] for inv in invoices) == sorted(
            d["DocEntry"] for d in deliveries.values()
        )
        assert all(ln["BaseType"] == 15 for inv in invoices for ln in inv["DocumentLines"])
        lamp = await get_one(sl, "Items('LAMP-DESK')")
        row = next(r for r in lamp["ItemWarehouseInfoCollection"] if r["WarehouseCode"] == "02")
        assert qty(row["InStock"]) == 0

        _, log = await sl.admin("GET", "/__admin/backoffice")
        assert sorted(d["partial"] for d in log["deliveries"]) == [False, True]
        assert len(log["invoices"]) == 2


async def test_back_order_ships_after_goods_receipt() -> None:
    config = BackOfficeConfig(seed=1, enabled=False, delay_s=0)
    async for sl in start(FaultsConfig(), config):
        short = await create(sl, order(4, [("LAMP-DESK", 8, "02")]))
        status, done = await sl.admin("POST", "/__admin/backoffice/tick")
        assert status == 200 and done["deliveries"] == 1
        status, done = await sl.admin("POST", "/__admin/backoffice/tick")
        assert done["deliveries"] == 0  # nothing left in stock: the back order waits
        office = sl.server.app[BACKOFFICE_KEY]
        await office.state.adjust_stock("LAMP-DESK", "02", Decimal(10), reason="goods_receipt")
        status, done = await sl.admin("POST", "/__admin/backoffice/tick")
        assert done["deliveries"] == 1
        ours = [
            d
            for d in await get_all(sl, "DeliveryNotes")
            if d["DocumentLines"][0]["BaseEntry"] == short["DocEntry"]
        ]
        assert [qty(d["DocumentLines"][0]["Quantity"]) for d in ours] == [5, 3]
        assert (await get_one(sl, f"Orders({short['DocEntry']})"))["DocumentStatus"] == "bost_Close"


async def test_stock_drifts_per_warehouse() -> None:
    config = BackOfficeConfig(
        seed=9, enabled=True, tick_s=0.02, delay_s=100, stock_drift_s=0.02, stock_drift_max_units=3
    )
    async for sl in start(FaultsConfig(), config):

        async def moved(sl: Client = sl) -> bool:
            _, log = await sl.admin("GET", "/__admin/backoffice")
            return len(log["stock_moves"]) >= 8

        await eventually(moved)
        await sl.admin("POST", "/__admin/faults/reset")  # harmless; keeps the admin API exercised
        office = sl.server.app[BACKOFFICE_KEY]
        await office.stop()  # freeze the stock before reading it back
        _, log = await sl.admin("GET", "/__admin/backoffice")
        moves = log["stock_moves"]
        assert {m["reason"] for m in moves} <= {"goods_receipt", "goods_issue"}
        net: dict[tuple[str, str], Decimal] = {}
        for m in moves:
            key = (m["ItemCode"], m["WarehouseCode"])
            net[key] = net.get(key, Decimal(0)) + Decimal(m["delta"])
        cat = load_catalog()
        catalog = {p.sku: p for p in (*cat.products, *cat.inactive_products)}
        for (item, wh), delta in net.items():
            doc = await get_one(sl, f"Items('{item}')")
            row = next(r for r in doc["ItemWarehouseInfoCollection"] if r["WarehouseCode"] == wh)
            assert qty(row["InStock"]) == catalog[item].stock[wh] + delta


class Receiver:
    """A callback endpoint that records and verifies what fakesap sends."""

    def __init__(self, secret: str, fail_first: int = 0) -> None:
        self.secret = secret
        self.fail_first = fail_first
        self.received: list[dict[str, Any]] = []
        self.bad_signatures = 0

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        expected = base64.b64encode(
            hmac.new(self.secret.encode(), body, hashlib.sha256).digest()
        ).decode()
        if request.headers.get("X-SAPChaos-Signature") != expected:
            self.bad_signatures += 1
            return web.Response(status=401)
        if self.fail_first > 0:
            self.fail_first -= 1
            return web.Response(status=503)
        event = json.loads(body)
        assert request.headers["X-SAPChaos-Event"] == event["type"]
        self.received.append(event)
        return web.Response(status=204)


async def receiver_server(receiver: Receiver) -> AsyncIterator[TestServer]:
    app = web.Application()
    app.router.add_post("/sap-events", receiver.handle)
    server = TestServer(app)
    await server.start_server()
    yield server
    await server.close()


async def test_signed_callbacks_with_retry() -> None:
    receiver = Receiver("s3cret", fail_first=1)
    async for hook in receiver_server(receiver):
        config = BackOfficeConfig(
            seed=2,
            callback_url=str(hook.make_url("/sap-events")),
            callback_secret="s3cret",
            callback_backoff_s=0.05,
            **FAST,  # type: ignore[arg-type]
        )
        async for sl in start(FaultsConfig(), config):
            placed = await create(sl, order(5, [("MUG-LOGO", 1, "01")]))

            async def three() -> bool:
                return {e["type"] for e in receiver.received} == {
                    "order.confirmed",
                    "order.shipped",
                    "order.invoiced",
                }

            await eventually(three)
            by_type = {e["type"]: e for e in receiver.received}
            assert all(e["base_order_doc_entry"] == placed["DocEntry"] for e in receiver.received)
            assert all(e["U_IdemKey"] == "wc:1005:order" for e in receiver.received)
            assert by_type["order.shipped"]["tracking_no"].startswith("1Z")
            assert by_type["order.shipped"]["partial"] is False
            assert by_type["order.confirmed"]["occurred_at"].endswith("Z")
            assert len({e["event_id"] for e in receiver.received}) == 3
            _, log = await sl.admin("GET", "/__admin/backoffice")
            attempts = [len(c["attempts"]) for c in log["callbacks"]]
            assert sorted(attempts) == [
                1,
                1,
                2,
            ]  # the first delivery was refused once, then retried
            assert all(c["delivered"] for c in log["callbacks"])
            assert receiver.bad_signatures == 0


async def test_fault_rules_apply_to_callbacks() -> None:
    receiver = Receiver("k")
    async for hook in receiver_server(receiver):
        config = BackOfficeConfig(
            seed=3,
            enabled=False,
            callback_url=str(hook.make_url("/sap-events")),
            callback_secret="k",
            callback_backoff_s=0.05,
            callback_events=("order.confirmed",),
        )
        async for sl in start(FaultsConfig(), config):
            await sl.add_rule(
                {"id": "dup", "target": "callback", "fault": "commit_then_fail", "max_count": 1}
            )
            await sl.add_rule(
                {"id": "drop", "target": "callback", "fault": "http_error", "max_count": 1}
            )
            await sl.add_rule({"id": "not-sl", "target": "callback", "fault": "reset"})
            await sl.admin("DELETE", "/__admin/faults/not-sl")
            await create(sl, order(6, [("MUG-LOGO", 1, "01")]))  # the SL request is not faulted

            async def two_copies() -> bool:
                return len(receiver.received) == 2

            await eventually(two_copies)
            await asyncio.sleep(0.3)
            assert len(receiver.received) == 2  # delivered once + one duplicate, no more
            assert receiver.received[0]["event_id"] == receiver.received[1]["event_id"]
            _, log = await sl.admin("GET", "/__admin/backoffice")
            [record] = log["callbacks"]
            assert [a["rules"] for a in record["attempts"]] == [["dup"], ["drop"], []]
            _, faults = await sl.admin("GET", "/__admin/faults")
            assert {r["id"]: r["fired"] for r in faults["rules"]} == {"dup": 1, "drop": 1}
