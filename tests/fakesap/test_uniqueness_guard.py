"""The optional SAP-side uniqueness guard (a TransactionNotification refusing a second
document with the same key UDF), atomic under concurrency."""

from __future__ import annotations

import asyncio

from fakesap.app import FAKESAP_KEY

from .conftest import StartSL
from .sl_client import order


async def test_second_document_with_same_key_is_refused_naming_the_first(start_sl: StartSL) -> None:
    sl = await start_sl(uniqueness_guard_udf="U_IdemKey")
    first = await sl.create("Orders", order(7))
    r = await sl.post("Orders", order(7, NumAtCard="other"))
    assert r.status == 400
    assert r.error["code"] == -1116
    text = r.error["message"]["value"]
    assert (
        f"Orders({first['DocEntry']})" in text
        and str(first["DocNum"]) in text
        and "wc:7:order" in text
    )
    # other entity sets and other keys are independent; empty values are not keys
    assert (
        await sl.post(
            "DeliveryNotes",
            {
                "CardCode": "C10011",
                "U_IdemKey": "wc:7:order",
                "DocumentLines": [{"ItemCode": "MUG-LOGO", "Quantity": 1}],
            },
        )
    ).status == 201
    assert (await sl.post("Orders", order(8))).status == 201
    assert (await sl.post("Orders", order(9, U_IdemKey=""))).status == 201
    assert (await sl.post("Orders", order(10, U_IdemKey=""))).status == 201


async def test_patch_to_a_taken_key_is_refused_and_cancel_frees_the_key(start_sl: StartSL) -> None:
    sl = await start_sl(uniqueness_guard_udf="U_IdemKey")
    await sl.create("Orders", order(1))
    await sl.create("Orders", order(2))
    r = await sl.patch("Orders(2)", {"U_IdemKey": "wc:1:order"})
    assert r.status == 400 and r.error["code"] == -1116
    assert (
        await sl.patch("Orders(2)", {"U_IdemKey": "wc:2:order", "Comments": "same key is fine"})
    ).status == 204
    assert (await sl.post("Orders(1)/Cancel")).status == 204
    assert (await sl.post("Orders", order(1))).status == 201


async def test_concurrent_duplicates_commit_exactly_once(start_sl: StartSL) -> None:
    sl = await start_sl(uniqueness_guard_udf="U_IdemKey")
    replies = await asyncio.gather(*(sl.post("Orders", order(42)) for _ in range(20)))
    assert sorted(r.status for r in replies) == [201] + [400] * 19
    sap = sl.server.app[FAKESAP_KEY]
    assert len([d for d in sap.list_entities("Orders") if d["U_IdemKey"] == "wc:42:order"]) == 1


async def test_without_the_guard_duplicates_are_possible(start_sl: StartSL) -> None:
    sl = await start_sl()
    assert (await sl.post("Orders", order(1))).status == 201
    assert (await sl.post("Orders", order(1))).status == 201


async def test_guard_udf_is_declared_even_if_the_catalog_lacks_it(start_sl: StartSL) -> None:
    sl = await start_sl(uniqueness_guard_udf="U_ExtRef", udfs={})
    body = order(1)
    del body["U_IdemKey"]
    assert (await sl.post("Orders", {**body, "U_ExtRef": "a"})).status == 201
    assert (await sl.post("Orders", {**body, "U_ExtRef": "a"})).status == 400
    assert (await sl.post("Orders", {**body, "U_IdemKey": "a"})).status == 400  # not declared
