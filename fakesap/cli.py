"""``sapchaos fakesap serve``: run the Service Layer emulator on its own."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import signal
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from aiohttp import web

from fakesap.config import ConfigError, FakeSapConfig, load_config
from sapchaos import argtypes, defaults
from sapchaos.catalog import CatalogError


def register(sub: Any) -> None:
    p = sub.add_parser("fakesap", help="the SAP Business One Service Layer emulator")
    fsub = p.add_subparsers(dest="fakesap_command", metavar="COMMAND")
    p.set_defaults(func=lambda _a: (p.print_help(), 2)[1])
    s = fsub.add_parser("serve", help="serve /b1s/v1, /b1s/v2 and /__admin")
    s.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    s.add_argument(
        "--port",
        type=argtypes.port,
        default=defaults.SAP_PORT,
        help=f"TCP port (default {defaults.SAP_PORT}, as SL)",
    )
    s.add_argument(
        "--config",
        type=argtypes.input_file,
        help="TOML/YAML/JSON config file (see docs/fakesap.md)",
    )
    s.add_argument(
        "--catalog",
        type=argtypes.input_file,
        help="catalog JSON for master data (default: packaged catalog)",
    )
    s.add_argument(
        "--persist",
        metavar="PATH",
        type=argtypes.output_file,
        help="SQLite file: documents survive restarts",
    )
    s.add_argument("--faults", metavar="PROFILE", help="fault profile name or file")
    s.add_argument("--seed", type=int, help="seed for faults and the back office")
    s.add_argument(
        "--uniqueness-guard",
        metavar="UDF",
        help="refuse a 2nd document with the same UDF value, e.g. U_IdemKey",
    )
    s.add_argument(
        "--session-timeout",
        type=argtypes.positive_int,
        metavar="MIN",
        help="SessionTimeout in minutes (default 30)",
    )
    s.add_argument(
        "--page-size", type=argtypes.positive_int, help="default server page size (default 20)"
    )
    s.add_argument(
        "--journal-size",
        type=argtypes.positive_int,
        help="requests kept in /__admin/journal (default 10000)",
    )
    s.add_argument(
        "--loop",
        choices=("auto", "uvloop", "asyncio"),
        default="auto",
        help="event loop: uvloop when installed (auto, the default), or the stdlib loop",
    )
    s.set_defaults(func=serve_command)


def config_from_args(args: argparse.Namespace) -> FakeSapConfig:
    config = load_config(str(args.config)) if args.config else FakeSapConfig()
    changes: dict[str, Any] = {}
    if args.catalog:
        changes["catalog_path"] = str(args.catalog)
    if args.persist:
        changes["persist_path"] = str(args.persist)
    if args.uniqueness_guard:
        changes["uniqueness_guard_udf"] = args.uniqueness_guard
    if args.session_timeout is not None:
        changes["session_timeout_min"] = args.session_timeout
    if args.page_size is not None:
        changes["page_size"] = args.page_size
    if args.journal_size is not None:
        changes["journal_size"] = args.journal_size
    if args.seed is not None:
        changes["seed"] = args.seed
        changes["faults"] = replace(config.faults, seed=args.seed)
        changes["backoffice"] = replace(config.backoffice, seed=args.seed)
    if args.faults:
        faults = changes.get("faults", config.faults)
        changes["faults"] = replace(faults, profile=args.faults)
    return replace(config, **changes)


async def freeze_survivors(every_s: float = 1.0) -> None:
    """Keep the cyclic GC off stored documents: collect young cycles, then move the
    survivors to the permanent generation. Without this, every full collection rescans
    all documents and p99 latency grows with the number of documents held."""
    while True:
        await asyncio.sleep(every_s)
        gc.collect(1)
        gc.freeze()


async def run_server(config: FakeSapConfig, host: str, port: int) -> None:
    from fakesap.app import create_app

    app = create_app(config)
    gc.collect()
    gc.freeze()
    freezer = asyncio.create_task(freeze_survivors())
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port, backlog=1024)
    await site.start()
    print(f"fakesap listening on http://{host}:{port}/b1s/v1 (admin: /__admin)", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        freezer.cancel()
        await runner.cleanup()


def event_loop_factory(choice: str) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop for ``auto`` (when installed) and ``uvloop``; None means the stdlib
    loop. Raises ImportError when ``uvloop`` is asked for and not installed."""
    if choice == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        if choice == "uvloop":
            raise
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def serve_command(args: argparse.Namespace) -> int:
    try:
        config = config_from_args(args)
    except (ConfigError, CatalogError) as exc:
        print(f"fakesap: {exc}", file=sys.stderr)
        return 2
    try:
        loop_factory = event_loop_factory(getattr(args, "loop", "auto"))
    except ImportError:
        print("fakesap: --loop uvloop: uvloop is not installed (sapchaos[fast])", file=sys.stderr)
        return 2
    try:
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            runner.run(run_server(config, args.host, args.port))
    except (ConfigError, CatalogError) as exc:
        print(f"fakesap: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"fakesap: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 1
    except Exception as exc:  # config problems found at start-up (bad profile, catalog)
        print(f"fakesap: {exc}", file=sys.stderr)
        return 1
    return 0
