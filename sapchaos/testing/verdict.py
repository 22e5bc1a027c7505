"""The oracle's verdict for one test, with an assertion that explains itself.

``assert_passed()`` fails with one block per failed invariant naming the shop order ids
and what was wrong with each, so a red test says what the bridge did, not just "False".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scenarios.oracle import InvariantResult, Verdict

#: violations shown per invariant before "… and N more"
MAX_SHOWN = 10


def _order_ids(violations: list[dict[str, Any]]) -> list[str]:
    ids: list[str] = []
    for v in violations:
        oid = v.get("order_id")
        if oid is not None and str(oid) not in ids:
            ids.append(str(oid))
    return ids


def _describe(violation: dict[str, Any]) -> str:
    rest = ", ".join(f"{k}={v}" for k, v in violation.items() if k != "order_id")
    oid = violation.get("order_id")
    return f"order {oid}: {rest}" if oid is not None else rest


@dataclass(frozen=True)
class StackVerdict:
    """What the oracle concluded from the emulators' ground truth after a test."""

    verdict: Verdict
    seed: int

    @property
    def passed(self) -> bool:
        return self.verdict.passed

    @property
    def failed(self) -> list[InvariantResult]:
        return [r for r in self.verdict.invariants if not r.ok]

    def invariant(self, name: str) -> InvariantResult:
        for r in self.verdict.invariants:
            if r.name == name:
                return r
        known = ", ".join(r.name for r in self.verdict.invariants)
        raise KeyError(f"no invariant {name!r} (known: {known})")

    @property
    def counts(self) -> dict[str, Any]:
        return dict(self.verdict.counts)

    def message(self) -> str:
        """A report a person can act on: each failed invariant and its shop orders."""
        failed = self.failed
        total = len(self.verdict.invariants)
        if not failed:
            return f"sapchaos verdict: passed ({total} invariants, seed {self.seed})"
        lines = [
            f"sapchaos verdict: FAILED — {len(failed)} of {total} invariants violated "
            f"(seed {self.seed})"
        ]
        for r in failed:
            ids = _order_ids(r.violations)
            which = f"shop orders {', '.join(ids)}" if ids else f"{len(r.violations)} violations"
            lines.append(f"  {r.name}: {which}")
            for v in r.violations[:MAX_SHOWN]:
                lines.append(f"    {_describe(v)}")
            if len(r.violations) > MAX_SHOWN:
                lines.append(f"    … and {len(r.violations) - MAX_SHOWN} more")
        counts = ", ".join(f"{k}={v}" for k, v in self.verdict.counts.items())
        if counts:
            lines.append(f"  counts: {counts}")
        return "\n".join(lines)

    def assert_passed(self) -> None:
        """Raise ``AssertionError`` with ``message()`` unless every invariant held."""
        if not self.passed:
            raise AssertionError(self.message())

    def __str__(self) -> str:
        return self.message()
