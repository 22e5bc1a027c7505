"""Run one scenario: start the stack, drive the load and the timeline, wait until the
emulators' ground truth stops moving, judge with the oracle, write the report.

The runner never asks the bridge how it did; progress, quiescence and the verdict all
come from fakeshop's and fakesap's ``/__admin`` ground truth, so the same run judges the
reference bridge and someone else's (``bridge_cmd``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
import shlex
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from sapchaos.logs import get_logger
from scenarios.actions import ACTIONS, BROKER_ACTIONS, ActionContext
from scenarios.expectations import check_expectations
from scenarios.oracle import Contract, Histories, judge
from scenarios.oracle.measures import tta_points
from scenarios.progress import FaultWindows, Progress
from scenarios.report import build_report, print_summary, write_report
from scenarios.schema import Scenario, TimelineEntry

log = get_logger("scenarios.runner")


class RunError(RuntimeError):
    """The scenario could not be run as written (not a verdict): one clear line."""


def stack_settings(
    scenario: Scenario,
    *,
    seed: int,
    bridge_cmd: str | None,
    bridge_url: str | None,
    run_dir: Path,
) -> Any:
    """``StackSettings`` for this scenario (interface B), fields the stack lacks refused
    with a clear message when the scenario needs them."""
    from scenarios.stack import StackSettings

    have = {f.name for f in dataclasses.fields(StackSettings)}
    st = scenario.stack
    wanted: dict[str, Any] = {
        "seed": seed,
        "uniqueness_guard": st.uniqueness_guard,
        "workers": st.workers,
        "sap_total_timeout_s": st.sap_timeout_s,
        "lease_s": lease_s(scenario),
        "topics": st.topics,
        "bridge_cmd": bridge_cmd,
        "bridge_url": bridge_url,
        "bridge_process": bool(bridge_cmd) or scenario.needs_bridge_process,
        "shop_mode": scenario.load.shop,
        "broker": "own"
        if any(e.action in BROKER_ACTIONS for e in scenario.timeline)
        else st.broker,
        "sap_persist": st.sap_persist or any(e.action == "sap_restart" for e in scenario.timeline),
        "run_dir": run_dir,
        "prices_include_tax": scenario.load.prices_include_tax,
        "bridge_instances": st.bridge_instances,
        "balancer_kind": st.balancer,
        "stock": scenario.stock,
    }
    if not bridge_cmd:  # tuning of the reference bridge only
        overrides: dict[str, Any] = {}
        if st.fast_retry:
            from bridge.config import RetryPolicy

            overrides["retry"] = RetryPolicy(
                base_s=0.05, cap_s=1.0, max_attempts=400, max_age_s=900.0
            )
        if st.reconcile_s is not None:
            overrides["reconcile_interval_s"] = st.reconcile_s
        if st.poll_s is not None:
            overrides["poll_interval_s"] = st.poll_s
        if overrides:
            wanted["bridge_overrides"] = overrides
    defaults = {
        "bridge_cmd": None,
        "bridge_url": None,
        "bridge_process": False,
        "shop_mode": "woo",
        "broker": "none",
        "sap_persist": False,
        "run_dir": None,
        "prices_include_tax": None,
        "bridge_instances": 1,
        "balancer_kind": "embedded",
        "stock": None,
    }
    missing = [k for k, v in wanted.items() if k not in have and v != defaults.get(k, v)]
    missing = [k for k in missing if k != "run_dir"]
    if missing:
        raise RunError(
            f"scenario {scenario.name!r} needs stack support for {', '.join(missing)} "
            "(scenarios/stack.py does not offer it yet)"
        )
    return StackSettings(**{k: v for k, v in wanted.items() if k in have})


def default_run_dir(name: str, seed: int) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    return Path("sapchaos-runs") / f"{stamp}-{name}-seed{seed}"


def replay_command(
    scenario: Scenario,
    seed: int,
    bridge_cmd: str | None,
    bridge_url: str | None,
    orders: int | None = None,
) -> str:
    ref = (
        scenario.name if scenario.path is None or _in_catalog(scenario.path) else str(scenario.path)
    )
    parts = ["sapchaos", "scenario", "run", ref, "--seed", str(seed)]
    if orders is not None:
        parts += ["--orders", str(orders)]
    if bridge_cmd:
        parts += ["--bridge-cmd", bridge_cmd]
    if bridge_url:
        parts += ["--bridge-url", bridge_url]
    return shlex.join(parts)


def _in_catalog(path: Path) -> bool:
    from scenarios.schema import CATALOG_DIR

    try:
        return path.resolve().parent == CATALOG_DIR.resolve()
    except OSError:
        return False


# --------------------------------------------------------------------------- the load
async def start_load(stack: Any, admin: Any, scenario: Scenario, orders: int) -> None:
    """Create the orders in the shop: a paced stream (``/__admin/load``) or a burst."""
    load = scenario.load
    mix = load.fakeshop_mix()
    if load.rate is None:
        await admin(
            "POST",
            f"{stack.shop_url}/__admin/orders/generate",
            {"count": orders, "with_lifecycle": mix is not None, **({"mix": mix} if mix else {})},
        )
        return
    body: dict[str, Any] = {
        "rate": load.rate,
        "duration_s": orders / load.rate,
        "lifecycle": mix is not None,
    }
    if mix:
        body["mix"] = mix
    await admin("POST", f"{stack.shop_url}/__admin/load", body)


async def wait_load_done(stack: Any, admin: Any, scenario: Scenario, timeout_s: float) -> None:
    if scenario.load.rate is None:
        return
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        run = await admin("GET", f"{stack.shop_url}/__admin/load")
        if run.get("state") != "running":
            if run.get("state") == "failed":
                raise RunError(f"fakeshop's load run failed: {run.get('error')}")
            return
        await asyncio.sleep(0.2)


async def wait_lifecycle_done(stack: Any, admin: Any, timeout_s: float) -> bool:
    """Wait until no order has lifecycle steps to come (fakeshop ``/__admin/stats``)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        stats = await admin("GET", f"{stack.shop_url}/__admin/stats")
        if int(stats.get("lifecycle_pending", 0)) == 0:
            return True
        await asyncio.sleep(0.2)
    return False


