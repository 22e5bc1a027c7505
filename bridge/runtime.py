"""``BridgeRuntime``: ingress, workers, poller, MQTT relay and Magento subscriber in one
process (or any subset of roles).

The same object runs ``sapchaos bridge serve``, ``sapchaos demo`` and the tests: it opens the
store, one Service Layer session and one shop client, and starts the roles named in the
config. Several runtimes (processes) can share one PostgreSQL store.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bridge.breaker import BreakerBoard
from bridge.config import BridgeConfig
from bridge.health import Check, Readiness
from bridge.ingress.app import create_ingress_app, make_ingress, store_ping
from bridge.ingress.callbacks import add_callback_route
from bridge.ingress.refresher import Refresher
from bridge.mapping import MappingContext
from bridge.metrics import Metrics
from bridge.ops.auth import OpsAuth, TokenSource
from bridge.ops.startup import audit_config, default_secret_warning, resolve_ops_tokens
from bridge.poller import Poller
from bridge.reconciler import MagentoReader, ShopReader, ShopReconciler, WooReader
from bridge.sap.client import ServiceLayerClient
from bridge.shop.client import WooClient
from bridge.store import Store, open_store
from bridge.tls import client_ssl
from bridge.worker.deps import WorkerDeps
from bridge.worker.loop import Worker
from sapchaos.catalog import load_catalog
from sapchaos.logs import get_logger

if TYPE_CHECKING:
    from bridge.events import MagentoSubscriber, OutboxRelay
    from bridge.manual_export import ManualExporter
    from bridge.reconcile_report import ScheduledReport
    from bridge.shop.watcher import WebhookWatcher
    from bridge.stock import StockSync

log = get_logger("bridge.runtime")


@dataclass
class BridgeRuntime:
    """Start with ``async with BridgeRuntime(cfg) as rt:``; ``rt.url`` is the ingress URL."""

    config: BridgeConfig
    store: Store | None = None
    seed: int = 0
    clock: Callable[[], float] = time.time
    metrics: Metrics = field(default_factory=Metrics)
    breakers: BreakerBoard | None = None
    workers: list[Worker] = field(default_factory=list)
    poller: Poller | None = None
    refresher: Refresher | None = None
    reconciler: ShopReconciler | None = None
    webhook_watch: WebhookWatcher | None = None
    stock_sync: StockSync | None = None
    manual_export: ManualExporter | None = None
    reconcile_report: ScheduledReport | None = None
    #: readiness checks of the roles this runtime runs (``/readyz``)
    readiness: Readiness | None = None
    _health_stop: asyncio.Event = field(default_factory=asyncio.Event)
    _magento_rest: Any = None
    port: int | None = None
    _own_store: bool = False
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    #: set first in ``stop()``: the MQTT roles finish what they are doing and disconnect
    events_stop: asyncio.Event = field(default_factory=asyncio.Event)
    _event_tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    relay: OutboxRelay | None = None
    subscriber: MagentoSubscriber | None = None
    _runner: web.AppRunner | None = None
    sap: ServiceLayerClient | None = None
    shop: WooClient | None = None
    #: the ops tokens and where they came from (``generated``: ``ops_tokens.path``)
    ops_tokens: TokenSource | None = None
    ops_auth: OpsAuth | None = None
    #: the separate health/metrics listener's port (``metrics_port`` ≥ 0)
    metrics_port: int | None = None
    _probe_runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        scheme = "https" if self.config.tls_cert_file else "http"
        return f"{scheme}://{self.config.host}:{self.port}"

    async def __aenter__(self) -> BridgeRuntime:
        try:
            await self.start()
        except BaseException:
            await self.stop()  # a refused setting (TLS file, tokens file) leaks no session
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        cfg = self.config
        if self.store is None:
            self.store = await open_store(cfg.store_dsn, clock=self.clock)
            self._own_store = True
        self.breakers = self.breakers or BreakerBoard(cfg.breaker)
        warning = default_secret_warning(cfg)
        if warning:
            log.warning("default_webhook_secret", message=warning)
        await audit_config(self.store, cfg, f"{socket.gethostname()}:{os.getpid()}")
        self.sap = ServiceLayerClient(
            cfg.sap_base_url,
            cfg.sap_company,
            cfg.sap_user,
            cfg.sap_password,
            cfg.sap_connect_timeout_s,
            cfg.sap_total_timeout_s,
            cfg.sap_concurrency,
            duplicate_markers=cfg.sap_duplicate_markers,
            ssl=client_ssl(cfg.sap_base_url, cfg.tls_verify, cfg.tls_ca_file),
        )
        self.shop = WooClient(
            cfg.shop_base_url,
            cfg.shop_consumer_key,
            cfg.shop_consumer_secret,
            cfg.shop_timeout_s,
            ssl=client_ssl(cfg.shop_base_url, cfg.tls_verify, cfg.tls_ca_file),
        )
        await self.sap.start()
        await self.shop.start()
        roles = set(cfg.roles)
        self.readiness = Readiness(
            interval_s=cfg.health_interval_s, timeout_s=cfg.health_timeout_s, clock=self.clock
        )
        store = self.store
        self.readiness.add(Check("store", lambda: store_ping(store)))
        if "ingress" in roles:
            await self._start_ingress()
        if "worker" in roles:
            catalog = load_catalog(cfg.catalog_path)
            mapping = MappingContext(
                catalog,
                cfg.due_days,
                cfg.guest_card_code,
                contract=cfg.contract_version,
                shipping_as=cfg.shipping_as,
                shipping_item_code=cfg.shipping_item_code,
                national_id_policy=cfg.national_id_policy,
            )
            base_id = cfg.worker_id or f"{socket.gethostname()}:{os.getpid()}"
            if not cfg.sap_delivery:
                self._start_manual_export(mapping)
            for i in range(cfg.workers if cfg.sap_delivery else 0):
                deps = WorkerDeps(
                    cfg,
                    self.store,
                    self.sap,
                    self.shop,
                    mapping,
                    self.breakers,
                    self.metrics,
                    random.Random(self.seed * 1000 + i),
                    f"{base_id}/w{i}",
                    self.clock,
                )
                worker = Worker(deps)
                self.workers.append(worker)
                self._tasks.append(asyncio.create_task(worker.run(), name=f"worker-{i}"))
        if "poller" in roles:
            self.poller = Poller(
                self.store, self.sap, self.shop, cfg.poll_interval_s, clock=self.clock
            )
            self._tasks.append(asyncio.create_task(self.poller.run(), name="poller"))
        if ("poller" in roles or "reconciler" in roles) and cfg.reconcile_interval_s > 0:
            self.reconciler = ShopReconciler(
                self.store,
                self._shop_reader(),
                cfg.reconcile_interval_s,
                cfg.reconcile_lookback_s,
                clock=self.clock,
                overlap_s=cfg.reconcile_overlap_s,
            )
            self._tasks.append(asyncio.create_task(self.reconciler.run(), name="reconciler"))
            if (
                cfg.webhook_watch_interval_s > 0
                and self.reconciler.reader.kind == "woocommerce"
                and (cfg.webhook_delivery_url or "ingress" in roles)
            ):
                self._start_webhook_watch()
            if cfg.reconcile_report_interval_s > 0 and self.reconciler.reader.kind == "woocommerce":
                self._start_reconcile_report()
        if ("poller" in roles or "stock_sync" in roles) and cfg.stock_sync_interval_s > 0:
            self._start_stock_sync()
        if "relay" in roles or "subscriber" in roles:
            self._start_events(roles)
        self._add_checks(roles)
        self._health_stop.clear()
        self._tasks.append(
            asyncio.create_task(self.readiness.run(self._health_stop), name="readiness")
        )
        log.info("bridge_started", roles=sorted(roles), port=self.port, workers=len(self.workers))

    async def _start_ingress(self) -> None:
        cfg = self.config
        assert self.store is not None and self.shop is not None
        ingress = make_ingress(
            self.store,
            cfg.webhook_secrets,
            cfg.body_limit_bytes,
            self.metrics,
            cfg.group_commit_ms,
            cfg.group_commit_max,
        )
        self.refresher = Refresher(self.store, self.shop)
        self.refresher.start()
        self.ops_tokens = resolve_ops_tokens(cfg)
        if self.ops_tokens.kind == "generated":
            log.warning("ops_tokens_generated", path=str(self.ops_tokens.path))
        self.ops_auth = OpsAuth(self.ops_tokens.tokens)
        app = create_ingress_app(
            ingress,
            self.refresher,
            self.stats,
            self.readiness,
            cfg.ingress_deadline_s,
            self.ops_auth,
        )
        watch = None
        if cfg.shop_kind() == "woocommerce":
            from bridge.ops.routes import FIGURES_KEY
            from bridge.ops.webhooks_watch import WebhookWatch, watcher_status

            watch = WebhookWatch(self.shop, cfg.delivery_url())
            fallback = watch.status

            async def webhook_status() -> dict[str, Any]:
                """The runtime's watcher when it runs (started after the ingress)."""
                if self.webhook_watch is not None:
                    return watcher_status(self.webhook_watch)
                return await fallback()

            app[FIGURES_KEY].webhooks = webhook_status
        if cfg.sap_callback_secret:
            assert self.sap is not None
            observer = Poller(
                self.store, self.sap, self.shop, cfg.poll_interval_s, clock=self.clock
            )
            add_callback_route(app, cfg.sap_callback_secret, observer.observe, observer.tell_shop)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        ssl_context = None
        if cfg.tls_cert_file:
            from bridge.tls import server_context

            ssl_context = server_context(cfg.tls_cert_file, cfg.tls_key_file)
        site = web.TCPSite(self._runner, cfg.host, cfg.port, ssl_context=ssl_context)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.port = int(sockets[0].getsockname()[1]) if sockets else cfg.port
        if cfg.metrics_port >= 0:
            from bridge.ops.routes import probe_app

            self._probe_runner = web.AppRunner(probe_app(app), access_log=None)
            await self._probe_runner.setup()
            probe = web.TCPSite(self._probe_runner, cfg.metrics_host, cfg.metrics_port)
            await probe.start()
            bound = getattr(probe._server, "sockets", None) or []
            self.metrics_port = int(bound[0].getsockname()[1]) if bound else cfg.metrics_port
        if watch is not None:  # the URL the shop delivers to, now that the port is known
            watch.delivery_url = cfg.replace(port=self.port).delivery_url()

    def _start_events(self, roles: set[str]) -> None:
        """The MQTT roles (``bridge.events``): the outbox relay and the Magento subscriber,
        each ``run(events_stop)`` exactly as ``run_relay``/``run_subscriber`` do; the
        objects are kept for ``stats()`` and readiness (``subscriber.subscribed``)."""
        from bridge.events import MagentoSubscriber, MqttSettings, OutboxRelay

        assert self.store is not None
        settings = MqttSettings.from_config(self.config)
        self.events_stop.clear()
        if "relay" in roles:
            rng = random.Random(self.seed * 1000 + 900)  # reconnect jitter
            self.relay = OutboxRelay(self.store, settings, self.clock, rng)
            self._event_tasks.append(
                asyncio.create_task(self.relay.run(self.events_stop), name="relay")
            )
        if "subscriber" in roles:
            catalog = load_catalog(self.config.catalog_path)
            rng = random.Random(self.seed * 1000 + 901)
            from bridge.events.metrics import SubscriberMetrics

            # its counters (lost sessions, caught-up orders …) appear on /metrics
            self.subscriber = MagentoSubscriber(
                self.store,
                catalog,
                settings,
                self.clock,
                rng,
                SubscriberMetrics(registry=self.metrics.registry),
            )
            # a lost MQTT session is healed from Magento's REST API before "ready"
            healer = self.reconciler
            if healer is None or healer.reader.kind != "magento":
                healer = ShopReconciler(self.store, self._magento_reader(), clock=self.clock)
            self.subscriber.catch_up = healer.catch_up
            self.subscriber.lookback_s = self.config.reconcile_lookback_s
            self.subscriber.margin_s = self.config.catchup_margin_s
            self._event_tasks.append(
                asyncio.create_task(self.subscriber.run(self.events_stop), name="subscriber")
            )

    def _start_manual_export(self, mapping: MappingContext) -> None:
        """SAP delivery switched off: no worker runs; pending orders go to a file."""
        from pathlib import Path

        from bridge.manual_export import ManualExporter

        cfg = self.config
        assert self.store is not None
        self.manual_export = ManualExporter(
            self.store,
            mapping,
            Path(cfg.manual_export_path),
            cfg.manual_export_interval_s,
            clock=self.clock,
            document=cfg.sap_document,
        )
        self._tasks.append(asyncio.create_task(self.manual_export.run(), name="manual-export"))

    def _start_reconcile_report(self) -> None:
        """``reconcile --last N`` on a schedule (``bridge.reconcile_report``)."""
        from pathlib import Path

        from bridge.reconcile_report import ScheduledReport

        cfg = self.config
        assert self.store is not None and self.shop is not None and self.sap is not None
        self.reconcile_report = ScheduledReport(
            self.store,
            self.shop,
            self.sap,
            Path(cfg.reconcile_report_path),
            cfg.reconcile_report_last,
            cfg.reconcile_report_interval_s,
            clock=self.clock,
            document=cfg.sap_document,
        )
        self._tasks.append(
            asyncio.create_task(self.reconcile_report.run(), name="reconcile-report")
        )

    def _start_stock_sync(self) -> None:
        """SAP stock → shop stock on a schedule (``bridge.stock``)."""
        from bridge.stock import StockRule, StockSync

        cfg = self.config
        assert self.sap is not None and self.shop is not None
        rule = StockRule(
            cfg.stock_warehouses, cfg.stock_subtract_committed, cfg.stock_safety_buffer
        )
        self.stock_sync = StockSync(
            self.sap, self.shop, rule, cfg.stock_sync_interval_s, clock=self.clock
        )
        self._tasks.append(asyncio.create_task(self.stock_sync.run(), name="stock-sync"))
        for worker in self.workers:  # an order booked here commits stock: sync soon
            worker.deps.on_sap_change = self.stock_sync.nudge

    def _start_webhook_watch(self) -> None:
        """The bridge's own webhook subscriptions: reported and re-activated when the shop
        disabled them (``bridge.shop.watcher``)."""
        from bridge.shop.watcher import WatcherMetrics, WebhookWatcher

        cfg = self.config
        assert self.shop is not None
        # without a configured URL: this process's ingress, on the port it really bound
        url = cfg.webhook_delivery_url or cfg.replace(port=self.port).delivery_url()
        self.webhook_watch = WebhookWatcher(
            self.shop,
            url,
            cfg.webhook_secrets[0],
            cfg.webhook_watch_topics,
            cfg.webhook_watch_interval_s,
            cfg.webhook_reactivate,
            WatcherMetrics(self.metrics.registry),
            clock=self.clock,
        )
        self._tasks.append(asyncio.create_task(self.webhook_watch.run(), name="webhook-watch"))

    def _magento_reader(self) -> MagentoReader:
        from bridge.events.magento_rest import MagentoRestClient

        cfg = self.config
        if self._magento_rest is None:
            self._magento_rest = MagentoRestClient(
                cfg.shop_base_url, cfg.magento_token, cfg.shop_timeout_s
            )
        return MagentoReader(self._magento_rest, load_catalog(cfg.catalog_path))

    def _shop_reader(self) -> ShopReader:
        """The shop reconciliation reads (``BridgeConfig.shop_kind``), with its own keys."""
        if self.config.shop_kind() == "magento":
            return self._magento_reader()
        assert self.shop is not None
        return WooReader(self.shop)

    def _add_checks(self, roles: set[str]) -> None:
        """Readiness checks the roles need: SAP for worker/poller (reported, and required
        only without ingress: every instance shares the one SAP, and taking them all out of
        the load balancer while SAP is down would only make the shop's deliveries fail);
        the broker (and the subscriber's catch-up) for relay/subscriber."""
        assert self.readiness is not None
        if roles & {"worker", "poller"}:
            sap = self.sap
            assert sap is not None

            async def sap_session() -> None:
                await sap.request("GET", "Items", params={"$top": "1", "$select": "ItemCode"})

            self.readiness.add(
                Check("sap", sap_session, required="ingress" not in roles, every_s=5.0)
            )
        if roles & {"relay", "subscriber"}:

            async def broker() -> None:
                if self.relay is not None and not self.relay.connected:
                    raise ConnectionError("relay: not connected to the MQTT broker")
                sub = self.subscriber
                if sub is not None and not sub.ready.is_set():
                    if not sub.subscribed.is_set():
                        raise ConnectionError(
                            f"subscriber: not subscribed ({sub.last_error or 'connecting'})"
                        )
                    raise ConnectionError("subscriber: catching up a lost session's gap")

            self.readiness.add(Check("broker", broker))

    async def _stop_events(self) -> None:
        """Graceful: the relay finishes its in-flight publishes (bounded by
        ``publish_timeout_s``) and marks them; only a task still running after that is
        cancelled (at-least-once publishing makes even that safe)."""
        self.events_stop.set()
        if not self._event_tasks:
            return
        grace = self.config.mqtt_publish_timeout_s + 2.0
        _done, pending = await asyncio.wait(self._event_tasks, timeout=grace)
        for t in pending:
            log.warning("events_role_stop_timeout", task=t.get_name())
            t.cancel()
        for t in self._event_tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        self._event_tasks.clear()

    def stats(self) -> dict[str, Any]:
        assert self.breakers is not None
        return {
            "breakers": self.breakers.snapshot(),
            "workers": len(self.workers),
            "processed": sum(w.processed for w in self.workers),
            "sap_logins": self.sap.logins if self.sap else 0,
            "relay": self.relay.stats() if self.relay else None,
            "subscriber": self.subscriber.stats() if self.subscriber else None,
            "reconciler": self.reconciler.stats() if self.reconciler else None,
            "webhooks_watch": self.webhook_watch.stats() if self.webhook_watch else None,
            "stock_sync": self.stock_sync.stats() if self.stock_sync else None,
            "manual_export": self.manual_export.stats() if self.manual_export else None,
            "reconcile_report": self.reconcile_report.stats() if self.reconcile_report else None,
            "readiness": self.readiness.report() if self.readiness else None,
        }

    async def stop(self) -> None:
        # first: the subscriber takes no new shop event, the relay finishes its in-flight
        # publishes; whatever the workers commit from now on waits in the (durable) outbox
        self.events_stop.set()
        for w in self.workers:
            w.stop.set()
        if self.store is not None and hasattr(self.store, "job_signal"):
            self.store.job_signal.wake_all()
        if self.poller is not None:
            self.poller.stop.set()
        if self.reconciler is not None:
            self.reconciler.stop.set()
        if self.webhook_watch is not None:
            self.webhook_watch.stop.set()
        if self.stock_sync is not None:
            self.stock_sync.stop.set()
        if self.manual_export is not None:
            self.manual_export.stop.set()
        if self.reconcile_report is not None:
            self.reconcile_report.stop.set()
        self._health_stop.set()
        if self._tasks:
            _done, pending = await asyncio.wait(self._tasks, timeout=5)
            for t in pending:
                t.cancel()
            for t in self._tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await t
        self._tasks.clear()
        for w in self.workers:
            # claims interrupted by the stop go back to the store at once (no lease wait)
            n = await w.release_all()
            if n:
                log.info("leases_released_on_stop", count=n)
        await self._stop_events()
        if self.refresher is not None:
            await self.refresher.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._probe_runner is not None:
            await self._probe_runner.cleanup()
            self._probe_runner = None
        if self.sap is not None:
            await self.sap.close()
        if self.shop is not None:
            await self.shop.close()
        if self._magento_rest is not None:
            await self._magento_rest.close()
        if self._own_store and self.store is not None:
            await self.store.close()
            self.store = None

    async def wait_idle(self, timeout_s: float = 30.0, settle_s: float = 0.3) -> bool:
        """Wait until the store reports no pending work (for tests and ``demo``)."""
        assert self.store is not None
        deadline = time.monotonic() + timeout_s
        quiet_since: float | None = None
        while time.monotonic() < deadline:
            counts = await self.store.counts()
            jobs = counts.get("jobs", {})
            busy = sum(n for s, n in jobs.items() if s not in ("done", "dead"))
            if busy == 0:
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since >= settle_s:
                    return True
            else:
                quiet_since = None
            await asyncio.sleep(0.05)
        return False
