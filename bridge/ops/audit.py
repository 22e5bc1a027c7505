"""Verify the operations audit log's hash chain (``sapchaos bridge audit verify``).

Like a transparency log or a blockchain-style ledger: each entry carries the hash of the
one before and its own hash over its fields. An edited entry no longer matches its own
hash; a deleted entry leaves a gap in ``seq`` and a broken link; an inserted entry breaks
the link of the entry after it. Rewriting the whole tail consistently needs someone to
recompute every later hash: compare the head hash ``verify`` prints with a copy kept
elsewhere to catch that too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from bridge.store.base import GENESIS_HASH, AuditEntry, Store

#: entries read per round trip while verifying
PAGE = 1000


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    kind: str  # "edited" | "gap" | "broken_link"
    message: str


@dataclass
class ChainReport:
    entries: int = 0
    head_hash: str = GENESIS_HASH
    problems: list[ChainProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "head_hash": self.head_hash,
            "problems": [p.__dict__ for p in self.problems],
        }


class ChainChecker:
    """Feed entries in ascending ``seq``; collects every problem (not only the first)."""

    def __init__(self) -> None:
        self.report = ChainReport()
        self._prev_seq = 0

    def feed(self, entries: Iterable[AuditEntry]) -> None:
        r = self.report
        for e in entries:
            if e.expected_hash() != e.hash:
                r.problems.append(
                    ChainProblem(e.seq, "edited", f"entry {e.seq}: fields do not match its hash")
                )
            if e.seq != self._prev_seq + 1:
                r.problems.append(
                    ChainProblem(
                        e.seq,
                        "gap",
                        f"entry {e.seq} follows {self._prev_seq}: "
                        f"{e.seq - self._prev_seq - 1} entry(ies) missing",
                    )
                    if e.seq > self._prev_seq + 1
                    else ChainProblem(e.seq, "gap", f"entry {e.seq} is out of order")
                )
            if e.prev_hash != r.head_hash:
                r.problems.append(
                    ChainProblem(
                        e.seq,
                        "broken_link",
                        f"entry {e.seq}: prev_hash does not match the entry before it "
                        "(an entry was inserted, deleted or edited)",
                    )
                )
            r.head_hash = e.hash
            r.entries += 1
            self._prev_seq = e.seq


def verify_entries(entries: Iterable[AuditEntry]) -> ChainReport:
    checker = ChainChecker()
    checker.feed(entries)
    return checker.report


async def verify_store(store: Store) -> ChainReport:
    """Walk the whole chain page by page."""
    checker = ChainChecker()
    after = 0
    while True:
        page = await store.list_audit(after_seq=after, limit=PAGE)
        if not page:
            return checker.report
        checker.feed(page)
        after = page[-1].seq