async def edit_orders(
    stack: Any, admin: Any, scenario: Scenario, rng: random.Random, orders: int
) -> int:
    """The ``edited`` share: after checkout, staff edit the customer note and a plugin adds
    meta fields the bridge has never seen (WooCommerce 8.5's order-attribution meta) —
    an ``order.updated`` with new fields that must change nothing in SAP."""
    share = scenario.load.lifecycle.get("edited", 0.0)
    if share <= 0:
        return 0
    from bridge.shop.client import WooClient
    from fakeshop.config import DEFAULT_CONSUMER_KEY, DEFAULT_CONSUMER_SECRET

    data = await admin("GET", f"{stack.shop_url}/__admin/orders")
    ids = sorted(int(o["id"]) for o in data.get("orders", []))
    chosen = [oid for oid in ids if rng.random() < share]
    edited = 0
    async with WooClient(stack.shop_url, DEFAULT_CONSUMER_KEY, DEFAULT_CONSUMER_SECRET) as woo:
        for oid in chosen:
            try:
                await woo.request(
                    "PUT",
                    f"orders/{oid}",
                    {
                        "customer_note": f"Please ring twice (edit {rng.randrange(1000)})",
                        "meta_data": [
                            {"key": "_wc_order_attribution_source_type", "value": "utm"},
                            {"key": "_wc_order_attribution_utm_source", "value": "newsletter"},
                            {
                                "key": "_wc_order_attribution_session_pages",
                                "value": str(rng.randint(1, 9)),
                            },
                        ],
                    },
                )
                edited += 1
            except Exception as exc:  # an order the lifecycle already closed: skip it
                log.info("edit_skipped", order_id=oid, error=str(exc)[:200])
    return edited


# --------------------------------------------------------------------------- timeline
async def _wait_trigger(entry: TimelineEntry, t0: float, counters: Any) -> None:
    if entry.at_s is not None:
        await asyncio.sleep(max(0.0, t0 + entry.at_s - time.monotonic()))
        return
    target = int(entry.after_orders or 0)
    while True:
        try:
            if int((await counters()).get("orders", 0)) >= target:
                return
        except Exception:
            pass
        await asyncio.sleep(0.1)


