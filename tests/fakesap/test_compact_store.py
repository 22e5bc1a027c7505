"""Compact storage of committed documents and ground truth (``fakesap.documents.compact``,
``fakesap.truth``): what is kept must read back exactly as it was given."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from fakesap.backend import FakeSap
from fakesap.config import FakeSapConfig
from fakesap.documents.compact import DocumentStore
from fakesap.persistence import loads
from fakesap.truth import BodyArchive, TruthRecord

from .sl_client import order


def _line(qty: str, total: str, **extra: Any) -> dict[str, Any]:
    return {
        "LineNum": 0,
        "ItemCode": "TSH-RED-M",
        "Quantity": Decimal(qty),
        "LineTotal": Decimal(total),
        "LineStatus": "bost_Open",
        "OpenQuantity": Decimal(qty),
        **extra,
    }


def test_rows_keep_keys_order_values_and_exact_decimal_text() -> None:
    store = DocumentStore()
    a = store.row("Orders", "DocumentLines", _line("2", "33.04"))
    b = store.row("Orders", "DocumentLines", _line("2.00", "-0.00", Extra="x"))
    c = store.row("Orders", "DocumentLines", _line("2", "0.00"))
    assert list(a) == list(_line("2", "33.04")) and a == _line("2", "33.04")
    assert list(b) == [*_line("2", "1"), "Extra"]
    # equal values with another exponent or sign keep their own text
    assert [str(x["Quantity"]) for x in (a, b, c)] == ["2", "2.00", "2"]
    assert [str(x["LineTotal"]) for x in (a, b, c)] == ["33.04", "-0.00", "0.00"]
    assert json.dumps([a, b, c], default=str) == json.dumps(
        [_line("2", "33.04"), _line("2.00", "-0.00", Extra="x"), _line("2", "0.00")], default=str
    )
    # the same amount text is one object
    assert a["Quantity"] is c["Quantity"] and a["OpenQuantity"] is c["Quantity"]
    assert type(a) is dict


def test_compact_rows_are_ordinary_dicts_to_change() -> None:
    store = DocumentStore()
    doc: dict[str, Any] = {
        "DocEntry": 1,
        "DocTotal": Decimal("10.00"),
        "DocumentLines": [_line("1", "10.00")],
    }
    same = store.compact("Orders", doc)
    assert same is doc
    line = doc["DocumentLines"][0]
    line["OpenQuantity"] -= 1
    line["LineStatus"] = "bost_Close"
    line["New"] = None
    del line["LineNum"]
    assert line == {
        "ItemCode": "TSH-RED-M",
        "Quantity": Decimal("1"),
        "LineTotal": Decimal("10.00"),
        "LineStatus": "bost_Close",
        "OpenQuantity": Decimal("0"),
        "New": None,
    }
    other = store.row("Orders", "DocumentLines", _line("1", "10.00"))
    assert other == _line("1", "10.00")  # the shared key table was not changed for others


def test_the_amount_memo_is_bounded() -> None:
    store = DocumentStore(memo_size=2)
    rows = [store.row("Orders", "L", {"A": Decimal(n)}) for n in ("1", "2", "3", "3")]
    assert rows[0]["A"] is store.row("Orders", "L", {"A": Decimal("1")})["A"]
    assert rows[2]["A"] is not rows[3]["A"] and rows[2]["A"] == rows[3]["A"]


def test_wide_rows_stay_plain_copies() -> None:
    store = DocumentStore()
    wide = {f"F{i:02d}": Decimal(i) for i in range(40)}
    assert store.row("Orders", "Wide", wide) == wide


BODIES = [
    b"",
    b"{}",
    json.dumps(order(7)).encode(),
    json.dumps({"CardCode": "C10011", "Comments": "año ñandú €" * 20}).encode(),
    bytes(range(256)) * 3,
]


def test_the_body_archive_gives_back_the_same_bytes_in_any_order() -> None:
    archive = BodyArchive(block=4)
    bodies = [*BODIES, *(json.dumps(order(n)).encode() for n in range(10)), b"x"]
    handles = [archive.add(body) for body in bodies]
    assert handles == list(range(len(bodies)))
    order_ = [*reversed(handles), *handles[::3], *handles]
    assert [archive.get(h) for h in order_] == [bodies[h] for h in order_]
    more = archive.add(b"late")  # the unfinished block, then sealed
    assert archive.get(more) == b"late"
    for i in range(3):
        archive.add(b"%d" % i)
    assert archive.get(more) == b"late" and archive.get(0) == bodies[0]


@pytest.mark.parametrize(
    "request_",
    [
        None,
        {"method": "POST", "path": "/b1s/v1/Orders", "body": b'{"a": 1}', "id": "r1"},
        {
            "method": "POST",
            "path": "/b1s/v1/Orders",
            "body": json.dumps(order(3)).encode(),
            "id": "r1",
        },
        {"method": "POST", "path": "/b1s/v2/Orders", "body": b"x" * 500, "id": None},
        {"method": "POST", "path": "/b1s/v1/Orders", "body": {"CardCode": "C1"}, "id": "r1"},
        {"id": "r1", "method": "POST", "path": "/b1s/v1/Orders", "body": b"{}"},
        {"id": "r1"},
    ],
)
def test_truth_records_give_back_the_request_as_given(request_: dict[str, Any] | None) -> None:
    archive = BodyArchive(block=2)
    archive.add(b"before")
    rid = request_.get("id") if request_ else None
    record = TruthRecord("Orders", 17, 1, 100001, 1.5, rid, request_, archive)
    archive.add(b"after")  # seals the block the body is in
    got = record.request
    assert got == request_
    if got is not None and request_ is not None:
        assert list(got) == list(request_)
        assert type(got.get("body")) is type(request_.get("body"))
    assert (record.entity_set, record.object_type, record.doc_entry) == ("Orders", 17, 1)
    assert (record.doc_num, record.committed_at, record.request_id) == (100001, 1.5, rid)


def test_backend_creates_keep_documents_and_requests_exactly() -> None:
    state = FakeSap(FakeSapConfig(uniqueness_guard_udf="U_IdemKey"))
    raws = [json.dumps(order(n)).encode() for n in range(1, 4)]
    docs = []
    for n, raw in enumerate(raws, 1):
        request = {"method": "POST", "path": "/b1s/v1/Orders", "body": raw, "id": f"r{n}"}
        docs.append(state.create_document_now("Orders", json.loads(raw), request=request))
    for n, (doc, raw) in enumerate(zip(docs, raws, strict=True), 1):
        assert state.get_document("Orders", n) is doc
        assert state.truth[n - 1].request == {
            "method": "POST",
            "path": "/b1s/v1/Orders",
            "body": raw,
            "id": f"r{n}",
        }
    line0: dict[str, Any] = docs[0]["DocumentLines"][0]
    line1: dict[str, Any] = docs[1]["DocumentLines"][0]
    assert line0 == {**line1, "DocEntry": 1}
    assert line0["LineTotal"] is line1["LineTotal"]  # equal amounts are one object


def test_restored_documents_share_names_and_values_and_read_the_same(tmp_path: Path) -> None:
    path = str(tmp_path / "sap.sqlite")
    state = FakeSap(FakeSapConfig(uniqueness_guard_udf="U_IdemKey", persist_path=path))
    for n in (1, 2):
        raw = json.dumps(order(n)).encode()
        request = {"method": "POST", "path": "/b1s/v1/Orders", "body": raw, "id": f"r{n}"}
        state.create_document_now("Orders", json.loads(raw), request=request)
    before = [json.dumps(state.docs["Orders"][n], default=str) for n in (1, 2)]
    state.close()
    again = FakeSap(FakeSapConfig(uniqueness_guard_udf="U_IdemKey", persist_path=path))
    one, two = again.docs["Orders"][1], again.docs["Orders"][2]
    assert [json.dumps(d, default=str) for d in (one, two)] == before
    assert one["DocumentStatus"] is two["DocumentStatus"]
    assert next(k for k in one if k == "CardCode") is next(k for k in two if k == "CardCode")
    assert one["DocumentLines"][0]["LineTotal"] is two["DocumentLines"][0]["LineTotal"]
    assert again.truth[1].request == {
        "method": "POST",
        "path": "/b1s/v1/Orders",
        "body": json.dumps(order(2)).encode(),
        "id": "r2",
    }
    again.close()


def test_loads_with_shared_strings_reads_the_same_values() -> None:
    text = json.dumps(
        {"DocTotal": "12.30", "Comments": "12.30", "DocumentLines": [{"LineTotal": "1.0"}]}
    )
    shared: dict[str, str] = {}
    assert (
        loads(text, shared)
        == loads(text)
        == {
            "DocTotal": Decimal("12.30"),
            "Comments": "12.30",
            "DocumentLines": [{"LineTotal": Decimal("1.0")}],
        }
    )
    assert str(loads(text, shared)["DocumentLines"][0]["LineTotal"]) == "1.0"
