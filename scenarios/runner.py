"""Run one scenario on the embedded stack and judge it with the oracle."""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from sapchaos.logs import get_logger
from scenarios.catalog import Scenario
from scenarios.oracle import judge
from scenarios.report import build_report, print_summary, write_report
from scenarios.stack import EmbeddedStack

log = get_logger("scenarios.runner")


async def run_scenario(
    scenario: Scenario,
    *,
    seed: int,
    orders: int | None = None,
    report_path: str | Path | None = "report.json",
    store_dsn: str | None = None,
    out: TextIO | None = None,
) -> dict[str, Any]:
    """Start the stack, create the orders, wait for quiescence, judge, write the report."""
    out = out or sys.stdout
    n = orders if orders is not None else scenario.orders
    settings = scenario.settings(seed)
    if store_dsn is not None:
        settings = replace(settings, store_dsn=store_dsn)
    started_at = datetime.now(UTC)
    t0 = time.monotonic()
    out.write(f"sapchaos: scenario {scenario.name!r}, seed {seed}, {n} orders\n")
    out.flush()
    async with EmbeddedStack(settings) as stack:
        out.write(
            f"  fakesap {stack.sap_url}  fakeshop {stack.shop_url}  bridge {stack.bridge.url if stack.bridge else '-'}\n"
        )
        timeline = asyncio.create_task(scenario.timeline(stack)) if scenario.timeline else None
        await stack.generate_orders(n)
        if timeline is not None:
            await timeline
        settled = await stack.wait_quiescent(n, timeout_s=scenario.timeout_s)
        histories = await stack.histories()
        fired = await stack.fault_history()
    duration = time.monotonic() - t0
    verdict = judge(histories)
    report = build_report(
        scenario=scenario.name,
        seed=seed,
        verdict=verdict,
        faults=_with_fired(scenario.faults, fired),
        started_at=started_at,
        duration_s=duration,
        extra={"settled": settled},
    )
    print_summary(report, out)
    if report_path is not None:
        path = write_report(report, report_path)
        out.write(f"  report: {path}\n")
    log.info("scenario finished", scenario=scenario.name, seed=seed, verdict=report["verdict"])
    return report


def _with_fired(faults: list[dict[str, Any]], rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The scenario's declared faults, each SAP rule with how often fakesap says it fired."""
    fired = {str(r.get("id")): r.get("fired", 0) for r in rules}
    out = []
    for f in faults:
        entry = dict(f)
        if f.get("kind") == "sap_fault":
            entry["fired"] = fired.get(str(f.get("id")), 0)
        out.append(entry)
    return out