async def fire(entry: TimelineEntry, ctx: ActionContext) -> None:
    """Run the entry's action now; keep its undo as an active effect."""
    action = ACTIONS[entry.action]
    label = entry.label
    log.info("action", action=entry.action, label=label, params=dict(entry.params))
    if action.fault:
        ctx.on_change("on", label)
    undo = await action.run(ctx, entry.params, label)
    if undo is None:
        if action.fault:
            ctx.on_change("off", label)
        return
    ctx.active[label] = undo


async def finish(entry: TimelineEntry, ctx: ActionContext) -> None:
    """Undo the entry's effect after ``duration_s`` (if it has one and is still active)."""
    if entry.duration_s is None or entry.label not in ctx.active:
        return
    await asyncio.sleep(entry.duration_s)
    pending = ctx.active.pop(entry.label, None)
    if pending is not None:
        await pending()
        ctx.on_change("off", entry.label)


async def run_entry(entry: TimelineEntry, ctx: ActionContext, t0: float, counters: Any) -> None:
    """Wait for the entry's moment, run its action, undo it after ``duration_s``."""
    await _wait_trigger(entry, t0, counters)
    await fire(entry, ctx)
    await finish(entry, ctx)


# --------------------------------------------------------------------------- settling
#: quiet rounds in a row (nothing changed in the ground truth) after which a run with
#: unaccounted orders is judged as it stands: the bridge lost them or stopped
QUIET_ROUNDS = 3
#: how long a foreign bridge (``bridge_cmd``) may stay quiet with orders unaccounted before
#: they are judged lost: longer than a 30 s reconciliation interval (the reference
#: bridge's default), since the runner cannot tune someone else's bridge
FOREIGN_PATIENCE_S = 35.0


def accounted(h: Histories, c: Contract) -> bool:
    """Every order is where the policy wants it: synced and acknowledged (or dead-lettered),
    ended orders not live in SAP, refunds of invoiced orders credited."""
    from scenarios.oracle.effects import refunds_credited
    from scenarios.oracle.orders import cancelled_in_sap, confirmation_note, no_lost_order

    return not any(
        f(h, c) for f in (no_lost_order, confirmation_note, cancelled_in_sap, refunds_credited)
    )


def lease_s(scenario: Scenario) -> float:
    """The reference bridge's job lease for this scenario (longer than its SAP timeout)."""
    return max(20.0, scenario.stack.sap_timeout_s * 4)


def patience_s(scenario: Scenario, bridge_cmd: str | None) -> float:
    """Least quiet time before unaccounted orders are judged: a foreign bridge's
    reconciler may run every 30 s; after a ``kill -9`` the dead worker's lease must
    expire before another worker takes its job (the lease fences SAP writes)."""
    from scenarios.actions import PROCESS_ACTIONS

    if bridge_cmd:
        return FOREIGN_PATIENCE_S
    if any(e.action in PROCESS_ACTIONS for e in scenario.timeline):
        return lease_s(scenario) + 2.0
    return 0.0


async def settle(
    stack: Any, scenario: Scenario, n: int, c: Contract, patience_s: float = 0.0
) -> tuple[bool, float]:
    """Wait until the ground truth is quiet. A quiet period with orders still unaccounted
    (a bridge behind a breaker pause, a reconciler on its interval) is waited out again,
    up to ``QUIET_ROUNDS`` quiet periods in a row (and at least ``patience_s`` of quiet)
    or ``expect.timeout_s``. Returns
    (settled before the timeout, monotonic time the last change was seen)."""
    e = scenario.expect
    deadline = time.monotonic() + e.timeout_s
    quiet_rounds = 0
    last: tuple[int, ...] | None = None
    while True:
        remaining = max(0.5, deadline - time.monotonic())
        started = time.monotonic()
        complete = await stack.wait_quiescent(n, timeout_s=remaining, quiet_s=e.quiet_s)
        if complete:
            if accounted(await stack.histories(), c):
                return True, time.monotonic()
            # every order acknowledged, yet one is not where the policy wants it (an
            # ended order still open in SAP: its cancel webhook was lost): give the
            # bridge's reconciler its quiet periods, as for unaccounted orders below
            await asyncio.sleep(e.quiet_s)
        if time.monotonic() >= deadline - 0.1:
            return False, time.monotonic()
        if accounted(await stack.histories(), c):
            return True, max(started, time.monotonic() - e.quiet_s)
        counts = await stack.counters()
        now = (counts["orders"], counts["in_sap"], counts["acknowledged"])
        quiet_rounds = quiet_rounds + 1 if now == last else 1
        last = now
        if quiet_rounds >= QUIET_ROUNDS and quiet_rounds * e.quiet_s >= patience_s:
            return True, time.monotonic() - e.quiet_s * quiet_rounds


