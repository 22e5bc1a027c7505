"""Typed, blocking helpers over the emulators' and the proxy's admin APIs.

What a test reaches for: where a client connects (``url``, keys, login), the ground truth
(``orders()``, ``notes()``), and the levers (fault rules, the uniqueness guard, delivery
chaos, toxics). Every call goes over HTTP to the ``/__admin`` API (or the Toxiproxy API)
the way a Testcontainers user in another language would drive the same container, so the
helpers behave the same against the embedded servers and against a real one.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from bridge.shop.client import WooClient
from fakesap.faults.rules import RULE_FIELDS
from sapchaos import defaults
from sapchaos.testing.servers import ServerThread
from scenarios.oracle.histories import order_key

#: the WooCommerce topics a bridge usually subscribes to
ORDER_TOPICS = ("order.created", "order.updated", "order.deleted", "order.restored")


# -------------------------------------------------------------------------------- fakesap
class FaultRules:
    """fakesap's fault rules (``/__admin/faults``): the same kinds, parameters and matching
    as a scenario file's ``sap_fault`` rows and a fault profile."""

    def __init__(self, thread: ServerThread, admin_url: str) -> None:
        self._thread = thread
        self._url = f"{admin_url}/__admin/faults"

    def add(self, fault: str, /, **fields: Any) -> str:
        """Add a rule and return its id.

        Matching keys (``method``/``methods``, ``path``, ``path_regex``, ``entity_set``,
        ``version``, ``target``, ``probability``, ``max_count``, ``after_s``,
        ``duration_s``, ``id``, ``description``) go on the rule; every other keyword is a
        parameter of the fault, e.g. ``faults.add("http_error", entity_set="Orders",
        method="POST", max_count=3, status=503)``. A bad rule raises ``AdminError`` with
        fakesap's message naming the field.
        """
        body: dict[str, Any] = {"fault": fault}
        params = dict(fields.pop("params", None) or {})
        for key, value in fields.items():
            if key in RULE_FIELDS:
                body[key] = value
            else:
                params[key] = value
        if params:
            body["params"] = params
        created = self._thread.call("POST", self._url, body)
        return str(created["id"])

    def remove(self, rule_id: str) -> None:
        self._thread.call("DELETE", f"{self._url}/{rule_id}")

    def clear(self) -> None:
        """Remove every rule and zero the counters (the session's seed is kept)."""
        self._thread.call("POST", f"{self._url}/reset", {"profile": None})

    def rules(self) -> list[dict[str, Any]]:
        """The rules with how often each fired (``fired``)."""
        return list(self._thread.call("GET", self._url).get("rules", []))

    def fired(self, rule_id: str) -> int:
        for rule in self.rules():
            if str(rule.get("id")) == rule_id:
                return int(rule.get("fired", 0))
        raise KeyError(f"no fault rule with id {rule_id!r}")

    def history(self) -> list[dict[str, Any]]:
        """Every fault decision taken since the last reset (what fired, on which request)."""
        return list(self._thread.call("GET", f"{self._url}/history").get("decisions", []))


