"""Pins the wire form of stored documents: fakesap keeps documents compactly in memory
(``fakesap.documents.compact``), and that must never show. The GET bodies, the
``/__admin/documents`` ground truth and what a restart from SQLite serves must stay
byte-for-byte what they were before compaction for the same requests (the golden file
was written by the uncompacted store).

Regenerate (only on a deliberate wire change) with ``SAPCHAOS_WRITE_GOLDEN=1``.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from fakesap.backend import FakeSap
from fakesap.config import FakeSapConfig

from .conftest import FakeClock, StartSL
from .sl_client import SL, order

GOLDEN = Path(__file__).with_name("golden_compact_store.json")
READS = (
    "Orders(1)",
    "Orders(2)",
    "Orders(3)",
    "DeliveryNotes(1)",
    "Invoices(1)",
    "CreditNotes(1)",
    "IncomingPayments(1)",
    "Orders?$top=20&$orderby=DocEntry%20desc",
    "Orders?$filter=U_IdemKey%20eq%20'wc:2:order'",
    "Orders?$select=DocEntry,DocTotal,DocumentLines&$orderby=DocTotal",
    "Invoices?$filter=DocumentStatus%20eq%20'bost_Open'",
)


async def _scenario(sl: SL, clock: FakeClock) -> None:
    """Creates, copies, a payment, a PATCH and actions: every path that writes a document."""
    await sl.create(
        "Orders",
        order(
            1,
            lines=[
                {"ItemCode": "TSH-RED-M", "Quantity": 2, "LineTotal": 33.04, "VatGroup": "R3"},
                {"ItemCode": "BOOK-ES-01", "Quantity": 1, "LineTotal": 21.54, "VatGroup": "R1"},
                {"ItemCode": "BREAD-MIX", "Quantity": 3, "PriceAfterVAT": 2.15},
            ],
            DocumentAdditionalExpenses=[{"ExpenseCode": 1, "LineTotal": 4.09, "VatGroup": "R3"}],
            Comments="first",
        ),
    )
    clock.advance(1.5)
    await sl.create(
        "Orders",
        order(
            2,
            lines=[{"ItemCode": "LAMP-DESK", "Quantity": 4, "DiscountPercent": 10}],
            DiscountPercent=5,
        ),
    )
    await sl.create("Orders", order(3))
    clock.advance(2)
    await sl.create(
        "DeliveryNotes",
        {
            "CardCode": "C10011",
            "DocumentLines": [{"BaseType": 17, "BaseEntry": 1, "BaseLine": 0, "Quantity": 1}],
        },
    )
    inv = await sl.create(
        "Invoices",
        {
            "CardCode": "C10011",
            "U_IdemKey": "wc:inv:1",
            "DocumentLines": [{"BaseType": 17, "BaseEntry": 2, "BaseLine": 0}],
        },
    )
    await sl.create(
        "CreditNotes",
        {
            "CardCode": "C10011",
            "DocumentLines": [{"BaseType": 13, "BaseEntry": 1, "BaseLine": 0, "Quantity": 1}],
        },
    )
    clock.advance(3)
    await sl.create(
        "IncomingPayments",
        {
            "CardCode": "C10011",
            "CashSum": 10,
            "PaymentInvoices": [{"DocEntry": inv["DocEntry"], "SumApplied": 10}],
        },
    )
    r = await sl.patch(
        "Orders(1)",
        {"Comments": "patched", "DocumentLines": [{"LineNum": 1, "Quantity": 2}]},
    )
    assert r.status == 204, r
    clock.advance(60)
    assert (await sl.post("Orders(3)/Cancel")).status == 204
    assert (await sl.post("Orders(1)/Close")).status == 204


def _udf_order_free(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object with its ``U_`` members in name order, every other member in place:
    fakesap fills undeclared-but-defined UDFs from a frozenset, so their relative order
    follows the process's string hash seed (an old quirk, not what this file pins)."""
    udfs = iter(sorted((k, v) for k, v in pairs if k.startswith("U_")))
    return {k: v for k, v in ((next(udfs) if k.startswith("U_") else (k, v)) for k, v in pairs)}


def canonical(text: str) -> str:
    """``text`` re-serialised with numbers kept as written and UDF order pinned."""
    value = json.loads(
        text,
        object_pairs_hook=_udf_order_free,
        parse_float=lambda s: f"<num {s}>",
        parse_int=lambda s: f"<num {s}>",
    )
    return json.dumps(value, ensure_ascii=False)


async def _texts(sl: SL) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path in READS:
        r = await sl.get(path)
        assert r.status == 200, (path, r)
        out[path] = r.text
    r = await sl.get("/__admin/documents")
    assert r.status == 200, r
    out["/__admin/documents"] = r.text
    # the service root names the test server's free port
    return {
        k: canonical(re.sub(r"http://127\.0\.0\.1:\d+", "http://ROOT", v)) for k, v in out.items()
    }


async def test_wire_and_ground_truth_are_unchanged_and_survive_restart(
    start_sl: StartSL, tmp_path: Path
) -> None:
    clock = FakeClock()
    path = str(tmp_path / "sap.sqlite")
    config = FakeSapConfig(persist_path=path, uniqueness_guard_udf="U_IdemKey")
    state = FakeSap(config, clock=clock)
    sl = await start_sl(state=state)
    await _scenario(sl, clock)
    live = await _texts(sl)
    await sl.server.close()
    state.close()

    again = FakeSap(FakeSapConfig(persist_path=path, uniqueness_guard_udf="U_IdemKey"), clock=clock)
    restored = await _texts(await start_sl(state=again))
    again.close()

    if os.environ.get("SAPCHAOS_WRITE_GOLDEN"):
        GOLDEN.write_text(json.dumps({"live": live, "restored": restored}, indent=1) + "\n")
    golden = json.loads(GOLDEN.read_text())
    assert live == golden["live"]
    assert restored == golden["restored"]