# --------------------------------------------------------------------------- the run
async def run_scenario(
    scenario: Scenario,
    *,
    seed: int,
    bridge_cmd: str | None = None,
    bridge_url: str | None = None,
    orders: int | None = None,
    report_path: str | Path | None = None,
    run_dir: str | Path | None = None,
    contract: Contract | None = None,
    out: TextIO | None = None,
    progress_stream: TextIO | None = sys.stderr,
) -> dict[str, Any]:
    """Run ``scenario`` once with ``seed``; returns the report (format 1) and writes it to
    ``report_path`` (default: ``report.json`` in the run's folder)."""
    from scenarios.stack import EmbeddedStack

    out = out or sys.stdout
    n = orders if orders is not None else scenario.load.orders
    rdir = Path(run_dir) if run_dir is not None else default_run_dir(scenario.name, seed)
    rdir.mkdir(parents=True, exist_ok=True)
    settings = stack_settings(
        scenario, seed=seed, bridge_cmd=bridge_cmd, bridge_url=bridge_url, run_dir=rdir
    )
    c = contract or scenario.contract or Contract()
    rng = random.Random(f"{seed}:{scenario.name}")
    started_at = datetime.now(UTC)
    t0 = time.monotonic()
    faults = FaultWindows(t0)
    out.write(
        f"sapchaos: scenario {scenario.name!r}, seed {seed}, {n} orders (run folder {rdir})\n"
    )
    out.flush()
    settled = False
    drain_s: float | None = None
    edited = 0
    async with EmbeddedStack(settings) as stack:
        admin = stack._admin
        counters = _counters(stack)
        ctx = ActionContext(stack=stack, admin=admin, rng=rng, on_change=faults.change)
        prog = Progress(counters, faults, progress_stream)
        prog.phase = "load"
        prog.start()
        try:
            t0 = time.monotonic()
            faults.t0 = t0
            load_started_at = datetime.now(UTC)
            first = [e for e in scenario.timeline if e.at_s == 0]
            for e in first:  # "at the start" means before the first order
                await fire(e, ctx)
            timeline = [asyncio.create_task(finish(e, ctx)) for e in first]
            timeline += [
                asyncio.create_task(run_entry(e, ctx, t0, counters))
                for e in scenario.timeline
                if e.at_s != 0
            ]
            await start_load(stack, admin, scenario, n)
            await wait_load_done(
                stack, admin, scenario, timeout_s=n / (scenario.load.rate or 1e9) + 120
            )
            if timeline:
                prog.phase = "timeline"
                await asyncio.gather(*timeline)
            if ctx.tasks:
                await asyncio.gather(*ctx.tasks)
            if scenario.load.lifecycle:
                prog.phase = "lifecycle"
                await wait_lifecycle_done(stack, admin, scenario.expect.timeout_s)
            edited = await edit_orders(stack, admin, scenario, rng, n)
            if ctx.active:  # faults the file left on: heal them before judging the end state
                await ACTIONS["heal"].run(ctx, {}, "final-heal")
            prog.phase = "draining"
            drain_from = time.monotonic()
            patience = patience_s(scenario, bridge_cmd)
            settled, drain_s = await settle(stack, scenario, n, c, patience)
            drain_s = round(drain_s - drain_from, 3)
            prog.phase = "judging"
            histories = await stack.histories()
            decisions = await admin("GET", f"{stack.sap_url}/__admin/faults/history")
            rules = await stack.fault_history()
        finally:
            for task in ctx.tasks:
                task.cancel()
            await prog.stop()
    duration = time.monotonic() - t0
    histories = dataclasses.replace(
        histories,
        fault_decisions=list(decisions.get("decisions", [])),
        bridge_log=_bridge_log(rdir),
    )
    verdict = judge(histories, c, skip=frozenset(scenario.expect.skip))
    if faults.last_heal_s is not None and drain_s is not None:
        drain_after_heal = round(duration - faults.last_heal_s, 3)
    else:
        drain_after_heal = drain_s
    expectations = check_expectations(scenario, verdict, settled=settled, drain_s=drain_after_heal)
    passed = verdict.passed and all(e["ok"] for e in expectations.values())
    report = build_report(
        scenario=scenario.name,
        seed=seed,
        verdict=verdict,
        passed=passed,
        faults=_faults(scenario, rules, histories.fault_decisions),
        started_at=started_at,
        duration_s=duration,
        extra={"settled": settled, "edited_orders": edited, "run_dir": str(rdir)},
    )
    report.update(
        {
            "description": scenario.description,
            "replay_command": replay_command(scenario, seed, bridge_cmd, bridge_url, orders),
            "contract": c.to_json(),
            "bridge_cmd": bridge_cmd,
            "bridge_url": bridge_url,
            "expectations": expectations,
            "samples": prog.samples,
            "fault_windows": faults.windows(),
            "tta_series": _tta_series(histories, c, load_started_at),
            "residual_risk": scenario.residual_risk or None,
            "skipped_invariants": (
                {name: scenario.expect.skip_reason for name in scenario.expect.skip} or None
            ),
            "drain_s": drain_after_heal,
        }
    )
    path = Path(report_path) if report_path is not None else rdir / "report.json"
    write_report(report, path)
    print_summary(report, out)
    out.write(f"  report: {path}\n")
    out.flush()
    log.info("scenario finished", scenario=scenario.name, seed=seed, verdict=report["verdict"])
    return report


