"""The fault engine: the active rules, one seeded RNG, fired counts and a decision log.

Every random choice for a request is drawn here, synchronously, when the request is
decided: each rule that matches the request consumes exactly two draws (fire? and a
sub-seed for the fault's own choices) whether it fires or not, so the same seed and the
same request order reproduce the same faults.
"""

from __future__ import annotations

import asyncio
import random
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from fakesap.faults.base import RequestView
from fakesap.faults.rules import Rule, RuleError, Target, parse_rule

#: how many decisions the engine remembers for ``GET /__admin/faults/history``
HISTORY_SIZE = 10_000


@dataclass
class Firing:
    """One rule that fired for one request, with the seed for the fault's own draws."""

    rule: Rule
    seed: int
    info: dict[str, Any] = field(default_factory=dict)

    def rng(self) -> random.Random:
        return random.Random(self.seed)

    def describe(self) -> dict[str, Any]:
        return {"rule": self.rule.id, "fault": self.rule.fault_kind, **self.info}


@dataclass
class Decision:
    """What happens to one request: every fired delay-type fault, then one outcome."""

    seq: int
    delays: list[Firing]
    outcome: Firing | None
    record: dict[str, Any] = field(default_factory=dict)  # this decision's history entry

    @property
    def firings(self) -> list[Firing]:
        return [*self.delays, *([self.outcome] if self.outcome else [])]

    def journal_entry(self) -> dict[str, Any]:
        """The dict stored under ``FAULT_KEY``: the primary rule plus all that fired."""
        primary = self.outcome or self.delays[0]
        entry = primary.describe()
        entry["rules"] = [f.describe() for f in self.firings]
        return entry

    def finish(self) -> None:
        """Copy what the faults observed (status, delay, committed, ...) into the history."""
        self.record["facts"] = [f.describe() for f in self.firings]


class FaultEngine:
    """Owns the rules, the seeded RNG, the time window origin and the background tasks."""

    def __init__(
        self,
        rules: Iterable[Rule] = (),
        *,
        seed: int = 0,
        clock: Callable[[], float],
        profile: str | None = None,
    ) -> None:
        self.clock = clock
        self.rules: list[Rule] = []
        self.profile = profile
        self.seed = seed
        self.rng = random.Random(seed)
        self.started_at = clock()
        self.fired: dict[str, int] = {}
        self.seq = 0
        self.history: deque[dict[str, Any]] = deque(maxlen=HISTORY_SIZE)
        self.tasks: set[asyncio.Task[Any]] = set()
        self._next_id = 1
        for rule in rules:
            self.add_rule(rule)

    # ---- rules -------------------------------------------------------------------------
    def new_rule_id(self) -> str:
        while f"rule-{self._next_id}" in self.fired:
            self._next_id += 1
        return f"rule-{self._next_id}"

    def parse_and_add(self, raw: Any) -> Rule:
        rule = parse_rule(raw, self.new_rule_id())
        self.add_rule(rule)
        return rule

    def add_rule(self, rule: Rule) -> None:
        if rule.id in self.fired:
            raise RuleError(f"a rule with id {rule.id!r} already exists", "id")
        self.rules.append(rule)
        self.fired[rule.id] = 0

    def remove_rule(self, rule_id: str) -> bool:
        for i, rule in enumerate(self.rules):
            if rule.id == rule_id:
                del self.rules[i]
                del self.fired[rule_id]
                return True
        return False

    def reset(
        self,
        *,
        seed: int | None = None,
        rules: Iterable[Rule] | None = None,
        profile: str | None = None,
    ) -> None:
        """Fresh RNG, counters, history and time window; optionally new rules."""
        if seed is not None:
            self.seed = seed
        self.rng = random.Random(self.seed)
        self.started_at = self.clock()
        self.seq = 0
        self.history.clear()
        if rules is not None:
            self.rules = []
            self.fired = {}
            self._next_id = 1
            self.profile = profile
            for rule in rules:
                self.add_rule(rule)
        else:
            self.fired = {rule.id: 0 for rule in self.rules}

    def elapsed_s(self) -> float:
        return self.clock() - self.started_at

    # ---- decisions ---------------------------------------------------------------------
    def decide(self, view: RequestView, target: Target = "sl") -> Decision | None:
        """Draw for every matching rule in order; return the faults that fire (or None)."""
        self.seq += 1
        elapsed = self.elapsed_s()
        delays: list[Firing] = []
        outcome: Firing | None = None
        for rule in self.rules:
            if not rule.matches(view, target):
                continue
            draw = self.rng.random()
            sub_seed = self.rng.getrandbits(64)
            if not rule.in_window(elapsed) or draw >= rule.probability:
                continue
            if rule.max_count is not None and self.fired[rule.id] >= rule.max_count:
                continue
            if rule.fault.phase == "delay":
                delays.append(Firing(rule, sub_seed))
            elif outcome is None:
                outcome = Firing(rule, sub_seed)
            else:
                continue  # a second outcome cannot apply to the same request
            self.fired[rule.id] += 1
        if not delays and outcome is None:
            return None
        decision = Decision(self.seq, delays, outcome)
        decision.record.update(
            {
                "seq": self.seq,
                "elapsed_s": round(elapsed, 3),
                "target": target,
                "method": view.method,
                "path": view.path,
                "rules": [f.rule.id for f in decision.firings],
                "faults": [f.rule.fault_kind for f in decision.firings],
            }
        )
        self.history.append(decision.record)
        return decision

    # ---- background tasks --------------------------------------------------------------
    def spawn(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
        """Start a task the engine owns (late commits), so a disconnect cannot cancel it."""
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def shutdown(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)

    def snapshot(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "profile": self.profile,
            "elapsed_s": round(self.elapsed_s(), 3),
            "requests_seen": self.seq,
            "pending_tasks": len(self.tasks),
            "rules": [{**rule.to_dict(), "fired": self.fired[rule.id]} for rule in self.rules],
        }