@dataclass
class FakeSapClient:
    """A running Service Layer emulator: what a client needs to connect, and its ground truth.

    ``url`` is the service root (``…/b1s/v1``), ``url_v2`` the OData v4 root. State is
    reset before each test by the ``fakesap`` fixture.
    """

    thread: ServerThread
    admin_url: str
    company: str = defaults.SAP_COMPANY
    user: str = defaults.SAP_USER
    password: str = defaults.SAP_PASSWORD
    card_code: str = defaults.SAP_CARD_CODE
    item_codes: tuple[str, ...] = ()
    seed: int = 1
    faults: FaultRules = field(init=False)

    def __post_init__(self) -> None:
        self.faults = FaultRules(self.thread, self.admin_url)

    @property
    def url(self) -> str:
        return f"{self.admin_url}/b1s/v1"

    @property
    def url_v2(self) -> str:
        return f"{self.admin_url}/b1s/v2"

    @property
    def login_body(self) -> dict[str, str]:
        """The ``POST /Login`` body for the configured company and user."""
        return {"CompanyDB": self.company, "UserName": self.user, "Password": self.password}

    def reset(self) -> None:
        """Documents, sessions, numbering, journal, fault rules and the guard back to a
        fresh start; master data back to the packaged catalog."""
        self.thread.call("POST", f"{self.admin_url}/__admin/reset")
        self.thread.call(
            "POST", f"{self.admin_url}/__admin/faults/reset", {"profile": None, "seed": self.seed}
        )
        self.thread.call("PUT", f"{self.admin_url}/__admin/uniqueness-guard", {"udf": None})

    # ---- ground truth ------------------------------------------------------------------
    def documents(self, entity_set: str | None = None) -> list[dict[str, Any]]:
        """Every document ever committed (``/__admin/documents``): entity set, DocEntry,
        DocNum, commit time, the creating request and the document now."""
        url = f"{self.admin_url}/__admin/documents"
        if entity_set:
            url += f"?entity_set={entity_set}"
        return list(self.thread.call("GET", url)["documents"])

    def orders(
        self, key: str | None = None, *, order_id: int | None = None, udf: str = "U_IdemKey"
    ) -> list[dict[str, Any]]:
        """SAP sales orders (the documents themselves), optionally only those whose ``udf``
        is ``key`` — or the reference bridge's key for shop order ``order_id``."""
        if order_id is not None:
            key = order_key(order_id)
        docs = [rec["document"] for rec in self.documents("Orders") if rec.get("document")]
        if key is None:
            return docs
        return [d for d in docs if d.get(udf) == key]

    def journal(self, limit: int | None = None) -> list[dict[str, Any]]:
        """The requests fakesap received, newest last."""
        url = f"{self.admin_url}/__admin/journal" + (f"?limit={limit}" if limit else "")
        return list(self.thread.call("GET", url)["requests"])

    def sessions(self) -> list[str]:
        return list(self.thread.call("GET", f"{self.admin_url}/__admin/sessions")["sessions"])

    def expire_sessions(self) -> int:
        """Drop every session, as an SL restart does (clients must log in again)."""
        return int(self.thread.call("DELETE", f"{self.admin_url}/__admin/sessions")["dropped"])

    # ---- levers ------------------------------------------------------------------------
    def uniqueness_guard(self, udf: str | None = "U_IdemKey") -> None:
        """Switch the SAP-side guard (a TransactionNotification rejecting a second document
        with the same ``udf`` value) on; ``None`` switches it off. Off after each reset."""
        self.thread.call("PUT", f"{self.admin_url}/__admin/uniqueness-guard", {"udf": udf})

    def master_data(self, rows: Mapping[str, Iterable[Mapping[str, Any]]]) -> dict[str, int]:
        """Add or replace SL-shaped rows: ``{"Items": [...], "BusinessPartners": [...],
        "VatGroups": [...], "Warehouses": [...]}``; returns the count per set."""
        body = {k: [dict(r) for r in v] for k, v in rows.items()}
        loaded = self.thread.call("POST", f"{self.admin_url}/__admin/master-data", body)
        return dict(loaded["loaded"])

    def seed_items(self, *items: Mapping[str, Any]) -> None:
        """Add items (``{"ItemCode": "SKU-1", "ItemPrices": [...], ...}``); missing
        properties get the Service Layer's defaults."""
        self.master_data({"Items": items})

    def seed_business_partners(self, *partners: Mapping[str, Any]) -> None:
        """Add business partners (``{"CardCode": "C001", "CardName": "…"}``)."""
        self.master_data({"BusinessPartners": partners})

    def seed_vat_groups(self, *groups: Mapping[str, Any]) -> None:
        """Add VAT groups (``{"Code": "G21", "VatGroups_Lines": [{"Rate": 21}]}``)."""
        self.master_data({"VatGroups": groups})


