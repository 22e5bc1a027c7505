"""CLI: ``sapchaos proxy serve`` runs the Toxiproxy-compatible server on its own."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from typing import Any

from scenarios.proxy.errors import ApiError
from scenarios.proxy.loops import LOOP_CHOICES, loop_factory, loop_name
from scenarios.proxy.server import DEFAULT_PORT, EmbeddedToxiproxy
from scenarios.proxy.splice import SPLICE_AFTER


def register(sub: Any) -> None:
    parser = sub.add_parser("proxy", help="Toxiproxy-compatible TCP proxy")
    proxy_sub = parser.add_subparsers(dest="proxy_command", metavar="COMMAND")
    serve = proxy_sub.add_parser(
        "serve", help="run the Toxiproxy-compatible API server (like toxiproxy-server)"
    )
    serve.add_argument("--host", default="127.0.0.1", help="API host (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help="API port (default 8474)")
    serve.add_argument("--config", default=None, help="populate file: JSON array of proxies")
    serve.add_argument("--seed", type=int, default=None, help="seed for jitter/toxicity/slicer")
    serve.add_argument(
        "--splice-after",
        type=int,
        default=SPLICE_AFTER,
        metavar="BYTES",
        help="splice a toxic-free direction in the kernel after this many bytes "
        f"(Linux; default {SPLICE_AFTER}, 0 = never)",
    )
    serve.add_argument(
        "--loop",
        choices=LOOP_CHOICES,
        default="auto",
        help="event loop: uvloop when installed (auto, the default), or the stdlib loop",
    )
    serve.set_defaults(func=_serve)
    parser.set_defaults(func=lambda _args: (parser.print_help(), 2)[1])


def _serve(args: argparse.Namespace) -> int:
    if args.splice_after < 0:
        print("proxy: --splice-after must be 0 or more bytes", file=sys.stderr)
        return 2
    try:
        factory = loop_factory(args.loop)
    except ImportError:
        print("proxy: --loop uvloop: uvloop is not installed (sapchaos[fast])", file=sys.stderr)
        return 2
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(_run(args))


async def _run(args: argparse.Namespace) -> int:
    config, seed = args.config, args.seed
    server = EmbeddedToxiproxy(
        args.host, args.port, seed=seed, config=config, splice_after=args.splice_after
    )
    try:
        await server.start()
    except OSError as exc:
        # asyncio wraps bind errors in a long sentence; the errno's text is the cause
        reason = (os.strerror(exc.errno) if exc.errno else str(exc)).lower()
        if server.started:  # listening; the populate file could not be read
            print(f"proxy: --config {config}: {reason}", file=sys.stderr)
            await server.stop()
        else:
            print(f"proxy: cannot listen on {args.host}:{args.port}: {reason}", file=sys.stderr)
        return 1
    except ValueError as exc:  # a populate file that is not JSON
        print(f"proxy: --config {config}: {exc}", file=sys.stderr)
        await server.stop()
        return 1
    except ApiError as exc:
        print(f"proxy: --config {config}: {exc.message}", file=sys.stderr)
        await server.stop()
        return 1
    loop = asyncio.get_running_loop()
    print(
        f"Toxiproxy-compatible API on {server.url} (seed {seed}, loop {loop_name(loop)})",
        flush=True,
    )
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await server.stop()
    return 0
