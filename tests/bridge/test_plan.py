"""The planner: desired state (snapshot) vs actual state (ledger) → the next step."""

from __future__ import annotations

from bridge.order import parse_order
from bridge.store.base import LedgerRow
from bridge.worker.plan import next_step

from .payloads import order_payload


def done(key: str, entry: int | None = 1, num: int | None = 100) -> LedgerRow:
    return LedgerRow(key, 1, "op", "done", "Orders", entry, num, 1, None, 0.0, 0.0)


def ledger(*rows: LedgerRow) -> dict[str, LedgerRow]:
    return {r.idem_key: r for r in rows}


def test_create_then_confirm_then_payment() -> None:
    order = parse_order(order_payload(1, transaction_id="tx"))
    assert next_step(order, {}).name == "create_order"  # type: ignore[union-attr]
    step = next_step(order, ledger(done("wc:1:order")))
    assert step is not None and step.name == "confirm_to_shop"
    step = next_step(order, ledger(done("wc:1:order"), done("wc:1:note:confirmed")))
    assert step is not None and step.name == "record_payment"
    assert (
        next_step(
            order, ledger(done("wc:1:order"), done("wc:1:note:confirmed"), done("wc:1:payment"))
        )
        is None
    )


def test_cancel_before_create_is_a_skip_once() -> None:
    order = parse_order(order_payload(1, status="cancelled"))
    assert next_step(order, {}).name == "skip_order"  # type: ignore[union-attr]
    assert next_step(order, ledger(done("wc:1:skip", None, None))) is None


def test_cancel_after_create_cancels_and_after_invoice_credits() -> None:
    base = ledger(done("wc:1:order"), done("wc:1:note:confirmed"))
    order = parse_order(order_payload(1, status="cancelled"))
    assert next_step(order, base).name == "cancel_order"  # type: ignore[union-attr]
    invoiced = {**base, **ledger(done("wc:1:invoice"))}
    step = next_step(order, invoiced)
    assert step is not None and step.name == "credit_note" and step.idem_key == "wc:1:refund:cancel"


def test_refunds_oldest_first_and_partial_after_full_is_partial() -> None:
    refunds = [{"id": 9, "total": "-10.00"}, {"id": 8, "total": "-54.23"}]  # newest first
    order = parse_order(order_payload(1, status="refunded", refunds=refunds))
    base = ledger(done("wc:1:order"), done("wc:1:note:confirmed"), done("wc:1:invoice"))
    step = next_step(order, base)
    assert step is not None and step.idem_key == "wc:1:refund:8" and step.params["full"] is False
    step = next_step(order, {**base, **ledger(done("wc:1:refund:8"))})
    assert step is not None and step.idem_key == "wc:1:refund:9" and step.params["full"] is False
    full = parse_order(order_payload(1, status="refunded", refunds=[{"id": 7, "total": "-64.23"}]))
    step = next_step(full, base)
    assert step is not None and step.params["full"] is True


def test_drafts_wait() -> None:
    assert next_step(parse_order(order_payload(1, status="checkout-draft")), {}) is None
