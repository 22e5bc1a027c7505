"""CLI for ``demo`` and ``scenario list|validate|run``: thin wrappers over the runner.

(``up`` lives in ``scenarios/up.py`` when that module exists; until then the old embedded
``up`` below keeps working.)
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Any

DEFAULT_SEED = 42


def register(sub: Any) -> None:
    demo = sub.add_parser(
        "demo",
        help="run fakeshop → bridge → fakesap in one process and judge 200 orders",
        description="Start fakesap, fakeshop and the bridge on free ports with a temporary "
        "SQLite store, push orders through (each webhook delivered 1–3 times), print a "
        "summary, write report.json. Logs go to a file in the run folder. Exit code 0 only "
        "if the oracle's verdict passes.",
    )
    demo.add_argument("--orders", type=int, default=200, help="number of orders (default 200)")
    demo.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed for every random choice")
    demo.add_argument("--report", default="report.json", help="where to write report.json")
    demo.add_argument(
        "--run-dir", default=None, help="folder for logs and state (default: sapchaos-runs/…)"
    )
    demo.set_defaults(func=_demo)

    if importlib.util.find_spec("scenarios.up") is not None:
        importlib.import_module("scenarios.up").register(sub)
    else:
        _register_legacy_up(sub)

    sc = sub.add_parser("scenario", help="list, validate or run chaos scenarios")
    sc_sub = sc.add_subparsers(dest="scenario_command", metavar="ACTION")
    ls = sc_sub.add_parser("list", help="list the shipped scenarios")
    ls.set_defaults(func=_list)
    val = sc_sub.add_parser("validate", help="check scenario files; every error with its line")
    val.add_argument("files", nargs="+", metavar="FILE")
    val.set_defaults(func=_validate)
    run = sc_sub.add_parser(
        "run",
        help="run scenarios and write their reports",
        description="Run catalog scenarios by name, or scenario files by path. Exit code 0 "
        "only when every verdict passes; 1 when one fails; 2 for a usage mistake.",
    )
    run.add_argument("names", nargs="*", metavar="NAME|FILE", help="scenario names or .toml files")
    run.add_argument("--all", action="store_true", help="run every scenario of the catalog")
    seeds = run.add_mutually_exclusive_group()
    seeds.add_argument("--seed", type=int, default=None, help=f"seed (default {DEFAULT_SEED})")
    seeds.add_argument("--seeds", type=int, default=None, metavar="K", help="run seeds 1..K")
    run.add_argument(
        "--orders", type=int, default=None, help="override each scenario's order count"
    )
    run.add_argument(
        "--bridge-cmd", default=None, help="start this command as the bridge under test"
    )
    run.add_argument(
        "--bridge-url", default=None, help="webhook delivery URL for the bridge under test"
    )
    run.add_argument("--contract", default=None, metavar="FILE", help="oracle contract (TOML/JSON)")
    run.add_argument(
        "--report", default=None, metavar="FILE", help="report.json path (one run only)"
    )
    run.add_argument("--junit", default=None, metavar="FILE", help="write a JUnit XML file")
    run.add_argument(
        "--html", default=None, metavar="FILE", help="write a self-contained HTML report"
    )
    run.add_argument(
        "--run-dir", default=None, help="parent folder of the runs (default sapchaos-runs)"
    )
    run.add_argument(
        "--log-level",
        dest="scenario_log_level",
        default=None,
        help="show JSON logs at this level on stderr (default: logs only go to the run folder)",
    )
    run.set_defaults(func=_run)
    sc.set_defaults(func=lambda _a: (sc.print_help(), 2)[1])


def _fail(message: str) -> int:
    print(f"sapchaos: error: {message}", file=sys.stderr)
    return 2


def _positive(name: str, value: int | None) -> str | None:
    if value is not None and value < 1:
        return f"{name} must be at least 1, got {value}"
    return None


def _log_to_file(run_dir: Path, level: str | None, previous: Any = None) -> Any:
    """JSON logs into ``run_dir/harness.log`` unless the user asked for them on stderr
    (the in-process bridge logs there too, so the oracle reads it for personal data).
    Returns the open file (close it with the next call)."""
    from sapchaos.logs import configure_logging

    if level is not None:
        configure_logging(level)
        return None
    run_dir.mkdir(parents=True, exist_ok=True)
    stream = (run_dir / "harness.log").open("a", encoding="utf-8")
    configure_logging("INFO", stream=stream)
    if previous is not None:
        previous.close()
    return stream


def _demo(args: argparse.Namespace) -> int:
    from scenarios.runner import RunError, default_run_dir, run_scenario
    from scenarios.schema import ScenarioError, load_scenario

    if msg := _positive("--orders", args.orders):
        return _fail(msg)
    try:
        scenario = load_scenario("smoke")
    except ScenarioError as exc:
        return _fail(str(exc))
    rdir = Path(args.run_dir) if args.run_dir else default_run_dir("demo", args.seed)
    log_file = _log_to_file(rdir, None)
    try:
        report = asyncio.run(
            run_scenario(
                scenario, seed=args.seed, orders=args.orders, report_path=args.report, run_dir=rdir
            )
        )
    except RunError as exc:
        return _fail(str(exc))
    finally:  # logs go back to stderr before the file closes
        from sapchaos.logs import configure_logging

        configure_logging(getattr(args, "log_level", "INFO") or "INFO")
        log_file.close()
    return 0 if report["verdict"] == "pass" else 1


def _list(_args: argparse.Namespace) -> int:
    from scenarios.schema import ScenarioError, catalog_files, load_scenario

    files = catalog_files()
    width = max((len(n) for n in files), default=10)
    for name in files:
        try:
            s = load_scenario(name)
        except ScenarioError as exc:
            print(f"{name.ljust(width)}  INVALID: {exc.errors[0]}")
            continue
        mode = f"{s.load.rate:g}/s" if s.load.rate else "burst"
        print(f"{name.ljust(width)}  {s.load.orders:>4} orders {mode:>7}  {s.description}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from scenarios.schema import validate_file

    bad = 0
    for f in args.files:
        errors = validate_file(f)
        if errors:
            bad += 1
            for e in errors:
                print(e)
        else:
            print(f"{f}: ok")
    return 2 if bad else 0


def _run(args: argparse.Namespace) -> int:
    from scenarios.oracle import Contract, ContractError
    from scenarios.runner import RunError, run_scenario
    from scenarios.schema import ScenarioError, catalog_files, load_scenario

    if args.all and args.names:
        return _fail("give scenario names or --all, not both")
    if not args.all and not args.names:
        return _fail("name at least one scenario (see 'sapchaos scenario list') or use --all")
    for name, value in (("--orders", args.orders), ("--seeds", args.seeds)):
        if msg := _positive(name, value):
            return _fail(msg)
    if args.bridge_cmd is not None and (msg := _check_bridge_cmd(args.bridge_cmd)):
        return _fail(f"--bridge-cmd: {msg}")
    refs = list(catalog_files()) if args.all else list(args.names)
    try:
        scenarios = [load_scenario(r) for r in refs]
    except ScenarioError as exc:
        return _fail(str(exc).replace("\n", "; "))
    contract = None
    if args.contract:
        try:
            contract = Contract.from_file(args.contract)
        except (ContractError, OSError) as exc:
            return _fail(f"--contract {args.contract}: {exc}")
    seeds = (
        list(range(1, args.seeds + 1))
        if args.seeds
        else [args.seed if args.seed is not None else DEFAULT_SEED]
    )
    runs = [(s, seed) for s in scenarios for seed in seeds]
    if args.report and len(runs) > 1:
        return _fail("--report names one file; with several runs each report is in its run folder")
    writers = _writers(args)
    if isinstance(writers, str):
        return _fail(writers)
    base = Path(args.run_dir) if args.run_dir else Path("sapchaos-runs")
    from datetime import UTC, datetime

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    session = base / stamp
    reports: list[dict[str, Any]] = []
    log_file = None
    for scenario, seed in runs:
        rdir = session / f"{scenario.name}-seed{seed}"
        log_file = _log_to_file(rdir, args.scenario_log_level, log_file)
        try:
            report = asyncio.run(
                run_scenario(
                    scenario,
                    seed=seed,
                    bridge_cmd=args.bridge_cmd,
                    bridge_url=args.bridge_url,
                    orders=args.orders,
                    report_path=args.report,
                    run_dir=rdir,
                    contract=contract,
                )
            )
        except RunError as exc:
            return _fail(str(exc))
        except Exception as exc:  # the stack could not run it: a failed run, not a crash
            print(
                f"sapchaos: scenario {scenario.name!r} seed {seed} could not run: "
                f"{type(exc).__name__}: {exc}",
                file=sys.stderr,
            )
            report = _error_report(scenario.name, seed, f"{type(exc).__name__}: {exc}")
        reports.append(report)
    if log_file is not None:  # logs go back to stderr before the file closes
        from sapchaos.logs import configure_logging

        configure_logging(getattr(args, "log_level", "INFO") or "INFO")
        log_file.close()
    for kind, (fn, path) in writers.items():
        written = fn(reports, path)
        print(f"{kind}: {written}")
    if len(reports) > 1:
        _print_table(reports)
    return 0 if all(r["verdict"] == "pass" for r in reports) else 1


def _check_bridge_cmd(cmd: str) -> str | None:
    """An unknown ``{placeholder}`` or a stray brace, found before anything starts."""
    import dataclasses

    from scenarios.bridge_process import BridgeEnv, render_command

    if not cmd.strip():
        return "the command is empty"
    dummy: dict[str, Any] = {
        f.name: (Path("/tmp") if f.name == "state_dir" else (1 if f.name == "bridge_port" else "x"))
        for f in dataclasses.fields(BridgeEnv)
    }
    try:
        render_command(cmd, BridgeEnv(**dummy))
    except ValueError as exc:
        return str(exc).removeprefix("bridge command: ")
    return None


def _error_report(name: str, seed: int, error: str) -> dict[str, Any]:
    """A report (format 1) for a run that could not finish: verdict ``fail`` with why."""
    from datetime import UTC, datetime

    return {
        "format_version": 1,
        "scenario": name,
        "seed": seed,
        "verdict": "fail",
        "error": error,
        "invariants": {},
        "counts": {},
        "tta_ms": {"p50": 0.0, "p95": 0.0, "p99": 0.0, "max": 0.0},
        "faults": [],
        "started_at": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "duration_s": 0.0,
        "expectations": {
            "ran": {"ok": False, "expected": "the run completes", "found": error[:300]}
        },
    }


def _writers(args: argparse.Namespace) -> dict[str, Any] | str:
    """H3's JUnit and HTML writers (``scenarios.junit``, ``scenarios.html_report``)."""
    out: dict[str, Any] = {}
    for flag, module, func in (
        ("junit", "scenarios.junit", "write_junit"),
        ("html", "scenarios.html_report", "write_html"),
    ):
        path = getattr(args, flag)
        if not path:
            continue
        try:
            fn = getattr(importlib.import_module(module), func)
        except (ImportError, AttributeError):
            return f"--{flag} is not available in this installation ({module}.{func} missing)"
        out[flag] = (fn, path)
    return out