# -------------------------------------------------------------------------------- fakeshop
@dataclass
class FakeShopClient:
    """A running WooCommerce emulator (or Magento mode): keys, orders, notes, chaos.

    State (orders, notes, webhooks, ground truth, chaos) is reset before each test.
    """

    thread: ServerThread
    url: str
    mode: str = "woo"
    key: str = defaults.SHOP_KEY
    secret: str = defaults.SHOP_SECRET
    webhook_secret: str = defaults.WEBHOOK_SECRET
    _woo: WooClient | None = field(default=None, init=False, repr=False)

    @property
    def api_url(self) -> str:
        """The WooCommerce REST API root."""
        return f"{self.url}/wp-json/wc/v3"

    def reset(self) -> None:
        self.thread.call("POST", f"{self.url}/__admin/reset")
        self.thread.call("POST", f"{self.url}/__admin/chaos/reset")

    def rest(self, method: str, path: str, body: Any = None, **query: str) -> Any:
        """A signed WooCommerce REST call (OAuth 1.0a over http), as a store client does."""
        return self.thread.run(self._rest(method, path, body, dict(query) or None))

    async def _rest(self, method: str, path: str, body: Any, query: dict[str, str] | None) -> Any:
        if self._woo is None:
            self._woo = WooClient(self.url, self.key, self.secret)
        return await self._woo.request(method, path, body, query)

    async def aclose(self) -> None:
        if self._woo is not None:
            await self._woo.close()
            self._woo = None

    # ---- orders ------------------------------------------------------------------------
    def subscribe(
        self,
        delivery_url: str,
        topics: Iterable[str] = ("order.created",),
        *,
        secret: str | None = None,
    ) -> list[int]:
        """Create active webhooks through the REST API, as a shop admin would; the shop
        sends its ping first. Returns the webhook ids."""
        ids = []
        for topic in topics:
            hook = self.rest(
                "POST",
                "webhooks",
                {
                    "name": f"sapchaos test {topic}",
                    "topic": topic,
                    "delivery_url": delivery_url,
                    "secret": secret if secret is not None else self.webhook_secret,
                    "status": "active",
                },
            )
            ids.append(int(hook["id"]))
        return ids

    def create_order(
        self,
        body: Mapping[str, Any] | None = None,
        *,
        sku: str | None = None,
        quantity: int = 1,
        paid: bool = True,
    ) -> dict[str, Any]:
        """Create one order through ``POST /wp-json/wc/v3/orders`` (as a checkout plugin or
        an ERP connector does); the shop prices it, computes the taxes and fires
        ``order.created`` to every subscribed webhook. Returns the order as the API does.

        ``body`` is the REST body verbatim; without it, ``quantity`` of ``sku`` (default:
        the first product of the catalog), paid by bank transfer when ``paid``.
        """
        if body is None:
            if sku is None:
                sku = str(
                    self.rest("GET", "products", per_page="1", orderby="id", order="asc")[0]["sku"]
                )
            body = {
                "payment_method": "bacs",
                "payment_method_title": "Direct bank transfer",
                "set_paid": paid,
                "billing": {
                    "first_name": "Test",
                    "last_name": "Customer",
                    "email": "test.customer@example.com",
                    "country": "ES",
                },
                "line_items": [{"sku": sku, "quantity": quantity}],
            }
        return dict(self.rest("POST", "orders", dict(body)))

    def generate(
        self, count: int, *, lifecycle: bool = False, mix: Mapping[str, Any] | None = None
    ) -> list[int]:
        """``count`` seeded orders (tax classes, prices with and without VAT, coupons,
        shipping, fees); with ``lifecycle`` each then moves through statuses (paid,
        completed, cancelled, refunded) by ``mix``. Returns their ids."""
        body: dict[str, Any] = {"count": count, "with_lifecycle": lifecycle}
        if mix is not None:
            body["mix"] = dict(mix)
        return [
            int(i)
            for i in self.thread.call("POST", f"{self.url}/__admin/orders/generate", body)[
                "created"
            ]
        ]

    def orders(self) -> list[dict[str, Any]]:
        """Every order as the shop holds it now."""
        return [rec["order"] for rec in self._records()]

    def order(self, order_id: int) -> dict[str, Any]:
        for rec in self._records():
            if int(rec["id"]) == order_id:
                return dict(rec["order"])
        raise KeyError(f"fakeshop has no order {order_id}")

    def notes(self, order_id: int) -> list[str]:
        """The texts of the notes clients wrote on an order (oldest first)."""
        return [
            str((r.get("data") or {}).get("note", ""))
            for r in self.received()
            if r.get("kind") == "note" and int(r.get("order_id", -1)) == order_id
        ]

    def acknowledged(self, ack_note_regex: str | None = None) -> dict[int, int]:
        """Order id → the SAP DocNum named by its first confirmation note, read as the
        oracle reads it (the contract's ``ack_note_regex`` unless given)."""
        if ack_note_regex is None:
            from scenarios.oracle.contract import Contract

            ack_note_regex = Contract().ack_note_regex
        pattern = re.compile(ack_note_regex)
        out: dict[int, int] = {}
        for r in self.received():
            if r.get("kind") != "note":
                continue
            m = pattern.search(str((r.get("data") or {}).get("note", "")))
            if m:
                docnum = m.groupdict().get("docnum") or m.group(1)
                out.setdefault(int(r["order_id"]), int(docnum))
        return out

    def received(self) -> list[dict[str, Any]]:
        """Everything clients wrote back (notes, status changes, stock), with times."""
        return list(self.thread.call("GET", f"{self.url}/__admin/received")["received"])

    def deliveries(self) -> list[dict[str, Any]]:
        """Every webhook delivery attempt with its outcome."""
        return list(self.thread.call("GET", f"{self.url}/__admin/deliveries")["deliveries"])

    def drain(self, timeout_s: float = 30.0) -> bool:
        """Wait until every scheduled webhook delivery has been attempted."""
        return bool(
            self.thread.call("POST", f"{self.url}/__admin/drain?timeout_s={timeout_s}")["drained"]
        )

    # ---- delivery chaos ----------------------------------------------------------------
    def chaos(self, profile: str | None = None, **settings: Any) -> dict[str, Any]:
        """Set webhook delivery chaos: a named profile (calm, duplicates, reorder, lossy,
        late, hostile) and/or settings such as ``copies={2: 1.0}``, ``drop_p=0.1``,
        ``reorder_p=0.5``, ``tamper_p=0.05``, ``malformed_p``, ``delay={...}``, ``seed``.
        Back to the calm default after each test."""
        body: dict[str, Any] = dict(settings)
        if "copies" in body and isinstance(body["copies"], Mapping):
            body["copies"] = {str(k): v for k, v in body["copies"].items()}
        if profile is not None:
            body["profile"] = profile
        return dict(self.thread.call("PUT", f"{self.url}/__admin/chaos", body))

    def _records(self) -> list[dict[str, Any]]:
        return list(self.thread.call("GET", f"{self.url}/__admin/orders")["orders"])


