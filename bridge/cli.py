"""``sapchaos bridge …``: serve the roles, inspect and replay the DLQ, read quarantine, migrate.

A thin layer over ``BridgeRuntime`` and the store; every command prints a readable table,
or JSON with ``--json``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bridge.config import BridgeConfig, load_config
from sapchaos.defaults import ENV


def _config(args: argparse.Namespace) -> BridgeConfig:
    cfg = load_config(getattr(args, "config", None))
    changes: dict[str, Any] = {}
    if getattr(args, "store", None):
        changes["store_dsn"] = args.store
    if getattr(args, "port", None) is not None:
        changes["port"] = args.port
    if getattr(args, "host", None):
        changes["host"] = args.host
    if getattr(args, "roles", None):
        changes["roles"] = tuple(r.strip() for r in args.roles.split(",") if r.strip())
    if getattr(args, "workers", None) is not None:
        changes["workers"] = args.workers
    if getattr(args, "sap_url", None):
        changes["sap_base_url"] = args.sap_url
    if getattr(args, "shop_url", None):
        changes["shop_base_url"] = args.shop_url
    if getattr(args, "worker_id", None):
        changes["worker_id"] = args.worker_id
    if getattr(args, "func", None) is cmd_serve and not getattr(args, "store", None):
        state_dir = os.environ.get(ENV["state_dir"])
        if state_dir and cfg.store_dsn == BridgeConfig().store_dsn:
            # run by a harness: the store lives in the run's state folder, not the cwd
            changes["store_dsn"] = f"sqlite:///{Path(state_dir) / 'bridge.sqlite'}"
    for flag, setting in _SERVE_SETTINGS.items():
        value = getattr(args, flag, None)
        if value:
            changes[setting] = (value,) if setting == "webhook_secrets" else value
    return cfg.replace(**changes) if changes else cfg


#: ``bridge serve`` flags (argparse dest) → config setting; each defaults from the harness's
#: ``SAPCHAOS_*`` variable (``sapchaos.defaults.ENV``) so a harness can start the reference
#: bridge from the environment alone (``scenarios/bridge_process.py``)
_SERVE_SETTINGS = {
    "sap_company": "sap_company",
    "sap_user": "sap_user",
    "sap_password": "sap_password",
    "shop_key": "shop_consumer_key",
    "shop_secret": "shop_consumer_secret",
    "webhook_secret": "webhook_secrets",
    "card_code": "guest_card_code",
    "mqtt_url": "mqtt_url",
    "delivery_url": "webhook_delivery_url",
}


def _env_flag(p: argparse.ArgumentParser, flag: str, name: str, what: str, **kw: Any) -> None:
    """A flag whose default is the ``SAPCHAOS_*`` variable ``defaults.ENV[name]`` (when set;
    otherwise the config file's value, then the built-in default)."""
    import os

    from sapchaos.defaults import ENV

    var = ENV[name]
    default = os.environ.get(var) or None
    p.add_argument(flag, default=default, help=f"{what} (env {var})", **kw)


def _mask_dsn(dsn: str) -> str:
    """A store DSN with its password replaced by ``***`` (for banners and logs)."""
    from bridge.config import mask_dsn

    return mask_dsn(dsn)


def _cli_actor() -> str:
    """Who the audit log names for a CLI action: the OS user and host."""
    import getpass
    import socket

    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = f"uid{os.getuid()}"
    return f"{user}@{socket.gethostname()}"


def _ts(t: float | None) -> str:
    if t is None:
        return "-"
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=False)]
    line = lambda r: "  ".join(str(x).ljust(w) for x, w in zip(r, widths, strict=False))  # noqa: E731
    return "\n".join([line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def _run(fn: Callable[[], Coroutine[Any, Any, int]], loop: str = "asyncio") -> int:
    """Run ``fn`` on the stdlib loop, or on uvloop (``loop`` auto: when installed)."""
    factory: Callable[[], asyncio.AbstractEventLoop] | None = None
    if loop != "asyncio":
        try:
            import uvloop

            factory = uvloop.new_event_loop
        except ImportError:
            if loop == "uvloop":
                print(
                    "error: --loop uvloop: uvloop is not installed (pip install 'sapchaos[fast]')",
                    file=sys.stderr,
                )
                return 2
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(fn())


async def _with_store(args: argparse.Namespace, body: Callable[[Any], Awaitable[int]]) -> int:
    from bridge.store import open_store

    store = await open_store(_config(args).store_dsn)
    try:
        return await body(store)
    finally:
        await store.close()


def cmd_serve(args: argparse.Namespace) -> int:
    from bridge.health import role_warnings
    from bridge.ingress.app import tune_gc_for_serving
    from bridge.runtime import BridgeRuntime

    cfg = _config(args)
    for warning in role_warnings(cfg.roles, cfg.reconcile_interval_s):
        print(f"warning: {warning}", file=sys.stderr, flush=True)

    async def serve() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        async with BridgeRuntime(cfg, seed=args.seed) as rt:
            # a dedicated server process tunes its collector; embedded uses (demo, tests) don't
            tune_gc_for_serving()
            roles = ",".join(cfg.roles)
            where = f" on {rt.url}" if rt.port else ""
            print(
                f"bridge serving roles {roles}{where} (store {_mask_dsn(cfg.store_dsn)})",
                flush=True,
            )
            tokens = rt.ops_tokens
            if tokens is not None and tokens.path is not None:
                # as Jupyter does: where the token is, never the token itself
                how = "generated" if tokens.kind == "generated" else "read from"
                print(
                    f"ops dashboard {rt.url}/ops/ui — tokens {how} {tokens.path}",
                    flush=True,
                )
            await stop.wait()
        return 0

    return _run(serve, args.loop)


def _progress_bar(done: int, total: int) -> None:
    width = 30
    filled = width * done // max(total, 1)
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def cmd_reconcile(args: argparse.Namespace) -> int:
    """``bridge reconcile --last N``: the shop's newest orders against SAP (a report)."""
    from bridge.reconcile_report import dumps, reconcile_last, render_table
    from bridge.sap.client import ServiceLayerClient
    from bridge.sap.errors import SLFailure
    from bridge.shop.client import ShopError, WooClient

    if args.last < 1 or args.last > 100_000:
        print("bridge reconcile: --last must be between 1 and 100000", file=sys.stderr)
        return 2
    cfg = _config(args)
    show_bar = not args.json and (args.progress or sys.stderr.isatty())
    reports: list[Any] = []

    async def body(store: Any) -> int:
        sap = ServiceLayerClient(
            cfg.sap_base_url,
            cfg.sap_company,
            cfg.sap_user,
            cfg.sap_password,
            cfg.sap_connect_timeout_s,
            cfg.sap_total_timeout_s,
            cfg.sap_concurrency,
            duplicate_markers=cfg.sap_duplicate_markers,
        )
        shop = WooClient(
            cfg.shop_base_url, cfg.shop_consumer_key, cfg.shop_consumer_secret, cfg.shop_timeout_s
        )
        try:
            async with sap, shop:
                reports.append(
                    await reconcile_last(
                        store,
                        shop,
                        sap,
                        args.last,
                        requeue=not args.no_requeue,
                        progress=_progress_bar if show_bar else None,
                        document=cfg.sap_document,
                    )
                )
        except (ShopError, SLFailure, OSError, TimeoutError) as exc:
            print(f"bridge reconcile: cannot read the shop or SAP: {exc}", file=sys.stderr)
            return 1
        return 0

    rc = _run(lambda: _with_store(args, body))
    if rc or not reports:
        return rc or 1
    report = reports[0]
    if args.report:
        Path(args.report).write_text(dumps(report) + "\n", encoding="utf-8")
    print(dumps(report) if args.json else render_table(report, args.problems))
    return 0 if report.clean or not args.strict else 3


def cmd_export_pending(args: argparse.Namespace) -> int:
    """``bridge export-pending --out FILE``: the orders SAP still lacks, for manual entry."""
    from bridge.contract import get_contract
    from bridge.manual_export import export_pending
    from bridge.mapping import MappingContext
    from sapchaos.catalog import load_catalog

    cfg = _config(args)
    get_contract(cfg.contract_version)
    ctx = MappingContext(
        load_catalog(cfg.catalog_path),
        cfg.due_days,
        cfg.guest_card_code,
        contract=cfg.contract_version,
        shipping_as=cfg.shipping_as,
        shipping_item_code=cfg.shipping_item_code,
        national_id_policy=cfg.national_id_policy,
    )
    out = Path(args.out)

    async def body(store: Any) -> int:
        entries = await export_pending(
            store, ctx, out, mark=not args.no_mark, document=cfg.sap_document
        )
        print(f"{len(entries)} pending orders written to {out}")
        return 0

    return _run(lambda: _with_store(args, body))


def cmd_migrate(args: argparse.Namespace) -> int:
    async def body(store: Any) -> int:
        applied = await store.migrate()
        print("applied: " + (", ".join(applied) if applied else "nothing (up to date)"))
        return 0

    return _run(lambda: _with_store(args, body))


def cmd_dlq_list(args: argparse.Namespace) -> int:
    async def body(store: Any) -> int:
        rows = await store.list_dead_letters(args.limit, 0, args.all)
        if args.json:
            print(json.dumps([dataclasses.asdict(r) for r in rows], indent=2, default=str))
            return 0
        print(
            _table(
                [
                    [
                        str(r.id),
                        str(r.order_id),
                        r.op,
                        r.idem_key,
                        r.code,
                        r.message[:60],
                        _ts(r.created_at),
                        _ts(r.replayed_at),
                    ]
                    for r in rows
                ],
                ["id", "order", "op", "key", "code", "message", "created", "replayed"],
            )
        )
        return 0

    return _run(lambda: _with_store(args, body))


def cmd_dlq_show(args: argparse.Namespace) -> int:
    async def body(store: Any) -> int:
        row = await store.get_dead_letter(args.id)
        if row is None:
            print(f"no dead letter {args.id}", file=sys.stderr)
            return 1
        data = dataclasses.asdict(row)
        if args.json:
            print(json.dumps(data, indent=2, default=str))
        else:
            for k, v in data.items():
                print(f"{k:>13}: {v}")
        return 0

    return _run(lambda: _with_store(args, body))


def cmd_dlq_replay(args: argparse.Namespace) -> int:
    async def body(store: Any) -> int:
        if args.all:
            ids = await store.replay_audited(None, _cli_actor(), "cli", "cli")
            n = len(ids)
            print(json.dumps({"replayed": n}) if args.json else f"replayed {n} dead letter(s)")
            return 0
        if args.id is None:
            print("give a dead letter id or --all", file=sys.stderr)
            return 2
        ok = bool(await store.replay_audited(args.id, _cli_actor(), "cli", "cli"))
        if args.json:
            print(json.dumps({"replayed": [args.id] if ok else []}))
        else:
            print(
                f"replayed {args.id}"
                if ok
                else f"dead letter {args.id} not found or already replayed"
            )
        return 0 if ok else 1

    return _run(lambda: _with_store(args, body))


def cmd_quarantine_list(args: argparse.Namespace) -> int:
    from bridge.ingress.ops import quarantine_json

    async def body(store: Any) -> int:
        rows = await store.list_quarantine(args.limit, 0, args.kind)
        if args.json:
            print(json.dumps([quarantine_json(q) for q in rows], indent=2))
            return 0
        print(
            _table(
                [[str(q.id), q.kind, q.topic, q.reason[:70], _ts(q.received_at)] for q in rows],
                ["id", "kind", "topic", "reason", "received"],
            )
        )
        return 0

    return _run(lambda: _with_store(args, body))


def cmd_quarantine_show(args: argparse.Namespace) -> int:
    from bridge.ingress.ops import quarantine_json

    async def body(store: Any) -> int:
        row = await store.get_quarantine(args.id)
        if row is None:
            print(f"no quarantine entry {args.id}", file=sys.stderr)
            return 1
        data = quarantine_json(row, with_body=True)
        if args.json:
            print(json.dumps(data, indent=2))
        else:
            for k, v in data.items():
                print(f"{k:>11}: {v}")
        return 0

    return _run(lambda: _with_store(args, body))


def cmd_status(args: argparse.Namespace) -> int:
    """One order as the dashboard shows it: snapshot, job, ledger, SAP documents,
    attempts, dead letters, events and audit trail (``--masked``: personal data masked)."""
    from bridge.ops.views import order_view, resolve_order

    text = args.order.strip().lstrip("#")
    if not (text.isdigit() or text.startswith(("wc:", "mg:"))):
        print(
            f"error: ORDER {args.order!r}: give an order id or number "
            "(1234, #1234, wc:1234 or mg:000000123)",
            file=sys.stderr,
        )
        return 2

    async def body(store: Any) -> int:
        oid = await resolve_order(store, args.order)
        view = await order_view(store, oid, args.masked) if oid is not None else None
        if view is None:
            print(f"no order {args.order} in the bridge's store", file=sys.stderr)
            return 1
        assert oid is not None
        if args.json:
            print(json.dumps(view, indent=2, default=str))
            return 0
        snap, job = view["snapshot"] or {}, view["job"] or {}
        print(
            f"order {oid} ({view['correlation_id']})  status {snap.get('status')}  "
            f"job {job.get('status')} attempts {job.get('attempts')}"
        )
        if job.get("last_error"):
            print(f"last error: {job['last_error']}")
        print("\nledger")
        print(
            _table(
                [
                    [
                        r["idem_key"],
                        r["op"],
                        r["status"],
                        str(r["target_docnum"] or "-"),
                        str(r["attempts"]),
                        (r["last_error"] or "")[:50],
                    ]
                    for r in view["ledger"]
                ],
                ["key", "op", "status", "docnum", "tries", "error"],
            )
        )
        for title, rows, header in (
            (
                "attempts",
                [
                    [_ts(a["at"]), a["op"], a["outcome"], str(round(a["duration_ms"], 1))]
                    for a in view["attempts"]
                ],
                ["at", "op", "outcome", "ms"],
            ),
            (
                "dead letters",
                [
                    [str(d["id"]), d["code"], d["message"][:60], _ts(d["replayed_at"])]
                    for d in view["dead_letters"]
                ],
                ["id", "code", "message", "replayed"],
            ),
            (
                "events sent",
                [[e["type"], _ts(e["created_at"]), _ts(e["published_at"])] for e in view["events"]],
                ["type", "created", "published"],
            ),
            (
                "audit",
                [
                    [str(a["seq"]), _ts(a["at"]), a["actor"], a["action"], a["target"]]
                    for a in view["audit"]
                ],
                ["seq", "at", "who", "action", "target"],
            ),
        ):
            if rows:
                print(f"\n{title}")
                print(_table(rows, header))
        return 0

    return _run(lambda: _with_store(args, body))


def cmd_audit_verify(args: argparse.Namespace) -> int:
    """Walk the audit hash chain; exit 1 and name each broken entry if it was tampered with."""
    from bridge.ops.audit import verify_store

    async def body(store: Any) -> int:
        report = await verify_store(store)
        if args.json:
            print(json.dumps(report.as_json(), indent=2))
        elif report.ok:
            print(f"audit chain intact: {report.entries} entries, head {report.head_hash}")
        else:
            for p in report.problems:
                print(f"entry {p.seq}: {p.kind}: {p.message}")
            print(
                f"audit chain BROKEN: {len(report.problems)} problem(s) in {report.entries} entries"
            )
        return 0 if report.ok else 1

    return _run(lambda: _with_store(args, body))


def cmd_audit_list(args: argparse.Namespace) -> int:
    from bridge.ops.views import audit_json

    async def body(store: Any) -> int:
        rows = await store.list_audit(None, args.after, args.limit)
        if args.json:
            print(json.dumps([audit_json(e) for e in rows], indent=2))
            return 0
        print(
            _table(
                [
                    [str(e.seq), _ts(e.at), e.actor, e.role, e.action, e.target, e.hash[:12]]
                    for e in rows
                ],
                ["seq", "at", "who", "role", "action", "target", "hash"],
            )
        )
        return 0

    return _run(lambda: _with_store(args, body))


def cmd_stats(args: argparse.Namespace) -> int:
    async def body(store: Any) -> int:
        print(json.dumps(await store.counts(), indent=None if not args.json else 2, default=str))
        return 0

    return _run(lambda: _with_store(args, body))


def cmd_subscribe(args: argparse.Namespace) -> int:
    """Create (or re-activate) the bridge's webhooks in the shop; idempotent."""
    from bridge.shop.client import ShopError, WooClient
    from bridge.shop.webhooks import DEFAULT_TOPICS, ensure_webhooks, parse_topics

    try:
        cfg = _config(args)
        topics = parse_topics(args.topics) if args.topics else DEFAULT_TOPICS
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    delivery_url = args.delivery_url or cfg.delivery_url()

    async def body() -> int:
        async with WooClient(
            cfg.shop_base_url, cfg.shop_consumer_key, cfg.shop_consumer_secret, cfg.shop_timeout_s
        ) as shop:
            try:
                actions = await ensure_webhooks(
                    shop, delivery_url, cfg.webhook_secrets[0], topics, force=args.force
                )
            except ShopError as exc:
                print(
                    f"error: the shop at {cfg.shop_base_url} refused: {exc.status} {exc.code}: "
                    f"{exc.message}",
                    file=sys.stderr,
                )
                return 1
        if args.json:
            out = {
                "shop_url": cfg.shop_base_url,
                "delivery_url": delivery_url,
                "webhooks": [a.as_json() for a in actions],
            }
            print(json.dumps(out, indent=2))
        else:
            print(f"shop {cfg.shop_base_url} → {delivery_url}")
            print(
                _table(
                    [[a.topic, a.action, str(a.id), a.status] for a in actions],
                    ["topic", "action", "id", "status"],
                )
            )
        return 0

    return _run(body)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", help="TOML file with a [bridge] table")
    p.add_argument("--store", help="store DSN: sqlite:///bridge.db or postgresql://…")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def register(sub: Any) -> None:
    p = sub.add_parser("bridge", help="the reference shop→SAP bridge")
    bsub = p.add_subparsers(dest="bridge_command", metavar="SUBCOMMAND")
    p.set_defaults(func=lambda _a: (p.print_help(), 2)[1])

    s = bsub.add_parser("serve", help="run ingress, workers, poller (and relay) in one process")
    _common(s)
    s.add_argument("--roles", help="comma list of ingress,worker,poller,relay,subscriber")
    s.add_argument("--host")
    _env_flag(s, "--port", "bridge_port", "ingress port", type=int)
    s.add_argument("--workers", type=int, help="worker tasks in this process")
    _env_flag(s, "--sap-url", "sap_url", "Service Layer root, e.g. http://127.0.0.1:50000/b1s/v1")
    _env_flag(s, "--sap-company", "sap_company", "company database to log in to")
    _env_flag(s, "--sap-user", "sap_user", "Service Layer user")
    _env_flag(s, "--sap-password", "sap_password", "Service Layer password")
    _env_flag(s, "--shop-url", "shop_url", "WooCommerce site URL, e.g. http://127.0.0.1:8080")
    _env_flag(s, "--shop-key", "shop_key", "WooCommerce REST consumer key")
    _env_flag(s, "--shop-secret", "shop_secret", "WooCommerce REST consumer secret")
    _env_flag(s, "--webhook-secret", "webhook_secret", "secret the shop signs webhooks with")
    _env_flag(s, "--card-code", "card_code", "SAP business partner for guest orders")
    _env_flag(s, "--mqtt-url", "mqtt_url", "MQTT broker for the relay/subscriber roles")
    _env_flag(
        s, "--delivery-url", "bridge_url", "the URL the shop delivers webhooks to (reconciler)"
    )
    s.add_argument("--worker-id", help="lease owner name (default host:pid)")
    s.add_argument("--seed", type=int, default=0, help="seed for retry jitter")
    s.add_argument(
        "--loop",
        choices=("auto", "uvloop", "asyncio"),
        default="auto",
        help="event loop: uvloop when installed (auto, the default), or the stdlib loop",
    )
    s.set_defaults(func=cmd_serve)

    w = bsub.add_parser(
        "subscribe", help="create the bridge's webhooks in the WooCommerce shop (idempotent)"
    )
    w.add_argument("--config", help="TOML file with a [bridge] table")
    w.add_argument("--shop-url", help="WooCommerce base URL (default: shop_base_url)")
    w.add_argument(
        "--delivery-url",
        help="where the shop delivers (default: webhook_delivery_url, else the ingress URL)",
    )
    w.add_argument(
        "--topics",
        help="comma list (default order.created,order.updated,order.deleted,order.restored)",
    )
    w.add_argument(
        "--force", action="store_true", help="rewrite secret and status of existing webhooks too"
    )
    w.add_argument("--json", action="store_true", help="machine-readable output")
    w.set_defaults(func=cmd_subscribe)

    rc = bsub.add_parser(
        "reconcile", help="compare the shop's last N orders with SAP; re-enqueue what SAP lacks"
    )
    _common(rc)
    rc.add_argument("--last", type=int, default=100, help="how many of the newest orders")
    _env_flag(rc, "--sap-url", "sap_url", "Service Layer root")
    _env_flag(rc, "--shop-url", "shop_url", "shop base URL")
    rc.add_argument("--report", help="also write the JSON report to this file")
    rc.add_argument("--problems", action="store_true", help="table: only rows needing action")
    rc.add_argument("--no-requeue", action="store_true", help="report only; enqueue nothing")
    rc.add_argument("--progress", action="store_true", help="progress bar even when not a tty")
    rc.add_argument("--strict", action="store_true", help="exit 3 when any mismatch remains")
    rc.set_defaults(func=cmd_reconcile)

    ex = bsub.add_parser(
        "export-pending", help="write the orders SAP still lacks to a file for manual entry"
    )
    _common(ex)
    ex.add_argument("--out", required=True, help="JSON-lines file to write")
    ex.add_argument(
        "--no-mark", action="store_true", help="do not record intents (a dry look only)"
    )
    ex.set_defaults(func=cmd_export_pending)

    m = bsub.add_parser("migrate", help="apply store migrations")
    _common(m)
    m.set_defaults(func=cmd_migrate)

    st = bsub.add_parser("stats", help="store counters (inbox, jobs, ledger, dlq…)")
    _common(st)
    st.set_defaults(func=cmd_stats)

    d = bsub.add_parser("dlq", help="dead-letter queue: list, show, replay")
    dsub = d.add_subparsers(dest="dlq_command", metavar="ACTION")
    d.set_defaults(func=lambda _a: (d.print_help(), 2)[1])
    dl = dsub.add_parser("list", help="list dead letters")
    _common(dl)
    dl.add_argument("--all", action="store_true", help="include replayed ones")
    dl.add_argument("--limit", type=int, default=100)
    dl.set_defaults(func=cmd_dlq_list)
    ds = dsub.add_parser("show", help="show one dead letter")
    _common(ds)
    ds.add_argument("id", type=int)
    ds.set_defaults(func=cmd_dlq_show)
    dr = dsub.add_parser("replay", help="replay one dead letter (or --all) after fixing the data")
    _common(dr)
    dr.add_argument("id", type=int, nargs="?")
    dr.add_argument("--all", action="store_true")
    dr.set_defaults(func=cmd_dlq_replay)

    from bridge.events.cli import register as register_events

    register_events(bsub)  # sapchaos bridge events schema|relay|subscribe

    so = bsub.add_parser("status", help="one order: snapshot, ledger, attempts, DLQ, audit")
    _common(so)
    so.add_argument("order", help="order id, #number, wc:id or mg:number")
    so.add_argument("--masked", action="store_true", help="mask personal data")
    so.set_defaults(func=cmd_status)

    a = bsub.add_parser("audit", help="the operations audit log (hash chain)")
    asub = a.add_subparsers(dest="audit_command", metavar="ACTION")
    a.set_defaults(func=lambda _a: (a.print_help(), 2)[1])
    av = asub.add_parser(
        "verify", help="check the hash chain; exit 1 if an entry was edited, inserted or deleted"
    )
    _common(av)
    av.set_defaults(func=cmd_audit_verify)
    al = asub.add_parser("list", help="list audit entries")
    _common(al)
    al.add_argument("--after", type=int, default=0, help="entries after this seq")
    al.add_argument("--limit", type=int, default=100)
    al.set_defaults(func=cmd_audit_list)

    q = bsub.add_parser("quarantine", help="authentic but unusable webhooks")
    qsub = q.add_subparsers(dest="q_command", metavar="ACTION")
    q.set_defaults(func=lambda _a: (q.print_help(), 2)[1])
    ql = qsub.add_parser("list", help="list quarantined requests")
    _common(ql)
    ql.add_argument("--kind", help="invalid | ignored_topic")
    ql.add_argument("--limit", type=int, default=100)
    ql.set_defaults(func=cmd_quarantine_list)
    qs = qsub.add_parser("show", help="show one quarantined request with its body")
    _common(qs)
    qs.add_argument("id", type=int)
    qs.set_defaults(func=cmd_quarantine_show)
