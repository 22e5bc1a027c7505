"""Drive fakesap the way a typical SL client does, with plain HTTP and its own cookie
handling: login, create with an idempotency UDF, look it up by $filter (with an escaped
quote), PATCH, Cancel, logout."""

from __future__ import annotations

import json
from decimal import Decimal
from urllib.parse import quote

import aiohttp

from .conftest import StartSL
from .sl_client import LOGIN


async def test_typical_client_session(start_sl: StartSL) -> None:
    sl = await start_sl(login=False, uniqueness_guard_udf="U_IdemKey")
    base = sl.url("")
    async with aiohttp.ClientSession() as http:  # no cookie jar: the client copies cookies itself
        async with http.post(base + "Login", data=json.dumps(LOGIN)) as r:
            assert r.status == 200
            session_id = (await r.json())["SessionId"]
            route = r.cookies["ROUTEID"].value
        cookie = {"Cookie": f"B1SESSION={session_id}; ROUTEID={route}"}
        key = "wc:1001:order'x"
        order = {
            "CardCode": "C10013",
            "DocDate": "2026-11-23",
            "DocDueDate": "2026-11-25",
            "NumAtCard": "1001",
            "U_IdemKey": key,
            "DocumentLines": [
                {
                    "ItemCode": "TSH-BLU-L",
                    "Quantity": 2,
                    "LineTotal": 33.04,
                    "VatGroup": "R3",
                    "WarehouseCode": "01",
                },
                {
                    "ItemCode": "FOOD-OLIVE-1L",
                    "Quantity": 1,
                    "LineTotal": 10.86,
                    "VatGroup": "R2",
                    "WarehouseCode": "01",
                },
            ],
            "DocumentAdditionalExpenses": [{"ExpenseCode": 1, "LineTotal": 4.09, "VatGroup": "R3"}],
        }
        async with http.post(base + "Orders", json=order, headers=cookie) as r:
            assert r.status == 201
            created = json.loads(await r.text(), parse_float=Decimal)
            location = r.headers["Location"]
        assert created["DocTotal"] == Decimal("33.04") + Decimal("10.86") + Decimal(
            "4.09"
        ) + Decimal("6.94") + Decimal("1.09") + Decimal("0.86")
        # after an ambiguous failure: look the key up before re-creating
        flt = quote("U_IdemKey eq '" + key.replace("'", "''") + "'")
        async with http.get(
            base + f"Orders?$filter={flt}&$select=DocEntry,DocNum", headers=cookie
        ) as r:
            found = (await r.json())["value"]
        assert found == [{"DocEntry": created["DocEntry"], "DocNum": created["DocNum"]}]
        async with http.post(base + "Orders", json=order, headers=cookie) as r:
            assert (
                r.status == 400
                and "Duplicate U_IdemKey" in (await r.json())["error"]["message"]["value"]
            )
        async with http.patch(
            location, json={"Comments": "paid by card", "U_TransactionId": "pi_123"}, headers=cookie
        ) as r:
            assert r.status == 204
        async with http.post(location + "/Cancel", headers=cookie) as r:
            assert r.status == 204
        async with http.get(location, headers=cookie) as r:
            doc = await r.json()
        assert (doc["Cancelled"], doc["Comments"], doc["U_TransactionId"]) == (
            "tYES",
            "paid by card",
            "pi_123",
        )
        async with http.post(base + "Logout", headers=cookie) as r:
            assert r.status == 204
        async with http.get(location, headers=cookie) as r:
            assert r.status == 401 and (await r.json())["error"]["code"] == 301
