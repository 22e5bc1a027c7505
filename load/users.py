"""The Locust user classes: shop customers, a webhook flood, Service Layer pressure.

Each class imitates one kind of real client:

* :class:`ShopCustomer` — a storefront checkout creating orders through WooCommerce's REST
  API (``POST /wp-json/wc/v3/orders``, OAuth 1.0a on http), and customer service cancelling
  or refunding some of them after the bridge confirmed them. Every order is tracked until
  SAP has it (``TO_SAP``) and the shop got the confirmation (``TTA``).
* :class:`WebhookFlood` — WooCommerce's webhook sender aimed straight at a bridge's ingress:
  realistic order payloads (the shop emulator's seeded generator), signed with
  HMAC-SHA256/base64 like WooCommerce, each sent 1–5 times (WooCommerce repeats deliveries).
* :class:`SapPressure` — an integration talking to the Service Layer: one login per user
  (the ``B1SESSION`` cookie), order creates and ``$filter`` lookups, re-login on 401.

All three use FastHttpUser (geventhttpclient), which cooperates with Locust's gevent loop.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from locust import between, task
from locust.contrib.fasthttp import FastHttpUser
from locust.env import Environment
from locust.runners import WorkerRunner

from load.options import LoadOptions, add_arguments
from load.tta import AckTracker
from load.wire import woo_signed_path
from load.woo import Product, choose_intent, follow_up, order_body, products_from_rest
from sapchaos import defaults
from sapchaos.signing import webhook_signature

CONTEXT_ATTR = "sapchaos_load"


@dataclass
class LoadContext:
    """What one Locust process shares between its users: options, tracker, catalogue."""

    environment: Environment
    tracker: AckTracker | None = None
    products: list[Product] = field(default_factory=list)
    item_codes: list[str] = field(default_factory=list)
    user_seq: Any = field(default_factory=lambda: itertools.count(1))

    @property
    def opts(self) -> LoadOptions:
        # read at use: a worker learns the master's options with its first spawn message
        return LoadOptions.from_parsed(self.environment.parsed_options)

    def rng(self, kind: str) -> random.Random:
        """A seeded RNG per user: seed, run id, process and user number."""
        runner = self.environment.runner
        worker = getattr(runner, "worker_index", 0) if runner is not None else 0
        o = self.opts
        return random.Random(f"{o.seed}:{o.run_id}:{kind}:{worker}:{next(self.user_seq)}")

    def tracker_for(self, shop_site: str) -> AckTracker:
        if self.tracker is None:
            self.tracker = AckTracker(self.environment.events, self.opts, shop_site)
            self.tracker.start()
        return self.tracker


def install_hooks(events: Any) -> None:
    """The Locust event listeners every sapchaos locustfile needs (idempotent per run)."""
    events.init_command_line_parser.add_listener(_options)
    events.init.add_listener(_init)
    events.quitting.add_listener(_quitting)


def _options(parser: Any, **_kw: Any) -> None:
    add_arguments(parser)


def _init(environment: Environment, **_kw: Any) -> None:
    parsed = environment.parsed_options
    if (
        parsed is not None
        and not getattr(parsed, "run_id", "x")
        and not isinstance(environment.runner, WorkerRunner)
    ):
        # one run id for the whole run: the master's reaches its workers with the options
        parsed.run_id = uuid.uuid4().hex[:12]
    context(environment)


def _quitting(environment: Environment, **_kw: Any) -> None:
    ctx = context(environment)
    if ctx.tracker is not None:
        ctx.tracker.stop()


def context(environment: Environment) -> LoadContext:
    ctx = getattr(environment, CONTEXT_ATTR, None)
    if ctx is None:
        ctx = LoadContext(environment)
        setattr(environment, CONTEXT_ATTR, ctx)
    return ctx


class ShopCustomer(FastHttpUser):
    """A customer checking out (``--host`` = the shop's site URL)."""

    host = defaults.shop_url()
    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        self.ctx = context(self.environment)
        self.opts = self.ctx.opts
        self.rng = self.ctx.rng("shop")
        self.tracker = self.ctx.tracker_for(self.host or defaults.shop_url())
        if not self.ctx.products:
            self.ctx.products = self._load_products()

    def _path(self, method: str, path: str, query: dict[str, str] | None = None) -> str:
        return woo_signed_path(
            method, self.host or "", path, self.opts.shop_key, self.opts.shop_secret, query
        )

    def _load_products(self) -> list[Product]:
        with self.client.get(
            self._path("GET", "/products", {"per_page": "100"}),
            name="list products",
            catch_response=True,
        ) as resp:
            if resp.status_code != 200:
                resp.failure(f"GET products → {resp.status_code}")
                return []
            return products_from_rest(resp.json())

    @task(10)
    def place_order(self) -> None:
        if not self.ctx.products:
            self.ctx.products = self._load_products()
            return
        intent = choose_intent(self.rng)
        body = order_body(self.rng, self.ctx.products, intent, self.opts.run_id)
        name = self.tracker.phase_name()
        t0 = time.time()
        with self.client.post(
            self._path("POST", "/orders"), json=body, name="create order", catch_response=True
        ) as resp:
            if resp.status_code != 201:
                resp.failure(f"POST orders → {resp.status_code}: {(resp.text or '')[:200]}")
                return
            order = resp.json()
        self.tracker.track(int(order["id"]), name, t0, follow_up(intent))

    @task(3)
    def customer_service(self) -> None:
        """Cancel or refund an order the bridge has confirmed (status change via REST)."""
        if not self.tracker.follow_ups:
            return
        order_id, action = self.tracker.follow_ups.popleft()
        status = {"cancel": "cancelled", "refund": "refunded"}[action]
        with self.client.put(
            self._path("PUT", f"/orders/{order_id}"),
            json={"status": status},
            name=f"{action} order",
            catch_response=True,
        ) as resp:
            if resp.status_code != 200:
                resp.failure(f"PUT order → {resp.status_code}")


class WebhookFlood(FastHttpUser):
    """WooCommerce's webhook sender aimed at a bridge's ingress (``--bridge-url``)."""

    host = defaults.shop_url()  # the sender's site; deliveries go to --bridge-url
    wait_time = between(0.05, 0.2)
    #: how many times one delivery is sent (WooCommerce repeats deliveries)
    copies = (1, 2, 3, 5)
    copy_weights = (60, 25, 10, 5)

    def on_start(self) -> None:
        from fakeshop.generator import GeneratorSettings, OrderGenerator
        from sapchaos.catalog import load_catalog

        self.ctx = context(self.environment)
        self.opts = self.ctx.opts
        self.rng = self.ctx.rng("webhook")
        catalog = load_catalog()
        self.generator = OrderGenerator(
            catalog, self.rng, GeneratorSettings(prices_include_tax=catalog.prices_include_tax)
        )
        # ids far above a shop's own, distinct per user (drawn from the seeded RNG)
        self.ids = itertools.count(3_000_000_000 + self.rng.randrange(10**9) * 1000)
        self.webhook_id = self.rng.randint(1, 99)

    @task
    def deliver(self) -> None:
        order = self.generator.new_order(next(self.ids), datetime.now(UTC) - timedelta(seconds=1))
        body = json.dumps(order, separators=(",", ":")).encode()
        delivery = uuid.UUID(int=self.rng.getrandbits(128)).hex
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "WooCommerce/9.4.2 Hookshot (WordPress/6.7.1)",
            "X-WC-Webhook-Source": "http://shop.example/",
            "X-WC-Webhook-Topic": "order.created",
            "X-WC-Webhook-Resource": "order",
            "X-WC-Webhook-Event": "created",
            "X-WC-Webhook-Signature": webhook_signature(self.opts.webhook_secret, body),
            "X-WC-Webhook-ID": str(self.webhook_id),
            "X-WC-Webhook-Delivery-ID": hashlib.sha1(delivery.encode()).hexdigest()[:8],
        }
        n = self.rng.choices(self.copies, weights=self.copy_weights)[0]
        for copy in range(n):
            name = "webhook" if copy == 0 else "webhook (duplicate)"
            with self.client.post(
                self.opts.bridge_url,
                data=body.decode(),
                headers=headers,
                name=name,
                catch_response=True,
            ) as resp:
                if not 200 <= resp.status_code < 300:
                    resp.failure(f"ingress → {resp.status_code}")


