"""The verdict: run every registered invariant and the measures over the histories."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scenarios.oracle.contract import Contract
from scenarios.oracle.histories import Histories
from scenarios.oracle.invariants import INVARIANTS, Invariant, InvariantResult
from scenarios.oracle.measures import counts, tta_samples_ms, tta_summary


@dataclass(frozen=True)
class Verdict:
    passed: bool
    invariants: list[InvariantResult]
    counts: dict[str, Any]
    tta_ms: dict[str, float]
    contract: Contract

    @property
    def verdict(self) -> str:
        return "pass" if self.passed else "fail"


def judge(
    h: Histories,
    contract: Contract | None = None,
    invariants: Mapping[str, Invariant] | None = None,
    skip: frozenset[str] = frozenset(),
) -> Verdict:
    """Pure: the same histories (and contract) always give the same verdict.

    ``skip`` names invariants a scenario declares it cannot meet by design (reported as
    skipped by the runner, never silently)."""
    c = contract or Contract()
    table = INVARIANTS if invariants is None else invariants
    results = []
    for name, check in table.items():
        if name in skip:
            continue
        violations = check(h, c)
        results.append(InvariantResult(name, not violations, violations))
    return Verdict(
        passed=all(r.ok for r in results),
        invariants=results,
        counts=counts(h, c),
        tta_ms=tta_summary(tta_samples_ms(h, c)),
        contract=c,
    )
