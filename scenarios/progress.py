"""Progress while a scenario runs: one line a second on stderr, and the samples the report
keeps (``samples``: orders sent / in SAP / acknowledged over time; ``fault_windows``).

Progress is judged from the emulators' ground truth (``stack.counters()``), so it reads
the same for any bridge. On a terminal the line is redrawn in place; otherwise (CI logs)
one line per second is appended.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

Counters = Callable[[], Awaitable[dict[str, int]]]


@dataclass
class FaultWindows:
    """Which faults are active, and since when (seconds from the run's start)."""

    t0: float
    active: dict[str, float] = field(default_factory=dict)
    closed: list[dict[str, Any]] = field(default_factory=list)
    last_heal_s: float | None = None

    def now_s(self) -> float:
        return round(time.monotonic() - self.t0, 3)

    def change(self, event: str, name: str) -> None:
        if event == "on":
            self.active.setdefault(name, self.now_s())
        elif name in self.active:
            start = self.active.pop(name)
            end = self.now_s()
            self.closed.append({"name": name, "start_s": start, "end_s": end})
            self.last_heal_s = end

    def windows(self) -> list[dict[str, Any]]:
        """Closed windows, plus open ones ending now (a fault nobody healed)."""
        now = self.now_s()
        out = list(self.closed) + [
            {"name": n, "start_s": s, "end_s": now, "unhealed": True}
            for n, s in self.active.items()
        ]
        return sorted(out, key=lambda w: (w["start_s"], w["name"]))


@dataclass
class Progress:
    """Samples the counters once a second and prints a status line to ``stream``."""

    counters: Counters
    faults: FaultWindows
    stream: TextIO | None = sys.stderr
    interval_s: float = 1.0
    phase: str = "starting"
    samples: list[dict[str, Any]] = field(default_factory=list)
    _task: asyncio.Task[None] | None = None
    _width: int = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self.sample()
        if self.stream is not None and self._tty():
            self.stream.write("\n")
            self.stream.flush()

    def _tty(self) -> bool:
        isatty = getattr(self.stream, "isatty", None)
        return bool(isatty and isatty())

    async def sample(self) -> dict[str, Any] | None:
        try:
            c = await self.counters()
        except Exception:  # the stack may be mid-restart: skip this tick, keep going
            return None
        row = {
            "t_s": self.faults.now_s(),
            "orders": int(c.get("orders", 0)),
            "in_sap": int(c.get("in_sap", 0)),
            "acknowledged": int(c.get("acknowledged", 0)),
        }
        self.samples.append(row)
        return row

    def line(self, row: dict[str, Any]) -> str:
        active = ", ".join(sorted(self.faults.active)) or "none"
        return (
            f"[{row['t_s']:6.1f}s] {self.phase:<9} orders {row['orders']:>5}  "
            f"in SAP {row['in_sap']:>5}  acked {row['acknowledged']:>5}  faults: {active}"
        )

    async def _loop(self) -> None:
        while True:
            started = time.monotonic()
            row = await self.sample()
            if row is not None and self.stream is not None:
                text = self.line(row)
                if self._tty():
                    pad = max(0, self._width - len(text))
                    self.stream.write("\r" + text + " " * pad)
                    self._width = len(text)
                else:
                    self.stream.write(text + "\n")
                self.stream.flush()
            await asyncio.sleep(max(0.05, self.interval_s - (time.monotonic() - started)))
