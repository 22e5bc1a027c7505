"""The oracle must fail when it should: hand-written histories with known defects."""

from __future__ import annotations

from typing import Any

from scenarios.oracle import Histories, judge


def _order(
    oid: int, lines: list[tuple[str, int]], created: str = "2026-01-01T10:00:00.000Z"
) -> dict[str, Any]:
    return {
        "id": oid,
        "created_at": created,
        "order": {"id": oid, "line_items": [{"sku": s, "quantity": q} for s, q in lines]},
        "history": [],
    }


def _sap(doc_entry: int, oid: int, lines: list[tuple[str, int | str]]) -> dict[str, Any]:
    return {
        "entity_set": "Orders",
        "object_type": 17,
        "DocEntry": doc_entry,
        "DocNum": 100000 + doc_entry,
        "committed_at": "2026-01-01T10:00:00.500Z",
        "document": {
            "DocEntry": doc_entry,
            "DocNum": 100000 + doc_entry,
            "U_IdemKey": f"wc:{oid}:order",
            "DocumentLines": [{"ItemCode": s, "Quantity": q} for s, q in lines],
        },
    }


def _note(oid: int, docnum: int, at: str) -> dict[str, Any]:
    return {
        "kind": "note",
        "order_id": oid,
        "at": at,
        "data": {"note": f"SAP sales order {docnum} created (DocEntry 1, key wc:{oid}:order)."},
    }


def _clean() -> Histories:
    return Histories(
        shop_orders=[_order(1, [("A", 2), ("B", 1)]), _order(2, [("A", 1)])],
        sap_documents=[_sap(1, 1, [("A", "2.0"), ("B", 1)]), _sap(2, 2, [("A", 1)])],
        shop_received=[
            _note(1, 100001, "2026-01-01T10:00:01.000Z"),
            _note(2, 100002, "2026-01-01T10:00:03.000Z"),
        ],
    )


def test_clean_history_passes_and_measures_tta() -> None:
    v = judge(_clean())
    assert v.verdict == "pass", [r for r in v.invariants if not r.ok]
    assert v.counts["orders"] == 2 and v.counts["duplicates"] == 0 and v.counts["lost"] == 0
    assert v.tta_ms["p50"] == 1000.0
    assert v.tta_ms["max"] == 3000.0


def _failed(v: Any) -> dict[str, list[dict[str, Any]]]:
    return {r.name: r.violations for r in v.invariants if not r.ok}


def test_duplicate_sap_order_is_reported() -> None:
    h = _clean()
    h = Histories(
        h.shop_orders, h.shop_received, [*h.sap_documents, _sap(3, 1, [("A", 2), ("B", 1)])]
    )
    v = judge(h)
    failed = _failed(v)
    assert v.verdict == "fail"
    assert set(failed) == {"no_duplicate_order"}
    assert failed["no_duplicate_order"][0]["idem_key"] == "wc:1:order"
    assert failed["no_duplicate_order"][0]["doc_entries"] == [1, 3]
    assert v.counts["duplicates"] == 1


def test_missing_order_is_reported() -> None:
    h = _clean()
    h = Histories(h.shop_orders, h.shop_received[:1], h.sap_documents[:1])
    failed = _failed(judge(h))
    assert failed["no_lost_order"] == [{"order_id": 2, "idem_key": "wc:2:order", "found": 0}]
    assert failed["confirmation_note"] == [{"order_id": 2, "problem": "no confirmation note"}]


def test_wrong_quantity_is_reported() -> None:
    h = _clean()
    h = Histories(
        h.shop_orders, h.shop_received, [_sap(1, 1, [("A", 3), ("B", 1)]), h.sap_documents[1]]
    )
    failed = _failed(judge(h))
    assert set(failed) == {"lines_match"}
    assert failed["lines_match"][0]["expected"] == {"A": "2", "B": "1"}
    assert failed["lines_match"][0]["found"] == {"A": "3", "B": "1"}


def test_note_naming_wrong_docnum_is_reported() -> None:
    h = _clean()
    h = Histories(
        h.shop_orders,
        [_note(1, 999, "2026-01-01T10:00:01.000Z"), h.shop_received[1]],
        h.sap_documents,
    )
    failed = _failed(judge(h))
    assert failed["confirmation_note"][0]["named"] == [999]


def test_orphan_sap_order_is_reported() -> None:
    h = _clean()
    h = Histories(h.shop_orders, h.shop_received, [*h.sap_documents, _sap(9, 77, [("A", 1)])])
    assert _failed(judge(h))["no_orphan_order"][0]["idem_key"] == "wc:77:order"


def test_cancelled_before_create_is_not_lost_but_open_sap_order_is_reported() -> None:
    h = _clean()
    cancelled = _order(3, [("A", 1)])
    cancelled["order"]["status"] = "cancelled"
    ok = judge(Histories([*h.shop_orders, cancelled], h.shop_received, h.sap_documents))
    assert ok.verdict == "pass", _failed(ok)
    still_open = judge(
        Histories(
            [*h.shop_orders, cancelled], h.shop_received, [*h.sap_documents, _sap(3, 3, [("A", 1)])]
        )
    )
    assert _failed(still_open)["cancelled_in_sap"][0]["order_id"] == 3
    closed = _sap(3, 3, [("A", 1)])
    closed["document"]["Cancelled"] = "tYES"
    fine = judge(
        Histories([*h.shop_orders, cancelled], h.shop_received, [*h.sap_documents, closed])
    )
    assert "cancelled_in_sap" not in _failed(fine)
