"""An in-process stack for end-to-end tests: real fakesap, real fakeshop, the bridge runtime."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp.test_utils import BaseTestServer, TestServer

from bridge.config import BreakerPolicy, BridgeConfig, RetryPolicy
from bridge.runtime import BridgeRuntime
from bridge.shop.client import WooClient
from fakeshop.config import DEFAULT_CONSUMER_KEY, DEFAULT_CONSUMER_SECRET, ShopConfig

SECRET = "sapchaos-secret"


def bridge_config(store_dsn: str, sap_url: str, shop_url: str, **changes: Any) -> BridgeConfig:
    cfg = BridgeConfig(
        store_dsn=store_dsn,
        sap_base_url=sap_url,
        sap_company="SBODEMOES",
        sap_user="manager",
        sap_password="manager",
        sap_connect_timeout_s=1.0,
        sap_total_timeout_s=2.0,
        shop_base_url=shop_url,
        shop_consumer_key=DEFAULT_CONSUMER_KEY,
        shop_consumer_secret=DEFAULT_CONSUMER_SECRET,
        webhook_secrets=(SECRET,),
        port=0,
        workers=2,
        batch_size=8,
        lease_s=6.0,
        idle_poll_s=0.05,
        poll_interval_s=0.5,
        retry=RetryPolicy(base_s=0.05, cap_s=0.5, max_attempts=30, max_age_s=120),
        breaker=BreakerPolicy(failure_threshold=5, open_s=0.5),
        roles=("ingress", "worker", "poller"),
    )
    return cfg.replace(**changes)


@dataclass
class Stack:
    sap: BaseTestServer
    shop: BaseTestServer
    http: aiohttp.ClientSession
    woo: WooClient

    @property
    def sap_url(self) -> str:
        return str(self.sap.make_url("/b1s/v1"))

    @property
    def shop_url(self) -> str:
        return str(self.shop.make_url("")).rstrip("/")

    def sap_admin(self, path: str) -> str:
        return str(self.sap.make_url(f"/__admin/{path}"))

    def shop_admin(self, path: str) -> str:
        return str(self.shop.make_url(f"/__admin/{path}"))

    async def add_fault(self, rule: dict[str, Any]) -> None:
        async with self.http.post(self.sap_admin("faults"), json=rule) as r:
            assert r.status == 201, await r.text()

    async def clear_faults(self) -> None:
        async with self.http.post(self.sap_admin("faults/reset"), json={"profile": None}) as r:
            assert r.status == 200, await r.text()

    async def set_chaos(self, settings: dict[str, Any]) -> None:
        async with self.http.put(self.shop_admin("chaos"), json=settings) as r:
            assert r.status == 200, await r.text()

    async def subscribe(self, bridge_url: str) -> None:
        for topic in ("order.created", "order.updated"):
            await self.woo.request(
                "POST",
                "webhooks",
                {
                    "name": topic,
                    "topic": topic,
                    "delivery_url": f"{bridge_url}/webhooks/woocommerce",
                    "secret": SECRET,
                    "status": "active",
                },
            )

    async def generate(self, count: int) -> list[int]:
        async with self.http.post(self.shop_admin("orders/generate"), json={"count": count}) as r:
            assert r.status == 201, await r.text()
            return list((await r.json())["created"])

    async def drain_shop(self, timeout_s: float = 60) -> None:
        async with self.http.post(self.shop_admin(f"drain?timeout_s={timeout_s}")) as r:
            assert r.status == 200

    async def sap_documents(self, entity_set: str = "Orders") -> list[dict[str, Any]]:
        async with self.http.get(self.sap_admin(f"documents?entity_set={entity_set}")) as r:
            return list((await r.json())["documents"])

    async def sap_orders_by_key(self) -> Counter[str]:
        docs = await self.sap_documents("Orders")
        return Counter(str(d["document"].get("U_IdemKey")) for d in docs)

    async def shop_orders(self) -> list[dict[str, Any]]:
        async with self.http.get(self.shop_admin("orders")) as r:
            return list((await r.json())["orders"])

    async def shop_received(self) -> list[dict[str, Any]]:
        async with self.http.get(self.shop_admin("received")) as r:
            return list((await r.json())["received"])


@asynccontextmanager
async def stack(
    *,
    guard: bool = True,
    backoffice: dict[str, Any] | None = None,
    shop_seed: int = 7,
    shop: dict[str, Any] | None = None,
) -> AsyncIterator[Stack]:
    from fakesap.app import create_app as create_sap
    from fakesap.backoffice import BackOfficeConfig
    from fakesap.config import FakeSapConfig
    from fakeshop.app import create_app as create_shop

    sap_cfg = FakeSapConfig(
        uniqueness_guard_udf="U_IdemKey" if guard else None,
        backoffice=BackOfficeConfig(**(backoffice or {})),
    )
    async with (
        TestServer(create_sap(sap_cfg)) as sap,
        TestServer(create_shop(ShopConfig(seed=shop_seed, **(shop or {})))) as shop_server,
        aiohttp.ClientSession() as http,
    ):
        woo = WooClient(
            str(shop_server.make_url("")).rstrip("/"),
            DEFAULT_CONSUMER_KEY,
            DEFAULT_CONSUMER_SECRET,
        )
        async with woo:
            yield Stack(sap, shop_server, http, woo)


async def wait_until(predicate: Any, timeout_s: float = 30.0, interval_s: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if await predicate():
            return True
        await asyncio.sleep(interval_s)
    return False


async def settle(st: Stack, rt: BridgeRuntime, timeout_s: float = 60.0) -> None:
    """Shop deliveries drained and bridge jobs quiet."""
    await st.drain_shop(timeout_s)
    assert await rt.wait_idle(timeout_s), await rt.store.counts()  # type: ignore[union-attr]
