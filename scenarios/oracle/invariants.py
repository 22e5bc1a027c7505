"""Oracle invariants: each a small pure function registered by name in ``INVARIANTS``.

An invariant takes the histories and the contract and returns the list of its violations
(empty = ok). Violations are short dicts a person can act on: which order, what was
expected, what was found.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from scenarios.oracle.amounts import amounts_match
from scenarios.oracle.contract import Contract
from scenarios.oracle.dlq import dlq_explained
from scenarios.oracle.effects import (
    no_duplicate_credit_note,
    no_duplicate_invoice,
    no_partial_document,
    refunds_credited,
)
from scenarios.oracle.histories import Histories
from scenarios.oracle.orders import (
    cancelled_in_sap,
    confirmation_note,
    lines_match,
    no_duplicate_order,
    no_lost_order,
    no_orphan_order,
    standing_not_cancelled,
)
from scenarios.oracle.pii import no_pii_in_log
from scenarios.oracle.stock import stock_drift

Violation = dict[str, Any]
Invariant = Callable[[Histories, Contract], list[Violation]]


@dataclass(frozen=True)
class InvariantResult:
    name: str
    ok: bool
    violations: list[Violation]

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "violations": self.violations}


#: every invariant, in report order
INVARIANTS: dict[str, Invariant] = {
    "no_lost_order": no_lost_order,
    "no_duplicate_order": no_duplicate_order,
    "no_orphan_order": no_orphan_order,
    "cancelled_in_sap": cancelled_in_sap,
    "standing_not_cancelled": standing_not_cancelled,
    "lines_match": lines_match,
    "amounts_match": amounts_match,
    "no_partial_document": no_partial_document,
    "no_duplicate_invoice": no_duplicate_invoice,
    "no_duplicate_credit_note": no_duplicate_credit_note,
    "refunds_credited": refunds_credited,
    "confirmation_note": confirmation_note,
    "dlq_explained": dlq_explained,
    "no_pii_in_log": no_pii_in_log,
    "stock_drift": stock_drift,
}
