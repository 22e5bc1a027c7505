"""Dead letters: every order the bridge gave up on is explained by an injected permanent
fault, and nothing else dead-letters.

The oracle sees a dead letter where the shop sees it: the bridge's compensation note on
the order (``Contract.dlq_note_regex``). It explains it from fakesap's fault decisions
(``GET /__admin/faults/history``), never from the bridge: a ``line_reject`` that refused a
line carrying one of the order's items, or an ``http_error`` with a permanent 4xx status.
A dead letter after a partition (retries exhausted) or after a validation bug has no such
fault behind it, and fails.
"""

from __future__ import annotations

from typing import Any

from scenarios.oracle.contract import Contract
from scenarios.oracle.histories import Histories

Violation = dict[str, Any]
#: 4xx statuses a client retries (session, timeout, throttling): never a reason to give up
TRANSIENT_4XX = frozenset({401, 408, 409, 425, 429})


def _facts(decision: dict[str, Any]) -> list[dict[str, Any]]:
    facts = decision.get("facts")
    if isinstance(facts, list) and facts:
        return [f for f in facts if isinstance(f, dict)]
    return [{"fault": f} for f in decision.get("faults") or []]


def permanent_faults(h: Histories) -> tuple[dict[str, int], int]:
    """(item code → times a line_reject refused it, number of permanent 4xx http_errors)."""
    items: dict[str, int] = {}
    http_4xx = 0
    for decision in h.fault_decisions:
        for fact in _facts(decision):
            kind = fact.get("fault")
            if kind == "line_reject" and fact.get("item_code"):
                code = str(fact["item_code"])
                items[code] = items.get(code, 0) + 1
            elif kind == "http_error":
                try:
                    status = int(fact.get("status", 0))
                except (TypeError, ValueError):
                    continue
                if 400 <= status < 500 and status not in TRANSIENT_4XX:
                    http_4xx += 1
    return items, http_4xx


def dlq_explained(h: Histories, c: Contract) -> list[Violation]:
    """Each dead-lettered order is explained by a permanent fault fakesap injected."""
    dlq = h.dlq_orders(c)
    if not dlq:
        return []
    items, http_4xx = permanent_faults(h)
    orders = h.orders_by_id()
    out: list[Violation] = []
    for oid in sorted(dlq):
        skus = {
            str(li.get("sku"))
            for li in ((orders.get(oid) or {}).get("order") or {}).get("line_items", [])
        }
        if skus & set(items):
            continue
        if http_4xx > 0:
            http_4xx -= 1
            continue
        out.append(
            {
                "order_id": oid,
                "problem": "dead-lettered without an injected permanent fault",
                "note": dlq[oid][0][:300],
            }
        )
    return out