def _counters(stack: Any) -> Any:
    """``stack.counters()`` (interface B), or a slower fallback over the ground truth."""
    if hasattr(stack, "counters"):
        return stack.counters

    async def fallback() -> dict[str, int]:
        h = await stack.histories()
        return {
            "orders": len(h.shop_orders),
            "in_sap": len(h.docs("Orders")),
            "acknowledged": len(h.confirmation_notes()),
        }

    return fallback


def _bridge_log(run_dir: Path) -> list[str]:
    """Every line the bridge logged in this run (its process log files in the run folder,
    and the harness log when the bridge ran in-process)."""
    lines: list[str] = []
    for p in sorted(run_dir.glob("*.log")):
        try:
            lines.extend(p.read_text("utf-8", errors="replace").splitlines())
        except OSError:
            continue
    return lines


def _faults(
    scenario: Scenario, rules: list[dict[str, Any]], decisions: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The timeline as the report lists it; each SAP rule with how often it fired (from
    fakesap's decision history, which outlives a rule the timeline removed)."""
    from_history: dict[str, int] = {}
    for d in decisions:
        for rule_id in d.get("rules") or []:
            from_history[str(rule_id)] = from_history.get(str(rule_id), 0) + 1
    fired = dict(from_history)
    for r in rules:  # a live rule's own counter survives the history's ring buffer
        fired[str(r.get("id"))] = max(int(r.get("fired", 0)), fired.get(str(r.get("id")), 0))
    out: list[dict[str, Any]] = []
    for e in scenario.timeline:
        entry: dict[str, Any] = {"kind": e.action, "label": e.label, **dict(e.params)}
        if e.at_s is not None:
            entry["at_s"] = e.at_s
        if e.after_orders is not None:
            entry["after_orders"] = e.after_orders
        if e.duration_s is not None:
            entry["duration_s"] = e.duration_s
        if e.action == "sap_fault":
            entry["fired"] = fired.get(str(dict(e.params["rule"]).get("id", e.label)), 0)
        out.append(entry)
    return out


def _tta_series(h: Histories, c: Contract, started_at: datetime) -> list[dict[str, Any]]:
    return [
        {
            "t_s": round((p["created_at"] - started_at).total_seconds(), 3),
            "tta_ms": p["tta_ms"],
            "order_id": p["order_id"],
        }
        for p in tta_points(h, c)
    ]
