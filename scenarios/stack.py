"""The embedded stack: fakesap, fakeshop and the bridge in one process, on free ports.

This is what ``sapchaos demo``, ``sapchaos up`` and the scenarios start by default. The
wiring is done the way a team would wire a real installation: the webhook is created
through the shop's REST API (WooCommerce sends its ping), the bridge logs in to the
Service Layer with a user from fakesap's config, and the oracle later reads only the
emulators' ``/__admin`` ground truth.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bridge.config import BridgeConfig
from bridge.runtime import BridgeRuntime
from bridge.shop.client import WooClient
from fakesap.app import create_app as create_sap_app
from fakesap.config import FakeSapConfig
from fakesap.faults import FaultsConfig
from fakeshop.app import create_app as create_shop_app
from fakeshop.config import DEFAULT_CONSUMER_KEY, DEFAULT_CONSUMER_SECRET, ShopConfig
from sapchaos.logs import get_logger
from sapchaos.net import free_port
from scenarios.oracle import Histories
from scenarios.proxy.client import ToxiproxyClient
from scenarios.proxy.server import toxiproxy

log = get_logger("scenarios.stack")

#: the order topics the bridge subscribes to, as a WooCommerce admin would set them up
ORDER_TOPICS = ("order.created", "order.updated", "order.deleted", "order.restored")


@dataclass
class StackSettings:
    """What to start and how. Every random choice downstream derives from ``seed``."""

    seed: int = 42
    #: bridge store DSN; None → a SQLite file in a temporary directory
    store_dsn: str | None = None
    #: webhook topics to subscribe the bridge to
    topics: tuple[str, ...] = ("order.created",)
    webhook_secret: str = "sapchaos-demo-webhook-secret"
    #: fakeshop delivery chaos (``/__admin/chaos`` body), applied after the webhook ping
    shop_chaos: dict[str, Any] = field(default_factory=dict)
    #: fakesap fault rules (``/__admin/faults`` bodies)
    sap_fault_rules: list[dict[str, Any]] = field(default_factory=list)
    #: the SAP-side uniqueness guard on ``U_IdemKey`` (a TransactionNotification)
    uniqueness_guard: bool = False
    #: bridge worker count and timeouts (short, so faults resolve quickly in a demo)
    workers: int = 4
    sap_total_timeout_s: float = 10.0
    lease_s: float = 20.0
    bridge_overrides: dict[str, Any] = field(default_factory=dict)
    #: route bridge→SAP, bridge→shop and shop→bridge through a Toxiproxy-compatible proxy
    #: (embedded unless ``toxiproxy_url`` names a real one), so scenarios can cut links
    proxy: bool = True
    toxiproxy_url: str | None = None


#: the proxied links: name → which side listens (the client's view) and which upstream
LINKS = ("bridge_to_sap", "bridge_to_shop", "shop_to_bridge")


@dataclass
class EmbeddedStack:
    """Start with ``async with EmbeddedStack(settings) as stack:``."""

    settings: StackSettings
    sap_url: str = ""
    shop_url: str = ""
    bridge: BridgeRuntime | None = None
    #: the proxy's API client when ``settings.proxy`` (drive partitions and toxics with it)
    proxy: ToxiproxyClient | None = None
    #: link name → the address clients connect to (``host:port``)
    links: dict[str, str] = field(default_factory=dict)
    _exit: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)
    _runners: list[web.AppRunner] = field(default_factory=list)
    _tmp: tempfile.TemporaryDirectory[str] | None = None
    _http: aiohttp.ClientSession | None = None
    _webhook_url: str = ""

    async def __aenter__(self) -> EmbeddedStack:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- lifecycle -------------------------------------------------------------------
    async def start(self) -> None:
        s = self.settings
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        sap_cfg = FakeSapConfig(
            seed=s.seed,
            uniqueness_guard_udf="U_IdemKey" if s.uniqueness_guard else None,
            faults=FaultsConfig(seed=s.seed),
        )
        self.sap_url = await self._serve(create_sap_app(sap_cfg))
        shop_cfg = ShopConfig(seed=s.seed)
        self.shop_url = await self._serve(create_shop_app(shop_cfg))

        bridge_port = free_port()
        sap_for_bridge, shop_for_bridge, bridge_for_shop = (
            self.sap_url,
            self.shop_url,
            f"http://127.0.0.1:{bridge_port}",
        )
        if s.proxy:
            self.proxy = await self._exit.enter_async_context(
                toxiproxy(s.toxiproxy_url, seed=s.seed)
            )
            upstreams = {
                "bridge_to_sap": self.sap_url,
                "bridge_to_shop": self.shop_url,
                "shop_to_bridge": bridge_for_shop,
            }
            for name, url in upstreams.items():
                created = await self.proxy.create(name, url.removeprefix("http://"))
                self.links[name] = str(created["listen"])
            sap_for_bridge = f"http://{self.links['bridge_to_sap']}"
            shop_for_bridge = f"http://{self.links['bridge_to_shop']}"
            bridge_for_shop = f"http://{self.links['shop_to_bridge']}"
        self._webhook_url = f"{bridge_for_shop}/webhooks/woocommerce"

        dsn = s.store_dsn
        if dsn is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="sapchaos-")
            dsn = f"sqlite:///{Path(self._tmp.name) / 'bridge.sqlite'}"
        company = sap_cfg.companies[0]
        user, password = next(iter(company.users.items()))
        bridge_cfg = BridgeConfig(
            store_dsn=dsn,
            sap_base_url=f"{sap_for_bridge}/b1s/v1",
            sap_company=company.db,
            sap_user=user,
            sap_password=password,
            sap_total_timeout_s=s.sap_total_timeout_s,
            lease_s=s.lease_s,
            shop_base_url=shop_for_bridge,
            shop_consumer_key=DEFAULT_CONSUMER_KEY,
            shop_consumer_secret=DEFAULT_CONSUMER_SECRET,
            webhook_secrets=(s.webhook_secret,),
            host="127.0.0.1",
            port=bridge_port,
            workers=s.workers,
        ).replace(**s.bridge_overrides)
        self.bridge = BridgeRuntime(bridge_cfg, seed=s.seed)
        await self.bridge.start()

        await self._subscribe_webhooks()
        if s.shop_chaos:
            await self._admin("PUT", f"{self.shop_url}/__admin/chaos", s.shop_chaos)
        for rule in s.sap_fault_rules:
            await self._admin("POST", f"{self.sap_url}/__admin/faults", rule)
        log.info("stack started", sap=self.sap_url, shop=self.shop_url, bridge=self.bridge.url)

    async def stop(self) -> None:
        if self.bridge is not None:
            await self.bridge.stop()
            self.bridge = None
        await self._exit.aclose()
        self.proxy = None
        for runner in reversed(self._runners):
            await runner.cleanup()
        self._runners.clear()
        if self._http is not None:
            await self._http.close()
            self._http = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    async def _serve(self, app: web.Application) -> str:
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        self._runners.append(runner)
        return f"http://127.0.0.1:{port}"

    async def _subscribe_webhooks(self) -> None:
        """Create the webhooks through the shop's REST API, as a shop admin would."""
        assert self.bridge is not None
        async with WooClient(self.shop_url, DEFAULT_CONSUMER_KEY, DEFAULT_CONSUMER_SECRET) as woo:
            for topic in self.settings.topics:
                await woo.request(
                    "POST",
                    "webhooks",
                    {
                        "name": f"sapchaos bridge {topic}",
                        "topic": topic,
                        "delivery_url": self._webhook_url,
                        "secret": self.settings.webhook_secret,
                        "status": "active",
                    },
                )

    # -- driving and observing ------------------------------------------------------
    async def _admin(self, method: str, url: str, body: Any = None) -> Any:
        assert self._http is not None
        async with self._http.request(method, url, json=body) as resp:
            data = await resp.json(content_type=None)
            if resp.status >= 400:
                raise RuntimeError(f"{method} {url} → {resp.status}: {data}")
            return data

    async def generate_orders(self, count: int) -> None:
        await self._admin("POST", f"{self.shop_url}/__admin/orders/generate", {"count": count})

    async def histories(self) -> Histories:
        orders = await self._admin("GET", f"{self.shop_url}/__admin/orders")
        received = await self._admin("GET", f"{self.shop_url}/__admin/received")
        deliveries = await self._admin("GET", f"{self.shop_url}/__admin/deliveries")
        docs = await self._admin("GET", f"{self.sap_url}/__admin/documents")
        return Histories(
            shop_orders=orders["orders"],
            shop_received=received["received"],
            sap_documents=docs["documents"],
            deliveries=deliveries["deliveries"],
        )

    async def fault_history(self) -> list[dict[str, Any]]:
        data = await self._admin("GET", f"{self.sap_url}/__admin/faults")
        return list(data.get("rules", []))

    async def wait_quiescent(
        self,
        expected_orders: int,
        timeout_s: float = 120.0,
        quiet_s: float = 1.0,
        progress: Callable[[int, int], None] | None = None,
    ) -> bool:
        """Wait until every order is acknowledged in the shop, or nothing changed for a while.

        Judged from the shop's ground truth only (notes received), so the same wait works
        for someone else's bridge; ``quiet_s`` of silence after the bridge's own store says
        it is idle ends the wait early when orders are lost rather than slow.
        """
        deadline = time.monotonic() + timeout_s
        last = -1
        changed_at = time.monotonic()
        while time.monotonic() < deadline:
            h = await self.histories()
            acked = len(h.confirmation_notes())
            if progress is not None:
                progress(acked, expected_orders)
            if acked >= expected_orders and len(h.shop_orders) >= expected_orders:
                return True
            if acked != last:
                last, changed_at = acked, time.monotonic()
            elif (
                time.monotonic() - changed_at > max(quiet_s, 5.0)
                and self.bridge is not None
                and await self.bridge.wait_idle(timeout_s=0.5, settle_s=0.2)
            ):
                return False
            await asyncio.sleep(0.2)
        return False