def _print_table(reports: list[dict[str, Any]]) -> None:
    print("\nsummary")
    width = max(len(r["scenario"]) for r in reports)
    total = 0.0
    for r in reports:
        total += float(r["duration_s"])
        failed = [n for n, v in r["invariants"].items() if not v["ok"]]
        failed += [f"expect:{n}" for n, v in (r.get("expectations") or {}).items() if not v["ok"]]
        print(
            f"  {r['scenario'].ljust(width)}  seed {r['seed']:>3}  {r['verdict'].upper():4}  "
            f"{r['duration_s']:7.1f} s  {', '.join(failed)}"
        )
    passed = sum(1 for r in reports if r["verdict"] == "pass")
    print(f"  {passed}/{len(reports)} passed, {total:.0f} s in total")


def _register_legacy_up(sub: Any) -> None:
    up = sub.add_parser(
        "up", help="start fakesap, fakeshop and the bridge in one process and keep them running"
    )
    up.add_argument("--seed", type=int, default=DEFAULT_SEED)
    up.add_argument("--store", default=None, help="bridge store DSN (default: temporary SQLite)")
    up.add_argument("--topics", default="order.created,order.updated", help="webhook topics")
    up.set_defaults(func=_up)


def _up(args: argparse.Namespace) -> int:
    from scenarios.stack import EmbeddedStack, StackSettings

    async def main() -> None:
        topics = tuple(t.strip() for t in args.topics.split(",") if t.strip())
        settings = StackSettings(seed=args.seed, store_dsn=args.store, topics=topics)
        async with EmbeddedStack(settings) as stack:
            print(f"fakesap   {stack.sap_url}/b1s/v1   (admin: {stack.sap_url}/__admin/documents)")
            print(
                f"fakeshop  {stack.shop_url}/wp-json/wc/v3   (admin: {stack.shop_url}/__admin/orders)"
            )
            print("Ctrl-C stops everything.", flush=True)
            await asyncio.Event().wait()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        return 0
    return 0
