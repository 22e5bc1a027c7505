"""``run_scenario``: a catalog scenario or a team's scenario file inside a test.

The scenario runs exactly as ``sapchaos scenario run --bridge-cmd …`` runs it (the same
runner, its own stack, the same oracle), against the bridge the suite's
``sapchaos_bridge`` fixture names, and hands back the verdict with an assertion that
explains itself.
"""

from __future__ import annotations

import inspect
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sapchaos.testing.bridges import Bridge
from sapchaos.testing.servers import ServerThread
from sapchaos.testing.verdict import MAX_SHOWN


@dataclass(frozen=True)
class ScenarioVerdict:
    """A scenario's report (``report.json`` format) with ``assert_passed()``."""

    report: dict[str, Any]
    output: str

    @property
    def passed(self) -> bool:
        return self.report.get("verdict") == "pass"

    def message(self) -> str:
        r = self.report
        head = f"sapchaos scenario {r.get('scenario')!r} (seed {r.get('seed')})"
        if self.passed:
            return f"{head}: passed"
        lines = [f"{head}: FAILED"]
        for name, result in (r.get("invariants") or {}).items():
            if result.get("ok", True):
                continue
            violations = result.get("violations") or []
            ids = sorted({str(v["order_id"]) for v in violations if "order_id" in v})
            lines.append(f"  {name}: shop orders {', '.join(ids) or '-'}")
            for v in violations[:MAX_SHOWN]:
                lines.append("    " + ", ".join(f"{k}={val}" for k, val in v.items()))
        for name, exp in (r.get("expectations") or {}).items():
            if not exp.get("ok", True):
                lines.append(
                    f"  expectation {name}: expected {exp.get('expected')}, "
                    f"found {exp.get('found')}"
                )
        if r.get("replay_command"):
            lines.append(f"  replay: {r['replay_command']}")
        return "\n".join(lines)

    def assert_passed(self) -> None:
        if not self.passed:
            raise AssertionError(self.message())


class ScenarioRunner:
    """The callable the ``run_scenario`` fixture returns."""

    def __init__(self, thread: ServerThread, bridge: Bridge, tmp_path: Path) -> None:
        self.thread = thread
        self.bridge = bridge
        self.tmp_path = Path(tmp_path)

    def __call__(
        self,
        name_or_path: str | Path,
        *,
        seed: int = 1,
        orders: int | None = None,
        contract: Any = None,
        timeout: float = 600.0,
    ) -> ScenarioVerdict:
        """Run the scenario (blocking) and return its verdict; the report is written to
        the test's ``tmp_path``."""
        from scenarios.runner import run_scenario

        kind = self.bridge.kind
        if kind == "app":
            raise TypeError(
                "run_scenario needs a bridge it can start, kill and restart as a process: "
                "let sapchaos_bridge return a shell command (or None for the reference bridge)"
            )
        scenario = _load(name_or_path)
        out = io.StringIO()
        kwargs: dict[str, Any] = {
            "seed": seed,
            "orders": orders,
            "report_path": self.tmp_path / f"report-{_slug(name_or_path)}-{seed}.json",
            "out": out,
        }
        params = inspect.signature(run_scenario).parameters
        if kind == "command":
            if "bridge_cmd" not in params:
                raise TypeError("this sapchaos runner cannot run a bridge command yet")
            kwargs["bridge_cmd"] = self.bridge.target
            if "bridge_url" in params:  # where the shop delivers (the runner adds the proxy)
                kwargs["bridge_url"] = "http://127.0.0.1:{bridge_port}" + self.bridge.webhook_path
        if "run_dir" in params:
            kwargs["run_dir"] = self.tmp_path / f"run-{_slug(name_or_path)}-{seed}"
        if contract is not None and "contract" in params:
            kwargs["contract"] = contract
        report = self.thread.run(run_scenario(scenario, **kwargs), timeout=timeout)
        return ScenarioVerdict(report, out.getvalue())


def _slug(name_or_path: str | Path) -> str:
    return Path(str(name_or_path)).stem.replace(" ", "-")


def _load(name_or_path: str | Path) -> Any:
    """The scenario by catalog name or file path (validated; errors name the line)."""
    from scenarios.schema import load_scenario

    return load_scenario(name_or_path)
