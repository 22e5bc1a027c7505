"""``sapchaos up``: the whole stack for interactive work, until SIGTERM or Ctrl-C.

Starts fakesap, fakeshop, the Toxiproxy-compatible proxy and a bridge (the reference
bridge in-process, a command with ``--bridge-cmd``, or none with ``--no-bridge``), prints
every URL and credential the bridge is given (and writes them with ``--env-file``), then a
line ``ready``. On SIGTERM or SIGINT it stops everything and removes its temporary folder.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import signal
import sys
from pathlib import Path
from typing import Any, TextIO

from sapchaos import defaults

DESCRIPTION = (
    "Start fakesap (SAP Business One Service Layer), fakeshop (WooCommerce), the "
    "Toxiproxy-compatible proxy and a bridge, and keep them running until SIGTERM or "
    "Ctrl-C. The bridge is the reference bridge in this process unless --bridge-cmd runs "
    "your own (through a shell, with placeholders such as {sap_url} and the same values as "
    "SAPCHAOS_* environment variables) or --no-bridge leaves the bridge to you. Every link "
    "between the bridge and the systems runs through the proxy, so you can cut or slow it "
    "with the Toxiproxy API. Prints every URL and credential, writes them to --env-file, "
    "then prints 'ready'."
)


def register(sub: Any) -> None:
    up = sub.add_parser(
        "up",
        help="start fakesap, fakeshop, the proxy and a bridge and keep them running",
        description=DESCRIPTION,
    )
    up.add_argument("--seed", type=int, default=42, help="seed for every random choice")
    up.add_argument(
        "--port-base",
        type=int,
        default=None,
        metavar="N",
        help="fixed ports: fakesap N, fakeshop N+1, bridge N+2, proxy API N+3, proxy links "
        "N+4..N+7, own broker N+8 (default: free ports)",
    )
    who = up.add_mutually_exclusive_group()
    who.add_argument(
        "--bridge-cmd",
        metavar="CMD",
        help="run this bridge command (placeholders: {bridge_port} {sap_url} {shop_url} … "
        "see docs/stack.md)",
    )
    who.add_argument(
        "--no-bridge", action="store_true", help="start no bridge (run your own on the bridge port)"
    )
    up.add_argument(
        "--bridge-process",
        action="store_true",
        help="run the reference bridge as a child process instead of in this process",
    )
    up.add_argument(
        "--bridge-url",
        metavar="URL",
        help="webhook delivery URL template (default http://127.0.0.1:{bridge_port}/, "
        "/webhooks/woocommerce for the reference bridge); host:port of the bridge go "
        "through the proxy",
    )
    up.add_argument(
        "--env-file",
        metavar="PATH",
        help="write every SAPCHAOS_* value as KEY=VALUE lines (plus SAPCHAOS_PROXY_URL, "
        "SAPCHAOS_SAP_ADMIN_URL, SAPCHAOS_SHOP_ADMIN_URL)",
    )
    up.add_argument(
        "--store",
        default=None,
        help="reference bridge store DSN (default: SQLite in the run folder)",
    )
    up.add_argument(
        "--topics", default="order.created,order.updated", help="webhook topics (comma list)"
    )
    up.add_argument(
        "--magento",
        action="store_true",
        help="Magento mode: fakeshop publishes Magento events to an own Mosquitto broker",
    )
    up.add_argument(
        "--run-dir",
        metavar="DIR",
        help="keep logs and state in DIR (default: a temporary folder removed on exit)",
    )
    up.set_defaults(func=run_up)


def env_values(stack: Any) -> dict[str, str]:
    """Every value a bridge or a person needs, under its ``SAPCHAOS_*`` name."""
    out = dict(stack.env.environ()) if stack.env is not None else {}
    out["SAPCHAOS_PROXY_URL"] = stack.proxy_url or ""
    out["SAPCHAOS_SAP_ADMIN_URL"] = stack.sap_url
    out["SAPCHAOS_SHOP_ADMIN_URL"] = stack.shop_url
    return out


_PLAIN = re.compile(r"[A-Za-z0-9_./:@%+,=-]*")


def write_env_file(path: Path, values: dict[str, str]) -> None:
    """KEY=VALUE lines (values quoted only when needed), written atomically, mode 0600."""
    import shlex

    lines = [
        f"{k}={v if _PLAIN.fullmatch(v) else shlex.quote(v)}" for k, v in sorted(values.items())
    ]
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, path)


def print_banner(stack: Any, out: TextIO, env_file: Path | None) -> None:
    env = stack.env
    w = out.write
    w(f"fakesap   {stack.sap_url}/b1s/v1   (log in: POST …/b1s/v1/Login)\n")
    w(f"          admin {stack.sap_url}/__admin/documents\n")
    w(f"fakeshop  {stack.shop_url}/wp-json/wc/v3\n")
    w(f"          admin {stack.shop_url}/__admin/orders\n")
    if stack.proxy_url:
        w(f"proxy API {stack.proxy_url}   (Toxiproxy API: GET /proxies)\n")
    for name, listen in stack.links.items():
        w(f"  link {name:<17} {listen}\n")
    if stack.broker_url:
        w(f"broker    {stack.broker_url}\n")
    if stack.settings.no_bridge:
        who = "none started: run yours on the bridge port"
    elif stack.bridge_proc is not None:
        who = f"pid {stack.bridge_proc.pid}, log {stack.bridge_log}"
    else:
        who = "the reference bridge, in this process"
    w(f"bridge    port {env.bridge_port} ({who})\n")
    w(f"          the shop delivers webhooks to {env.bridge_url}\n")
    w("the bridge's values (placeholders / environment variables):\n")
    for name, value in env.placeholders().items():
        label = "{" + name + "}"
        w(f"  {label:<17} {defaults.ENV[name]:<26} {value}\n")
    if env_file is not None:
        w(f"env file  {env_file}\n")
    w(
        f"create orders: curl -X POST {stack.shop_url}/__admin/orders/generate "
        "-d '{\"count\": 10}'\n"
    )
    w("SIGTERM or Ctrl-C stops everything.\n")
    w("ready\n")
    out.flush()


def run_up(args: argparse.Namespace) -> int:
    from scenarios.bridge_process import BridgeProcessError, render_command
    from scenarios.broker_process import BrokerError
    from scenarios.stack import EmbeddedStack, StackError, StackSettings

    topics = tuple(t.strip() for t in args.topics.split(",") if t.strip())
    env_file = Path(args.env_file) if args.env_file else None
    if env_file is not None and not env_file.parent.is_dir():
        return _fail(f"--env-file {env_file}: folder {env_file.parent} does not exist")
    if args.run_dir:
        run_dir = Path(args.run_dir)
        if run_dir.exists() and not run_dir.is_dir():
            return _fail(f"--run-dir {run_dir}: not a directory")
    settings = StackSettings(
        seed=args.seed,
        store_dsn=args.store,
        topics=topics,
        bridge_cmd=args.bridge_cmd,
        bridge_process=args.bridge_process,
        no_bridge=args.no_bridge,
        bridge_url=args.bridge_url,
        port_base=args.port_base,
        shop_mode="magento" if args.magento else "woo",
        run_dir=Path(args.run_dir) if args.run_dir else None,
    )
    if args.bridge_cmd is not None:
        from scenarios.bridge_process import BridgeEnv

        probe = BridgeEnv(0, "", "", "", "", "", "", "", "", "", "", "", Path())
        try:
            render_command(args.bridge_cmd, probe)
        except ValueError as exc:
            return _fail(f"--bridge-cmd: {exc}")

    async def main() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            async with EmbeddedStack(settings) as stack:
                if env_file is not None:
                    write_env_file(env_file, env_values(stack))
                print_banner(stack, sys.stdout, env_file)
                watch = asyncio.create_task(_watch_bridge(stack, stop))
                await stop.wait()
                watch.cancel()
                print("stopping", flush=True)
        except (StackError, BridgeProcessError, BrokerError) as exc:
            return _fail(str(exc))
        return 0

    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(main())
    return 0


async def _watch_bridge(stack: Any, stop: asyncio.Event, every_s: float = 0.5) -> None:
    """Say once on stderr when the bridge child process exits on its own (the rest keeps
    running: the emulators' ground truth stays readable)."""
    proc = stack.bridge_proc
    if proc is None:
        return
    while not stop.is_set():
        if not proc.running:
            print(
                f"sapchaos up: the bridge exited with code {proc.exit_code}; "
                f"see {stack.bridge_log}",
                file=sys.stderr,
                flush=True,
            )
            return
        await asyncio.sleep(every_s)


def _fail(message: str) -> int:
    print(f"sapchaos up: error: {message}", file=sys.stderr)
    return 1