# -------------------------------------------------------------------------------- proxy
@dataclass
class ProxyClient:
    """The Toxiproxy-compatible proxy (same HTTP API as Toxiproxy, so ``toxiproxy-python``
    works against ``url`` too). Every proxy is re-enabled and loses its toxics after each
    test; proxies created by a test are deleted."""

    thread: ServerThread
    url: str
    #: link name → ``host:port`` clients connect to (the stack's links, or your own)
    links: dict[str, str] = field(default_factory=dict)
    #: links that outlive a test (the stack's); every other link is deleted by ``reset``
    kept: set[str] = field(default_factory=set)

    def keep(self, *names: str) -> None:
        """Keep these links across tests (``reset`` still re-enables them and drops toxics)."""
        self.kept.update(names)

    def create(self, name: str, upstream: str, listen: str = "127.0.0.1:0") -> str:
        """Create a proxy to ``upstream`` (``host:port``); returns the listen address."""
        created = self.thread.call(
            "POST", f"{self.url}/proxies", {"name": name, "upstream": upstream, "listen": listen}
        )
        self.links[name] = str(created["listen"])
        return self.links[name]

    def reset(self) -> None:
        """Toxiproxy's ``POST /reset`` (enable all, drop toxics) and delete test proxies."""
        self.thread.call("POST", f"{self.url}/reset")
        for name in list(self.links):
            if name not in self.kept:
                self.thread.call("DELETE", f"{self.url}/proxies/{name}", ok=(404,))
                del self.links[name]

    def _check(self, link: str) -> None:
        if link not in self.links:
            known = ", ".join(sorted(self.links)) or "none"
            raise KeyError(f"no proxy link {link!r} (known: {known})")

    def disable(self, link: str) -> None:
        """Cut the link: the listener closes and live connections drop."""
        self._check(link)
        self.thread.call("POST", f"{self.url}/proxies/{link}", {"enabled": False})

    def enable(self, link: str) -> None:
        self._check(link)
        self.thread.call("POST", f"{self.url}/proxies/{link}", {"enabled": True})

    @contextlib.contextmanager
    def cut(self, link: str) -> Iterator[None]:
        """A partition for the duration of the block; healed on exit (also on error)."""
        self.disable(link)
        try:
            yield
        finally:
            self.enable(link)

    def toxic(
        self,
        link: str,
        type: str,
        *,
        stream: str = "downstream",
        toxicity: float = 1.0,
        name: str | None = None,
        **attributes: int,
    ) -> str:
        """Add any Toxiproxy toxic (latency, bandwidth, slow_close, timeout, reset_peer,
        slicer, limit_data); returns its name (remove it with ``remove_toxic``)."""
        self._check(link)
        body = {
            "name": name or f"{type}_{stream}",
            "type": type,
            "stream": stream,
            "toxicity": toxicity,
            "attributes": attributes,
        }
        created = self.thread.call("POST", f"{self.url}/proxies/{link}/toxics", body)
        return str(created["name"])

    def remove_toxic(self, link: str, name: str) -> None:
        self.thread.call("DELETE", f"{self.url}/proxies/{link}/toxics/{name}")

    def latency(self, link: str, ms: int, jitter_ms: int = 0, **kw: Any) -> str:
        """Delay data by ``ms`` ± ``jitter_ms``."""
        return self.toxic(link, "latency", latency=ms, jitter=jitter_ms, **kw)

    def bandwidth(self, link: str, kb_per_s: int, **kw: Any) -> str:
        """Limit the rate to ``kb_per_s`` KB/s."""
        return self.toxic(link, "bandwidth", rate=kb_per_s, **kw)

    def timeout(self, link: str, ms: int = 0, **kw: Any) -> str:
        """Stop all data and close the connection after ``ms`` (0: never close, hang)."""
        return self.toxic(link, "timeout", timeout=ms, **kw)

    def reset_peer(self, link: str, ms: int = 0, **kw: Any) -> str:
        """Reset the connection (TCP RST) after ``ms``."""
        return self.toxic(link, "reset_peer", timeout=ms, **kw)
