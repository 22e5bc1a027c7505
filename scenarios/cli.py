"""CLI for ``demo``, ``up`` and ``scenario run|list``: thin wrappers over the runner."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

DEFAULT_SEED = 42


def register(sub: Any) -> None:
    demo = sub.add_parser(
        "demo",
        help="run fakeshop → bridge → fakesap in one process and judge 200 orders",
        description="Start fakesap, fakeshop and the bridge on free ports with a temporary "
        "SQLite store, push orders through (each webhook delivered 1–3 times), print a "
        "summary, write report.json. Exit code 0 only if the oracle's verdict passes.",
    )
    demo.add_argument("--orders", type=int, default=200, help="number of orders (default 200)")
    demo.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed for every random choice")
    demo.add_argument("--report", default="report.json", help="where to write report.json")
    demo.add_argument("--store", default=None, help="bridge store DSN (default: temporary SQLite)")
    demo.set_defaults(func=_demo)

    up = sub.add_parser(
        "up",
        help="start fakesap, fakeshop and the bridge in one process and keep them running",
    )
    up.add_argument("--seed", type=int, default=DEFAULT_SEED)
    up.add_argument("--store", default=None, help="bridge store DSN (default: temporary SQLite)")
    up.add_argument("--topics", default="order.created,order.updated", help="webhook topics")
    up.set_defaults(func=_up)

    sc = sub.add_parser("scenario", help="run or list chaos scenarios")
    sc_sub = sc.add_subparsers(dest="scenario_command", metavar="ACTION")
    ls = sc_sub.add_parser("list", help="list the scenarios")
    ls.set_defaults(func=_list)
    run = sc_sub.add_parser("run", help="run one scenario and write its report")
    run.add_argument("name", help="scenario name (see 'sapchaos scenario list')")
    run.add_argument("--seed", type=int, default=DEFAULT_SEED)
    run.add_argument("--orders", type=int, default=None, help="override the scenario's order count")
    run.add_argument("--report", default="report.json")
    run.add_argument("--store", default=None, help="bridge store DSN (default: temporary SQLite)")
    run.set_defaults(func=_run)
    sc.set_defaults(func=lambda _a: (sc.print_help(), 2)[1])


def _exit_code(report: dict[str, Any]) -> int:
    return 0 if report["verdict"] == "pass" else 1


def _demo(args: argparse.Namespace) -> int:
    from scenarios.catalog import SCENARIOS
    from scenarios.runner import run_scenario

    report = asyncio.run(
        run_scenario(
            SCENARIOS["smoke"],
            seed=args.seed,
            orders=args.orders,
            report_path=args.report,
            store_dsn=args.store,
        )
    )
    return _exit_code(report)


def _list(_args: argparse.Namespace) -> int:
    from scenarios.catalog import SCENARIOS

    width = max(len(n) for n in SCENARIOS)
    for s in SCENARIOS.values():
        print(f"{s.name.ljust(width)}  {s.orders:>4} orders  {s.description}")
    return 0


def _run(args: argparse.Namespace) -> int:
    from scenarios.catalog import SCENARIOS
    from scenarios.runner import run_scenario

    scenario = SCENARIOS.get(args.name)
    if scenario is None:
        print(f"unknown scenario {args.name!r}; known: {', '.join(SCENARIOS)}", file=sys.stderr)
        return 2
    report = asyncio.run(
        run_scenario(
            scenario,
            seed=args.seed,
            orders=args.orders,
            report_path=args.report,
            store_dsn=args.store,
        )
    )
    return _exit_code(report)


def _up(args: argparse.Namespace) -> int:
    from scenarios.stack import EmbeddedStack, StackSettings

    async def main() -> None:
        topics = tuple(t.strip() for t in args.topics.split(",") if t.strip())
        settings = StackSettings(seed=args.seed, store_dsn=args.store, topics=topics)
        async with EmbeddedStack(settings) as stack:
            assert stack.bridge is not None
            print(f"fakesap   {stack.sap_url}/b1s/v1   (admin: {stack.sap_url}/__admin/documents)")
            print(
                f"fakeshop  {stack.shop_url}/wp-json/wc/v3   (admin: {stack.shop_url}/__admin/orders)"
            )
            print(
                f"bridge    {stack.bridge.url}/webhooks/woocommerce   (ops: {stack.bridge.url}/ops/stats)"
            )
            print(
                f"create orders: curl -X POST {stack.shop_url}/__admin/orders/generate -d '{{\"count\": 10}}'"
            )
            print("Ctrl-C stops everything.", flush=True)
            await asyncio.Event().wait()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        return 0
    return 0