class SapPressure(FastHttpUser):
    """An integration talking to the Service Layer (``--sap-url``, its root …/b1s/v1)."""

    host = defaults.sap_url()  # requests go to --sap-url
    wait_time = between(0.2, 1.0)

    def on_start(self) -> None:
        self.ctx = context(self.environment)
        self.opts = self.ctx.opts
        self.rng = self.ctx.rng("sap")
        self.session = ""
        self.created: list[str] = []
        self.login()
        if not self.ctx.item_codes:
            with self.client.get(
                self.opts.sap_url + "/Items?$select=ItemCode&$filter=Valid eq 'tYES'",
                headers=self._cookie(),
                name="Items $filter",
                catch_response=True,
            ) as resp:
                if resp.status_code == 200:
                    self.ctx.item_codes = [str(i["ItemCode"]) for i in resp.json().get("value", [])]
                else:
                    resp.failure(f"GET Items → {resp.status_code}")

    def on_stop(self) -> None:
        if self.session:
            self.client.post(self.opts.sap_url + "/Logout", headers=self._cookie(), name="Logout")

    def _cookie(self) -> dict[str, str]:
        return {"Cookie": f"B1SESSION={self.session}"}

    def login(self) -> None:
        body = {
            "CompanyDB": self.opts.sap_company,
            "UserName": self.opts.sap_user,
            "Password": self.opts.sap_password,
        }
        with self.client.post(
            self.opts.sap_url + "/Login", json=body, name="Login", catch_response=True
        ) as resp:
            if resp.status_code != 200:
                resp.failure(f"Login → {resp.status_code}")
                self.session = ""
                return
            self.session = str(resp.json()["SessionId"])

    def _call(self, method: str, path: str, name: str, body: Any = None) -> Any:
        if not self.session:
            self.login()
        for attempt in range(2):
            with self.client.request(
                method,
                self.opts.sap_url + path,
                json=body,
                headers=self._cookie(),
                name=name,
                catch_response=True,
            ) as resp:
                if resp.status_code == 401 and attempt == 0:
                    resp.success()  # session expired: log in again, as every SL client must
                    self.login()
                    continue
                if resp.status_code >= 400:
                    resp.failure(f"{method} {name} → {resp.status_code}")
                    return None
                return resp.json() if resp.text else None
        return None

    @task(3)
    def create_order(self) -> None:
        if not self.ctx.item_codes:
            return
        key = f"lt:{self.opts.run_id}:{uuid.UUID(int=self.rng.getrandbits(128)).hex[:16]}"
        lines = [
            {"ItemCode": self.rng.choice(self.ctx.item_codes), "Quantity": self.rng.randint(1, 3)}
            for _ in range(self.rng.randint(1, 4))
        ]
        today = datetime.now(UTC).date()
        body = {
            "CardCode": self.opts.card_code,
            "DocDate": today.isoformat(),
            "DocDueDate": (today + timedelta(days=3)).isoformat(),
            "NumAtCard": key,
            "U_IdemKey": key,
            "DocumentLines": lines,
        }
        if self._call("POST", "/Orders", "Orders create", body) is not None:
            self.created.append(key)

    @task(5)
    def filter_orders(self) -> None:
        since = (datetime.now(UTC).date() - timedelta(days=7)).isoformat()
        flt = f"CardCode eq '{self.opts.card_code}' and DocDate ge '{since}'"
        self._call(
            "GET",
            f"/Orders?$select=DocEntry,DocNum,DocTotal&$filter={flt}&$orderby=DocEntry desc&$top=20",
            "Orders $filter by customer",
        )

    @task(3)
    def lookup_key(self) -> None:
        if self.created:
            key = self.rng.choice(self.created)
            self._call(
                "GET",
                f"/Orders?$select=DocEntry,DocNum&$filter=U_IdemKey eq '{key}'",
                "Orders $filter by U_IdemKey",
            )
