"""The oracle judges a long run in time linear in its size: each whole-history index
(orders by id, documents by key, notes …) is built a fixed number of times per verdict,
never once per order (a 100k-order benchmark once spent hours rebuilding one per order).
Counted, not timed: the machines are shared."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from scenarios.oracle import Histories, judge
from tests.scenarios.test_oracle import _ack, _order, _sap

INDEXES = (
    "orders_by_id",
    "docs",
    "docs_by_field",
    "expected_keys",
    "sap_orders_by_order",
    "sap_orders_by_key",
    "notes",
    "confirmation_notes",
    "dlq_orders",
)


def _history(n: int) -> Histories:
    return Histories(
        shop_orders=[_order(i, [("A", 1)]) for i in range(1, n + 1)],
        sap_documents=[_sap(i, f"wc:{i}:order", [("A", 1)]) for i in range(1, n + 1)],
        shop_received=[_ack(i, 100000 + i, "2026-01-01T10:00:01.000Z") for i in range(1, n + 1)],
    )


def _calls(monkeypatch: pytest.MonkeyPatch, n: int) -> Counter[str]:
    calls: Counter[str] = Counter()

    def counting(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            calls[name] += 1
            return fn(*args, **kwargs)

        return wrapper

    with monkeypatch.context() as m:
        for name in INDEXES:
            m.setattr(Histories, name, counting(name, getattr(Histories, name)))
        verdict = judge(_history(n))
    assert verdict.passed, [r for r in verdict.invariants if not r.ok]
    return calls


def test_index_builds_do_not_grow_with_the_number_of_orders(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    small, large = _calls(monkeypatch, 5), _calls(monkeypatch, 200)
    assert large == small, {k: (small[k], large[k]) for k in large if large[k] != small[k]}
