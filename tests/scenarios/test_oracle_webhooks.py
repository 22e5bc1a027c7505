"""``scenarios.oracle.webhooks``: a webhook WooCommerce disabled is found from the ground
truth — by its status at the end, or by 7 failed deliveries in a row in the ledger even
when it was re-activated later; 6 in a row, dropped copies and interleaved successes are
not a disable. The counts and the ``webhook_active`` / ``delivery_failures`` expectations
read it."""

from __future__ import annotations

from typing import Any

from scenarios.oracle import judge
from scenarios.oracle.histories import Histories
from scenarios.oracle.webhooks import disabled_webhooks, failure_runs, longest_delivery_ms

HOOK = {"id": 1, "topic": "order.created", "status": "active", "failure_count": 0}


def attempt(
    i: int, status: int | None, *, sent: bool = True, webhook_id: int = 1
) -> dict[str, Any]:
    return {
        "webhook_id": webhook_id,
        "order_id": i,
        "sent_at": f"2026-01-01T00:00:{i:02d}.000Z" if sent else None,
        "status": status,
        "error": None if status is not None else ("dropped" if not sent else "timeout"),
        "duration_ms": 10.0,
    }


def hist(
    deliveries: list[dict[str, Any]], webhooks: list[dict[str, Any]] | None = None
) -> Histories:
    return Histories(
        [], [], [], deliveries=deliveries, webhooks=[HOOK] if webhooks is None else webhooks
    )


def test_six_failures_in_a_row_is_not_a_disable() -> None:
    h = hist([attempt(i, 503) for i in range(6)] + [attempt(6, 200)])
    assert failure_runs(h) == {1: 6}
    assert disabled_webhooks(h) == []


def test_seven_failures_in_a_row_disable_even_if_reactivated() -> None:
    h = hist([attempt(i, None) for i in range(7)] + [attempt(7, 200)])
    found = disabled_webhooks(h)
    assert len(found) == 1 and found[0]["longest_failure_run"] == 7
    assert found[0]["status_at_end"] == "active"


def test_finishing_order_counts_not_the_ledger_order() -> None:
    # a success that finished between failures breaks the run (as log_delivery resets it)
    fails = [attempt(i, 503) for i in range(8)]
    ok = attempt(3, 200)
    ok["sent_at"] = "2026-01-01T00:00:03.500Z"
    h = hist([*fails, ok])
    assert failure_runs(h) == {1: 4}
    assert disabled_webhooks(h) == []


def test_dropped_copies_never_reached_the_shop_counter() -> None:
    h = hist([attempt(i, None, sent=False) for i in range(10)])
    assert failure_runs(h) == {} and disabled_webhooks(h) == []


def test_status_disabled_at_the_end_is_a_disable() -> None:
    h = hist([], [{**HOOK, "status": "disabled"}])
    assert [d["webhook_id"] for d in disabled_webhooks(h)] == [1]


def test_longest_delivery_counts_sent_attempts_only() -> None:
    slow = {**attempt(1, 200), "duration_ms": 4200.5}
    never_sent = {**attempt(2, None, sent=False), "duration_ms": 99999.0}
    h = hist([attempt(0, 200), slow, never_sent])
    assert longest_delivery_ms(h) == 4200.5
    assert judge(h).counts["delivery_max_ms"] == 4200.5
    assert longest_delivery_ms(hist([])) == 0.0


def test_counts_carry_failures_and_disables() -> None:
    h = hist(
        [attempt(i, 500) for i in range(7)] + [attempt(i, 200, webhook_id=2) for i in range(3)]
    )
    counts = judge(h).counts
    assert counts["webhook_failures"] == 7
    assert counts["webhooks_disabled"] == 1
