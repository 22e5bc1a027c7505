"""``sapchaos bridge events …`` (or ``python -m bridge.events …``): print the event JSON
Schema, run the outbox relay, or run the Magento-mode subscriber on their own.

A thin layer over ``run_relay`` / ``run_subscriber``; Ctrl-C (SIGINT) or SIGTERM stops
gracefully (in-flight publishes finish, the session is closed with DISCONNECT).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from bridge.events.schema import schema_text
from bridge.events.settings import MqttSettings

__all__ = ["build_parser", "register"]


def _bridge_config(args: argparse.Namespace) -> Any:
    """Defaults from the bridge's own settings: ``--config`` TOML, then
    ``SAPCHAOS_BRIDGE_*`` (``MQTT_URL``, ``STORE_DSN``, ``MQTT_SHARED_GROUP`` …)."""
    from bridge.config import load_config

    return load_config(getattr(args, "config", None))


def _settings(args: argparse.Namespace) -> MqttSettings:
    base = MqttSettings.from_config(_bridge_config(args))
    changes: dict[str, Any] = {}
    if getattr(args, "mqtt_url", None):
        changes["url"] = args.mqtt_url
    if getattr(args, "events_prefix", None):
        changes["events_prefix"] = args.events_prefix
    if getattr(args, "magento_prefix", None):
        changes["magento_prefix"] = args.magento_prefix
    if getattr(args, "client_id", None):
        key = "subscriber_client_id" if args.events_cmd == "subscribe" else "relay_client_id"
        changes[key] = args.client_id
    if getattr(args, "shared_group", None):
        changes["shared_group"] = args.shared_group
    if getattr(args, "batch_size", None):
        changes["batch_size"] = args.batch_size
    return base.replace(**changes)


def _store_dsn(args: argparse.Namespace) -> str:
    dsn: str = args.store or _bridge_config(args).store_dsn
    return dsn


async def _serve(dsn: str, role: Callable[[Any, asyncio.Event], Awaitable[Any]]) -> dict[str, Any]:
    from bridge.store import open_store

    store = await open_store(dsn)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    try:
        result = await role(store, stop)
        stats: dict[str, Any] = result.stats()
        return stats
    finally:
        await store.close()


def _cmd_schema(args: argparse.Namespace) -> int:
    sys.stdout.write(schema_text())
    return 0


def _cmd_relay(args: argparse.Namespace) -> int:
    from bridge.events.relay import run_relay

    try:
        settings = _settings(args)
        dsn = _store_dsn(args)
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    stats = asyncio.run(_serve(dsn, lambda st, stop: run_relay(st, settings, stop)))
    print(json.dumps(stats))
    return 0


def _cmd_subscribe(args: argparse.Namespace) -> int:
    from bridge.events.subscriber import run_subscriber
    from sapchaos.catalog import load_catalog

    try:
        settings = _settings(args)
        dsn = _store_dsn(args)
        catalog = load_catalog(args.catalog or _bridge_config(args).catalog_path)
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    stats = asyncio.run(_serve(dsn, lambda st, stop: run_subscriber(st, settings, stop, catalog)))
    print(json.dumps(stats))
    return 0


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", help="bridge TOML file ([bridge] table: store_dsn, mqtt_* …)")
    p.add_argument(
        "--store",
        default="",
        help="store DSN (sqlite:///… or postgresql://…; default: the bridge's store_dsn)",
    )
    p.add_argument(
        "--mqtt-url",
        default="",
        help=f"broker, mqtt://[user:pw@]host[:port] (default: mqtt_url, {MqttSettings.url})",
    )
    p.add_argument("--client-id", default="", help="MQTT client id")


def _fill(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="events_cmd", required=True)
    p = sub.add_parser("schema", help="print the bridge event JSON Schema")
    p.set_defaults(func=_cmd_schema)
    p = sub.add_parser("relay", help="publish the events outbox to MQTT (QoS 1)")
    _common(p)
    p.add_argument(
        "--events-prefix", default="", help=f"topic root (default {MqttSettings.events_prefix})"
    )
    p.add_argument("--batch-size", type=int, default=0, help="events per fetch (default 100)")
    p.set_defaults(func=_cmd_relay)
    p = sub.add_parser("subscribe", help="consume Magento shop events into the inbox")
    _common(p)
    p.add_argument(
        "--magento-prefix",
        default="",
        help=f"shop topic root (default {MqttSettings.magento_prefix})",
    )
    p.add_argument("--shared-group", default="", help="subscribe $share/GROUP/… (several bridges)")
    p.add_argument("--catalog", default=None, help="catalog JSON (tax classes by rate)")
    p.set_defaults(func=_cmd_subscribe)


def register(subparsers: Any) -> None:
    """Add ``events`` to a parent's subparsers (``sapchaos bridge events …``)."""
    parser = subparsers.add_parser("events", help="bridge events on MQTT: schema, relay, subscribe")
    _fill(parser)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bridge.events", description=__doc__)
    _fill(parser)
    return parser
