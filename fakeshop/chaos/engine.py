"""The delivery engine: turns every order event into WooCommerce webhook deliveries, plans
seeded chaos for each (copies, delays, reordering, drops, tampering, malformed bodies,
bursts) and records every attempt — sent or not — in the ground truth."""

from __future__ import annotations

import asyncio
import time
from random import Random
from typing import Any

import aiohttp

from fakeshop.chaos import ChaosSettings, make_plan
from fakeshop.chaos.malformed import mangle
from fakeshop.chaos.plan import CopyPlan
from fakeshop.store import OrderEvent, ShopState, Webhook
from fakeshop.timefmt import iso_ms
from fakeshop.webhooks.delivery_id import delivery_id
from fakeshop.webhooks.failures import count_delivery
from fakeshop.webhooks.headers import delivery_headers, user_agent
from fakeshop.webhooks.http10 import Http10Client
from fakeshop.webhooks.payload import build_payload, php_json
from fakeshop.webhooks.sender import SendResult, new_session, post
from fakeshop.webhooks.signature import webhook_signature
from sapchaos.logs import get_logger

log = get_logger("fakeshop.delivery")


class DeliveryEngine:
    """Subscribes to the shop's order, product and customer events and delivers them to
    active webhooks."""

    def __init__(self, state: ShopState, settings: ChaosSettings, seed: int) -> None:
        self.state = state
        self.settings = settings
        self.seed = seed
        self.rng = Random(seed)
        self.session: aiohttp.ClientSession | None = None
        self.client = Http10Client(state.config.delivery_concurrency)
        self.tasks: set[asyncio.Task[None]] = set()
        state.listeners.append(self.on_event)

    # -- lifecycle --------------------------------------------------------------------
    async def start(self) -> None:
        if self.session is None:
            self.session = new_session(self.state.config.delivery_concurrency)

    async def close(self) -> None:
        for t in list(self.tasks):
            t.cancel()
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.session is not None:
            await self.session.close()
            self.session = None

    async def drain(self, timeout_s: float = 30.0) -> bool:
        """Wait until nothing is scheduled or in flight; False on timeout."""
        deadline = time.monotonic() + timeout_s
        while self.tasks:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            await asyncio.wait(list(self.tasks), timeout=left)
        return True

    def reseed(self, seed: int | None = None) -> None:
        self.seed = self.seed if seed is None else seed
        self.rng = Random(self.seed)

    @property
    def pending(self) -> int:
        return len(self.tasks)

    # -- events -----------------------------------------------------------------------
    def on_event(self, event: OrderEvent) -> None:
        for webhook in list(self.state.webhooks.values()):
            if webhook.status != "active" or webhook.topic != event.topic:
                continue
            plan = make_plan(event.topic, self.settings, self.rng)
            body = event.body  # encoded once per event, shared by every webhook
            for c in plan.copies:
                record: dict[str, Any] = {
                    "webhook_id": webhook.id,
                    "topic": event.topic,
                    "order_id": event.order_id if event.resource == "order" else None,
                    "resource_id": event.order_id,
                    "event_seq": event.seq,
                    "copy": c.copy,
                    "delivery_id": None,
                    "scheduled_at": iso_ms(event.at + c.delay_s),
                    "sent_at": None,
                    "chaos": list(c.chaos),
                    "status": None,
                    "error": None,
                    "duration_ms": None,
                }
                self.state.deliveries.append(record)
                if c.drop:
                    record["error"] = "dropped"
                    continue
                task = asyncio.get_running_loop().create_task(
                    self._deliver(webhook, event, c, body, record)
                )
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)

    async def _deliver(
        self,
        webhook: Webhook,
        event: OrderEvent,
        c: CopyPlan,
        body: bytes,
        record: dict[str, Any],
    ) -> None:
        if c.delay_s > 0:
            await asyncio.sleep(c.delay_s)
        if (
            self.settings.payload_at_send
            and event.resource == "order"
            and event.topic != "order.deleted"
        ):
            rec = self.state.orders.get(event.order_id)
            if rec is not None:
                body = php_json(build_payload(event.topic, rec.order))  # encoding copies
        if c.malformed:
            body = mangle(body, c.cut)
        result = await self.send(webhook, event.topic, body, tamper=c.tamper, record=record)
        if count_delivery(webhook, result.status, self.state.config.max_delivery_failures):
            log.warning("webhook_disabled", webhook_id=webhook.id, failures=webhook.failure_count)

    async def send(
        self,
        webhook: Webhook,
        topic: str,
        body: bytes,
        *,
        tamper: bool = False,
        record: dict[str, Any] | None = None,
    ) -> SendResult:
        """One ``WC_Webhook::deliver`` POST with every header WooCommerce sets."""
        await self.start()
        assert self.session is not None
        cfg = self.state.config
        now = self.state.now()
        did = delivery_id(webhook.id, now, cfg.wp_salt)
        secret = webhook.secret + ("-tampered" if tamper else "")
        headers = delivery_headers(
            source=self.state.home_url(),
            topic=topic,
            webhook_id=webhook.id,
            delivery_id=did,
            signature=webhook_signature(secret, body),
            ua=user_agent(cfg.wc_version, cfg.wp_version),
        )
        started = time.monotonic()
        if record is not None:
            record["delivery_id"] = did
            record["sent_at"] = iso_ms(now)
        result = await post(
            self.session, webhook.delivery_url, body, headers, cfg.webhook_timeout_s, self.client
        )
        if record is not None:
            record["status"] = result.status
            record["error"] = result.error
            record["duration_ms"] = round((time.monotonic() - started) * 1000, 1)
        return result

    async def ping(self, webhook: Webhook) -> SendResult:
        """``WC_Webhook::deliver_ping``: form body ``webhook_id=<id>``, no signature."""
        await self.start()
        assert self.session is not None
        cfg = self.state.config
        headers = {
            "User-Agent": user_agent(cfg.wc_version, cfg.wp_version),
            "Content-Type": "application/x-www-form-urlencoded",
        }
        body = f"webhook_id={webhook.id}".encode()
        now = self.state.now()
        record: dict[str, Any] = {
            "webhook_id": webhook.id,
            "topic": "action.ping",
            "order_id": None,
            "resource_id": None,
            "event_seq": None,
            "copy": 1,
            "delivery_id": None,
            "scheduled_at": iso_ms(now),
            "sent_at": iso_ms(now),
            "chaos": [],
            "status": None,
            "error": None,
            "duration_ms": None,
        }
        self.state.deliveries.append(record)
        started = time.monotonic()
        result = await post(
            self.session, webhook.delivery_url, body, headers, cfg.webhook_timeout_s, self.client
        )
        record["status"], record["error"] = result.status, result.error
        record["duration_ms"] = round((time.monotonic() - started) * 1000, 1)
        return result
