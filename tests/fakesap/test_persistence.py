"""SQLite persistence: a restarted fakesap keeps documents, numbering, stock and ground
truth (the "SAP restarts" scenarios); sessions are gone, as with a real SL restart."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

from fakesap.backend import FakeSap
from fakesap.config import FakeSapConfig

from .conftest import StartSL
from .sl_client import D, order


async def test_documents_numbering_stock_and_truth_survive_restart(
    start_sl: StartSL, tmp_path: Path
) -> None:
    path = str(tmp_path / "sap.sqlite")
    config = FakeSapConfig(persist_path=path, uniqueness_guard_udf="U_IdemKey")
    sl = await start_sl(config)
    first = await sl.create(
        "Orders", order(1, lines=[{"ItemCode": "BREAD-MIX", "Quantity": 3, "PriceAfterVAT": 2.15}])
    )
    await sl.create("Orders", order(2, lines=[{"ItemCode": "LAMP-DESK", "Quantity": 4}]))
    await sl.create(
        "DeliveryNotes",
        {
            "CardCode": "C10011",
            "DocumentLines": [{"BaseType": 17, "BaseEntry": 2, "BaseLine": 0, "Quantity": 1}],
        },
    )
    await sl.patch("Orders(1)", {"Comments": "patched"})
    await sl.server.close()  # fakesap stops

    again = await start_sl(
        FakeSapConfig(persist_path=path, uniqueness_guard_udf="U_IdemKey"), login=False
    )
    r = await again.get("Orders(1)")
    assert r.status == 401  # sessions did not survive
    await again.login()
    doc = (await again.get("Orders(1)")).json
    assert doc["Comments"] == "patched"
    assert doc["DocTotal"] == first["DocTotal"] == D("6.45")
    assert doc["DocumentLines"][0]["LineTotal"] == first["DocumentLines"][0]["LineTotal"]
    lamp = (await again.get("Items('LAMP-DESK')")).json["ItemWarehouseInfoCollection"][0]
    assert (lamp["InStock"], lamp["Committed"]) == (39, 3)
    assert (await again.get("Orders(2)")).json["DocumentLines"][0]["RemainingOpenQuantity"] == 3
    third = await again.create("Orders", order(3))
    assert (third["DocEntry"], third["DocNum"]) == (3, 100003)
    assert (await again.post("Orders", order(1))).status == 400  # guard index rebuilt
    truth = (await again.admin("documents"))["documents"]
    assert [(d["entity_set"], d["DocEntry"]) for d in truth] == [
        ("Orders", 1),
        ("Orders", 2),
        ("DeliveryNotes", 1),
        ("Orders", 3),
    ]
    assert truth[0]["request"]["body"]["U_IdemKey"] == "wc:1:order"
    assert truth[0]["document"]["Comments"] == "patched"
    # PATCH after restart still knows the gross-priced line
    await again.patch("Orders(1)", {"DocumentLines": [{"LineNum": 0, "Quantity": 2}]})
    assert (await again.get("Orders(1)")).json["DocTotal"] == D("4.30")


async def test_reset_wipes_the_file_too(start_sl: StartSL, tmp_path: Path) -> None:
    path = str(tmp_path / "sap.sqlite")
    sl = await start_sl(FakeSapConfig(persist_path=path))
    await sl.create("Orders", order(1))
    assert (await sl.post("/__admin/reset")).status == 200
    await sl.server.close()
    again = await start_sl(FakeSapConfig(persist_path=path))
    assert (await again.get("Orders/$count")).text == "0"
    lamp = (await again.get("Items('TSH-RED-M')")).json["ItemWarehouseInfoCollection"][0]
    assert lamp["Committed"] == 0
    assert (await again.create("Orders", order(1)))["DocEntry"] == 1


def _stored_orders(path: str) -> list[int]:
    with sqlite3.connect(path) as conn:
        return [
            int(r[0])
            for r in conn.execute(
                "SELECT doc_entry FROM documents WHERE entity_set = 'Orders' ORDER BY doc_entry"
            )
        ]


async def test_changes_of_one_tick_share_one_transaction(tmp_path: Path) -> None:
    """Group commit: five creates in one event-loop tick are one SQLite transaction, and
    waiting for durability means the rows are in the file."""
    path = str(tmp_path / "sap.sqlite")
    state = FakeSap(FakeSapConfig(persist_path=path, uniqueness_guard_udf="U_IdemKey"))
    assert state.persistence is not None
    batches: list[int] = []
    real_commit = state.persistence.commit

    def counting_commit(**kw: Any) -> None:
        docs = list(kw.get("documents", ()))
        batches.append(len(docs))
        real_commit(**{**kw, "documents": docs})

    state.persistence.commit = counting_commit  # type: ignore[method-assign]
    try:
        for n in range(1, 6):
            state.create_document_now("Orders", order(n))
        assert batches == [] and _stored_orders(path) == []  # queued, not yet written
        await state._durable()
        assert batches == [5]
        assert _stored_orders(path) == [1, 2, 3, 4, 5]
        await state.create_document("Orders", order(6))  # the async API waits itself
        assert batches == [5, 1] and _stored_orders(path) == [1, 2, 3, 4, 5, 6]
    finally:
        state.close()
    again = FakeSap(FakeSapConfig(persist_path=path, uniqueness_guard_udf="U_IdemKey"))
    try:
        assert len(again.truth) == 6
        assert again.next_entry["Orders"] == 7
        committed = again.md.stock[("TSH-RED-M", "01")]["Committed"]
        assert committed == 6
    finally:
        again.close()


async def test_a_201_only_after_the_write_and_a_failed_write_is_a_500(
    start_sl: StartSL, tmp_path: Path
) -> None:
    path = str(tmp_path / "sap.sqlite")
    state = FakeSap(FakeSapConfig(persist_path=path))
    sl = await start_sl(state=state)
    replies = await asyncio.gather(*(sl.post("Orders", order(n)) for n in range(1, 21)))
    assert [r.status for r in replies] == [201] * 20
    assert _stored_orders(path) == list(range(1, 21))  # every acknowledged order is on disk
    assert state.persistence is not None
    real_commit = state.persistence.commit

    def failing_commit(**kw: Any) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    state.persistence.commit = failing_commit  # type: ignore[method-assign]
    r = await sl.post("Orders", order(21))
    assert r.status == 500 and r.error["code"] == -1  # never a 201 for an unwritten order
    state.persistence.commit = real_commit  # type: ignore[method-assign]
    assert (await sl.post("Orders", order(22))).status == 201
    assert 22 in _stored_orders(path)
