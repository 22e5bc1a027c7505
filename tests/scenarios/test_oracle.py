"""The oracle must fail when it should: hand-written histories, each with one known defect,
must fail exactly the invariant named for it (and a clean history passes everything)."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import pytest

from sapchaos.policy import Need, need
from scenarios.oracle import INVARIANTS, Contract, ContractError, Histories, judge


def _order(
    oid: int,
    lines: list[tuple[str, int]],
    *,
    status: str = "processing",
    total: str = "36.30",
    tax: str = "6.30",
    created: str = "2026-01-01T10:00:00.000Z",
    refunds: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "id": oid,
        "created_at": created,
        "order": {
            "id": oid,
            "number": str(oid),
            "status": status,
            "total": total,
            "total_tax": tax,
            "date_paid_gmt": "2026-01-01T10:00:00",
            "line_items": [{"sku": s, "quantity": q} for s, q in lines],
            "billing": {
                "first_name": "Lucía",
                "last_name": f"García{oid}",
                "email": f"lucia{oid}@example.es",
                "phone": f"+34 600 000 {oid:03d}",
            },
            "meta_data": [{"key": "_billing_nif", "value": f"1234567{oid}Z"}],
        },
        "history": [],
        "refunds": refunds or [],
    }


def _sap(
    entry: int,
    key: str,
    lines: list[tuple[str, int | str]],
    *,
    entity_set: str = "Orders",
    total: str = "36.30",
    vat: str = "6.30",
    cancelled: bool = False,
    base_entry: int | None = None,
) -> dict[str, Any]:
    return {
        "entity_set": entity_set,
        "DocEntry": entry,
        "DocNum": 100000 + entry,
        "committed_at": "2026-01-01T10:00:00.500Z",
        "document": {
            "DocEntry": entry,
            "DocNum": 100000 + entry,
            "U_IdemKey": key,
            "DocTotal": float(total),
            "VatSum": float(vat),
            "Cancelled": "tYES" if cancelled else "tNO",
            "DocumentLines": [
                {
                    "ItemCode": s,
                    "Quantity": q,
                    **({"BaseType": 17, "BaseEntry": base_entry} if base_entry else {}),
                }
                for s, q in lines
            ],
        },
    }


def _note(oid: int, text: str, at: str) -> dict[str, Any]:
    return {"kind": "note", "order_id": oid, "at": at, "data": {"note": text}}


def _ack(oid: int, docnum: int, at: str) -> dict[str, Any]:
    return _note(oid, f"SAP sales order {docnum} created (key wc:{oid}:order).", at)


def _clean() -> Histories:
    return Histories(
        shop_orders=[_order(1, [("A", 2), ("B", 1)]), _order(2, [("A", 1)])],
        sap_documents=[
            _sap(1, "wc:1:order", [("A", "2.0"), ("B", 1)]),
            _sap(2, "wc:2:order", [("A", 1)]),
        ],
        shop_received=[
            _ack(1, 100001, "2026-01-01T10:00:01.000Z"),
            _ack(2, 100002, "2026-01-01T10:00:03.000Z"),
        ],
        bridge_log=['{"event": "order synced", "email": "l***@example.es"}'],
    )


def _failed(h: Histories, contract: Contract | None = None) -> dict[str, list[dict[str, Any]]]:
    v = judge(h, contract)
    return {r.name: r.violations for r in v.invariants if not r.ok}


def test_clean_history_passes_and_measures_tta() -> None:
    v = judge(_clean())
    assert v.verdict == "pass", [r for r in v.invariants if not r.ok]
    assert [r.name for r in v.invariants] == list(INVARIANTS)
    assert v.counts["orders"] == 2 and v.counts["duplicates"] == 0 and v.counts["lost"] == 0
    assert v.tta_ms["p50"] == 1000.0 and v.tta_ms["max"] == 3000.0


def test_judge_is_pure() -> None:
    h = _clean()
    before = copy.deepcopy(h)
    a, b = judge(h), judge(h)
    assert a == b and h == before


def test_duplicate_sap_order() -> None:
    h = _clean()
    h = replace(h, sap_documents=[*h.sap_documents, _sap(3, "wc:1:order", [("A", 2), ("B", 1)])])
    failed = _failed(h)
    assert set(failed) == {"no_duplicate_order"}
    assert failed["no_duplicate_order"][0]["order_id"] == 1
    assert failed["no_duplicate_order"][0]["doc_entries"] == [1, 3]


def test_lost_order() -> None:
    h = _clean()
    h = replace(h, sap_documents=h.sap_documents[:1], shop_received=h.shop_received[:1])
    failed = _failed(h)
    assert set(failed) == {"no_lost_order", "confirmation_note"}
    assert failed["no_lost_order"] == [
        {"order_id": 2, "status": "processing", "idem_key": "wc:2:order", "found": 0}
    ]


@pytest.mark.parametrize("status", ["refunded", "trash", "cancelled", "failed"])
def test_ended_before_sync_needs_nothing(status: str) -> None:
    """The shared policy: an order that ended before it reached SAP is not lost (the
    reference bridge skips refunded and trash orders; the oracle agrees)."""
    h = _clean()
    orders = [h.shop_orders[0], _order(2, [("A", 1)], status=status)]
    h = replace(
        h, shop_orders=orders, sap_documents=h.sap_documents[:1], shop_received=h.shop_received[:1]
    )
    assert _failed(h) == {}


def test_policy_table() -> None:
    assert need("processing") is Need.SYNC and need("pending") is Need.SYNC
    assert need("refunded") is Need.END and need("trash") is Need.END
    assert need("checkout-draft") is Need.WAIT
    assert need("pending", paid=False, paid_only=True) is Need.WAIT


def test_ended_in_shop_live_in_sap() -> None:
    h = _clean()
    h = replace(h, shop_orders=[h.shop_orders[0], _order(2, [("A", 1)], status="refunded")])
    failed = _failed(h)
    assert set(failed) == {"cancelled_in_sap"}
    assert failed["cancelled_in_sap"][0]["order_id"] == 2


def test_cancelled_in_sap_but_standing_in_shop() -> None:
    h = _clean()
    docs = [h.sap_documents[0], _sap(2, "wc:2:order", [("A", 1)], cancelled=True)]
    failed = _failed(replace(h, sap_documents=docs))
    assert set(failed) == {"standing_not_cancelled"}


def test_wrong_cent_in_doc_total() -> None:
    h = _clean()
    docs = [h.sap_documents[0], _sap(2, "wc:2:order", [("A", 1)], total="36.31")]
    failed = _failed(replace(h, sap_documents=docs))
    assert set(failed) == {"amounts_match"}
    assert failed["amounts_match"][0]["DocTotal"] == {"expected": "36.30", "found": "36.31"}


def test_wrong_cent_in_vat_sum() -> None:
    h = _clean()
    docs = [h.sap_documents[0], _sap(2, "wc:2:order", [("A", 1)], vat="6.29")]
    failed = _failed(replace(h, sap_documents=docs))
    assert set(failed) == {"amounts_match"}
    assert "VatSum" in failed["amounts_match"][0]


def test_wrong_quantity() -> None:
    h = _clean()
    docs = [h.sap_documents[0], _sap(2, "wc:2:order", [("A", 3)])]
    assert set(_failed(replace(h, sap_documents=docs))) == {"lines_match"}


def test_partial_document_left_open() -> None:
    h = _clean()
    docs = [_sap(1, "wc:1:order", [("A", 2)]), h.sap_documents[1]]
    failed = _failed(replace(h, sap_documents=docs))
    assert "no_partial_document" in failed
    assert failed["no_partial_document"][0]["missing"] == ["B"]


def test_duplicate_invoice() -> None:
    h = _clean()
    inv = [
        _sap(10, "wc:1:invoice", [("A", 2), ("B", 1)], entity_set="Invoices", base_entry=1),
        _sap(11, "wc:1:invoice", [("A", 2), ("B", 1)], entity_set="Invoices", base_entry=1),
    ]
    failed = _failed(replace(h, sap_documents=[*h.sap_documents, *inv]))
    assert set(failed) == {"no_duplicate_invoice"}
    assert failed["no_duplicate_invoice"][0]["doc_entries"] == [10, 11]


def _refunded_and_invoiced(credit_keys: list[str]) -> Histories:
    h = _clean()
    refunds = [{"id": 77, "total": "-12.10"}]
    orders = [_order(1, [("A", 2), ("B", 1)], refunds=refunds), h.shop_orders[1]]
    inv = _sap(10, "wc:1:invoice", [("A", 2), ("B", 1)], entity_set="Invoices", base_entry=1)
    credits = [
        _sap(20 + i, k, [("A", 1)], entity_set="CreditNotes", total="12.10", vat="2.10")
        for i, k in enumerate(credit_keys)
    ]
    return replace(h, shop_orders=orders, sap_documents=[*h.sap_documents, inv, *credits])


def test_refund_with_its_credit_note_passes() -> None:
    assert _failed(_refunded_and_invoiced(["wc:1:refund:77"])) == {}


def test_missing_credit_note() -> None:
    failed = _failed(_refunded_and_invoiced([]))
    assert set(failed) == {"refunds_credited"}
    assert failed["refunds_credited"][0] == {
        "order_id": 1,
        "refund_id": 77,
        "idem_key": "wc:1:refund:77",
        "problem": "refund of an invoiced order without its credit note",
    }


def test_duplicate_credit_note() -> None:
    failed = _failed(_refunded_and_invoiced(["wc:1:refund:77", "wc:1:refund:77"]))
    assert set(failed) == {"no_duplicate_credit_note"}


def _dead_lettered(decisions: list[dict[str, Any]]) -> Histories:
    h = _clean()
    orders = [h.shop_orders[0], _order(2, [("A", 1)], status="on-hold")]
    note = _note(
        2,
        "SAP refused create_order for key wc:2:order: SL -10: Item A is inactive (dead letter 4; fix the data and replay it).",
        "2026-01-01T10:00:02.000Z",
    )
    return replace(
        h,
        shop_orders=orders,
        sap_documents=h.sap_documents[:1],
        shop_received=[h.shop_received[0], note],
        fault_decisions=decisions,
    )


def test_dead_letter_explained_by_a_line_reject_passes() -> None:
    decision = {
        "rules": ["r1"],
        "faults": ["line_reject"],
        "facts": [{"rule": "r1", "fault": "line_reject", "line": 1, "item_code": "A", "code": -10}],
    }
    h = _dead_lettered([decision])
    assert _failed(h) == {}
    assert judge(h).counts["dlq"] == 1


def test_unexplained_dead_letter() -> None:
    transient = {
        "rules": ["r2"],
        "faults": ["http_error"],
        "facts": [{"rule": "r2", "fault": "http_error", "status": 503}],
    }
    failed = _failed(_dead_lettered([transient]))
    assert set(failed) == {"dlq_explained"}
    assert failed["dlq_explained"][0]["order_id"] == 2


def test_line_reject_of_another_item_does_not_explain() -> None:
    other = {
        "rules": ["r1"],
        "faults": ["line_reject"],
        "facts": [{"fault": "line_reject", "item_code": "ZZZ"}],
    }
    assert set(_failed(_dead_lettered([other]))) == {"dlq_explained"}


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ('{"event": "x", "to": "lucia2@example.es"}', "email"),
        ('{"event": "x", "phone": "+34 600 000 002"}', "phone"),
        ('{"event": "x", "who": "Lucía García2"}', "name"),
        ('{"event": "x", "who": "Luc\\u00eda Garc\\u00eda2"}', "name"),
        ('{"event": "x", "nif": "12345672Z"}', "national_id"),
    ],
)
def test_pii_in_log(line: str, kind: str) -> None:
    h = _clean()
    failed = _failed(replace(h, bridge_log=[*h.bridge_log, line]))
    assert set(failed) == {"no_pii_in_log"}
    assert failed["no_pii_in_log"] == [{"order_id": 2, "kind": kind, "log_line": 2}]
    # the report never repeats the datum itself
    assert "example.es" not in str(failed) and "600" not in str(failed)


def test_contract_numatcard_and_custom_ack() -> None:
    h = _clean()
    docs = copy.deepcopy(h.sap_documents)
    for d in docs:
        d["document"]["NumAtCard"] = f"WEB-{d['document']['U_IdemKey'].split(':')[1]}"
        del d["document"]["U_IdemKey"]
    acks = [
        _note(1, "SAP sales order DocNum 100001", "2026-01-01T10:00:01.000Z"),
        _note(2, "SAP sales order DocNum 100002", "2026-01-01T10:00:02.000Z"),
    ]
    h = replace(h, sap_documents=docs, shop_received=acks)
    assert set(_failed(h)) >= {"no_lost_order", "confirmation_note"}
    c = Contract.from_mapping(
        {"key_field": "NumAtCard", "key_pattern": "WEB-{id}", "ack_note_regex": r"DocNum (\d+)"}
    )
    assert _failed(h, c) == {}
    assert c.to_json()["key_field"] == "NumAtCard"


def test_contract_rejects_unknown_keys_and_bad_regex() -> None:
    with pytest.raises(ContractError, match="unknown contract key"):
        Contract.from_mapping({"keyfield": "x"})
    with pytest.raises(ContractError, match="DocNum"):
        Contract.from_mapping({"ack_note_regex": "no group"})
    with pytest.raises(ContractError, match="document_type"):
        Contract.from_mapping({"document_type": "Quotations"})
