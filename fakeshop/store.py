"""The shop's state, in memory: orders (with their full status history), notes, refunds,
products and stock, webhook subscriptions, OAuth nonces, and the ground truth the oracle
reads (every delivery attempt, everything a client wrote back).

Like WordPress, orders and refunds share one id sequence (both are posts). Every change to
an order goes through :meth:`ShopState.commit_order`, which stamps ``date_modified`` and
notifies the listeners (webhook delivery, Magento outbox) the way ``woocommerce_update_order``
fires the ``order.updated`` topic.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from fakeshop.config import ApiKey, ShopConfig
from fakeshop.customer_index import CustomerIndex
from fakeshop.customers import seed_customers
from fakeshop.errors import WooError
from fakeshop.nonces import NonceCache
from fakeshop.orders_model import DRAFT_STATUSES, fmt, set_dates
from fakeshop.timefmt import iso_ms, wp_gmt, wp_local
from fakeshop.webhooks.payload import php_json
from sapchaos.catalog import Catalog

if TYPE_CHECKING:
    from fakeshop.generator import OrderGenerator

#: builds a full REST order resource (status ``pending``) for an id at a time
OrderFactory = Callable[[int, datetime], dict[str, Any]]
Clock = Callable[[], float]


@dataclass(frozen=True)
class OrderEvent:
    """One webhook-worthy change: ``order.created/updated/deleted/restored``, or a
    ``product.*``/``customer.*`` change (then ``order_id`` holds that resource's id).

    ``body`` is the payload as ``WC_Webhook::build_payload`` + ``wp_json_encode`` give it
    (:func:`~fakeshop.webhooks.payload.php_json`), encoded once when the event fires: the
    snapshot of the resource at that moment, immutable, shared by every webhook of the
    topic. ``payload`` decodes it on first use (only listeners that need a dict pay)."""

    topic: str
    order_id: int
    body: bytes
    at: float
    source: str
    status: str
    prev_status: str | None
    seq: int
    resource: str = "order"

    @cached_property
    def payload(self) -> dict[str, Any]:
        """The payload as a dict: a fresh copy per event, safe to change."""
        data: dict[str, Any] = json.loads(self.body)
        return data


@dataclass
class OrderRecord:
    id: int
    created_at: float
    order: dict[str, Any]
    history: list[dict[str, Any]] = field(default_factory=list)
    trashed: bool = False
    deleted: bool = False


@dataclass
class Webhook:
    """A ``WC_Webhook``: subscription, secret and the failure counter that disables it."""

    id: int
    name: str
    status: str
    topic: str
    delivery_url: str
    secret: str
    api_version: str
    created_at: float
    modified_at: float
    user_id: int = 1
    failure_count: int = 0
    pending_delivery: bool = True

    @property
    def resource(self) -> str:
        return self.topic.split(".", 1)[0]

    @property
    def event(self) -> str:
        return self.topic.split(".", 1)[1] if "." in self.topic else ""


Listener = Callable[[OrderEvent], None]


class ShopState:
    """Everything fakeshop knows; one instance per app, passed explicitly."""

    def __init__(
        self,
        config: ShopConfig,
        catalog: Catalog,
        order_factory: OrderFactory,
        clock: Clock,
    ) -> None:
        self.config = config
        self.catalog = catalog
        self.order_factory = order_factory
        self.clock = clock
        self.listeners: list[Listener] = []
        self.reset()

    # -- lifecycle of the whole state -------------------------------------------------
    def reset(self) -> None:
        """Forget orders, notes, refunds, webhooks and ground truth; restock from catalog."""
        self.rng = random.Random(self.config.seed)
        self.orders: dict[int, OrderRecord] = {}
        self.notes: dict[int, list[dict[str, Any]]] = {}
        self.refunds: dict[int, list[dict[str, Any]]] = {}
        self.webhooks: dict[int, Webhook] = {}
        self.deliveries: list[dict[str, Any]] = []
        self.received: list[dict[str, Any]] = []
        #: OAuth 1.0a nonces per consumer key, bucketed by timestamp
        self.nonces: dict[str, NonceCache] = {}
        self.magento_comments: dict[int, list[dict[str, Any]]] = {}
        self.magento_status: dict[int, str] = {}
        self.events: list[dict[str, Any]] = []
        self._post_id = 1000
        self._note_id = 0
        self._meta_id = 5000
        self._webhook_id = 0
        self._item_id = 0
        self._seq = 0
        self.products: dict[int, dict[str, Any]] = {}
        for p in (*self.catalog.products, *self.catalog.inactive_products):
            self.products[p.id] = self._product_resource(p.id)
        #: product variations by id (posts too: they share the post id sequence)
        self.variations: dict[int, dict[str, Any]] = {}
        #: registered customers (WordPress users) by user id
        self.customers: dict[int, dict[str, Any]] = seed_customers(
            self.catalog, self.dates("date_created", self.now())
        )
        self._user_id = max(self.customers, default=1)
        #: e-mail and username look-ups over ``customers`` (follows it, see the module)
        self.customer_index = CustomerIndex()
        self._builder: OrderGenerator | None = None

    @property
    def prices_include_tax(self) -> bool:
        if self.config.prices_include_tax is not None:
            return self.config.prices_include_tax
        return self.catalog.prices_include_tax

    def now(self) -> float:
        return self.clock()

    @property
    def changes(self) -> int:
        """How many order events (created, updated, deleted, restored) happened so far."""
        return self._seq

    def api_key(self, consumer_key: str) -> ApiKey | None:
        return next((k for k in self.config.api_keys if k.consumer_key == consumer_key), None)

    # -- id sequences -----------------------------------------------------------------
    def next_post_id(self) -> int:
        self._post_id += 1
        return self._post_id

    def next_note_id(self) -> int:
        self._note_id += 1
        return self._note_id

    def next_meta_id(self) -> int:
        self._meta_id += 1
        return self._meta_id

    def next_item_id(self) -> int:
        """``woocommerce_order_items`` auto-increment: order and refund items share it."""
        self._item_id += 1
        return self._item_id

    def note_item_ids(self, order: dict[str, Any]) -> None:
        """Keep the item sequence above the ids of an order built elsewhere."""
        for kind in ("line_items", "shipping_lines", "fee_lines", "tax_lines", "coupon_lines"):
            for item in order.get(kind) or []:
                if isinstance(item, dict) and isinstance(item.get("id"), int):
                    self._item_id = max(self._item_id, item["id"])

    def next_user_id(self) -> int:
        """``wp_users`` auto-increment: customers have their own id sequence."""
        self._user_id += 1
        return self._user_id

    @property
    def order_builder(self) -> OrderGenerator:
        """Builds ``POST /orders`` orders with the generator's own totals code (its own
        seeded RNG for order keys, the shop's item and meta id sequences)."""
        if self._builder is None:
            from fakeshop.generator import GeneratorSettings, OrderGenerator

            settings = GeneratorSettings(
                prices_include_tax=self.prices_include_tax,
                utc_offset_hours=self.config.utc_offset_hours,
                home_url=self.config.home_url or "http://127.0.0.1/",
                wc_version=self.config.wc_version,
            )
            self._builder = OrderGenerator(
                self.catalog,
                random.Random(f"{self.config.seed}:rest-orders"),
                settings,
                next_meta_id=self.next_meta_id,
                next_item_id=self.next_item_id,
            )
        return self._builder

    def next_webhook_id(self) -> int:
        self._webhook_id += 1
        return self._webhook_id

    # -- ground truth -----------------------------------------------------------------
    def record_received(self, kind: str, order_id: int | None, data: dict[str, Any]) -> None:
        """Something a client wrote back (note, status, meta, stock, refund, comment)."""
        self.received.append(
            {"kind": kind, "order_id": order_id, "at": iso_ms(self.now()), "data": data}
        )

    def system_note(self, order_id: int, text: str, ts: float) -> None:
        """A private order note written by WooCommerce itself (author ``system``)."""
        self.notes.setdefault(order_id, []).append(
            {
                "id": self.next_note_id(),
                "author": "system",
                **self.dates("date_created", ts),
                "note": text,
                "customer_note": False,
            }
        )

    def dates(self, field_name: str, ts: float) -> dict[str, str]:
        off = self.config.utc_offset_hours
        return {field_name: wp_local(ts, off), f"{field_name}_gmt": wp_gmt(ts)}

    # -- orders -----------------------------------------------------------------------
    def create_order(self, source: str = "generator") -> dict[str, Any]:
        """Create one order now from the order factory and fire ``order.created``."""
        ts = self.now()
        oid = self.next_post_id()
        order = self.order_factory(oid, datetime.fromtimestamp(ts, UTC))
        return self.add_order(order, source=source, ts=ts)

    def add_order(
        self, order: dict[str, Any], source: str, ts: float | None = None
    ) -> dict[str, Any]:
        ts = self.now() if ts is None else ts
        oid = int(order["id"])
        self._post_id = max(self._post_id, oid)
        order.setdefault("number", str(oid))
        order.setdefault("refunds", [])
        order.setdefault("meta_data", [])
        if not order.get("date_created_gmt"):
            order.update(self.dates("date_created", ts))
        if not order.get("date_modified_gmt"):
            order["date_modified"] = order["date_created"]
            order["date_modified_gmt"] = order["date_created_gmt"]
        for m in order["meta_data"]:
            if isinstance(m, dict) and isinstance(m.get("id"), int):
                self._meta_id = max(self._meta_id, m["id"])
        self.note_item_ids(order)
        rec = OrderRecord(id=oid, created_at=ts, order=order)
        self.orders[oid] = rec
        status = str(order.get("status", "pending"))
        rec.history.append(
            {"at": iso_ms(ts), "status": status, "event": "created", "source": source}
        )
        if status not in DRAFT_STATUSES:
            self._emit("order.created", rec, source, ts, None)
        return order

    def record(self, order_id: int) -> OrderRecord:
        rec = self.orders.get(order_id)
        if rec is None or rec.deleted:
            raise WooError("order_invalid_id")
        return rec

    def commit_order(
        self,
        rec: OrderRecord,
        order: dict[str, Any],
        source: str,
        prev_status: str | None,
        event: str = "updated",
        ts: float | None = None,
    ) -> dict[str, Any]:
        """Save a changed order: stamp ``date_modified``, append history, fire the topic.

        REST PUT, refunds, the lifecycle runner and Magento comments all come through here.
        """
        ts = self.now() if ts is None else ts
        set_dates(order, "date_modified", ts, self.config.utc_offset_hours)
        if prev_status is not None and order.get("status") != prev_status:
            from fakeshop.stock import on_status_change

            on_status_change(self, order, prev_status, ts)
        rec.order = order
        status = str(order.get("status"))
        rec.history.append({"at": iso_ms(ts), "status": status, "event": event, "source": source})
        if status not in DRAFT_STATUSES:
            self._emit(f"order.{event}", rec, source, ts, prev_status)
        return order

    def trash_order(self, rec: OrderRecord, force: bool, source: str) -> dict[str, Any]:
        """``wp_trash_post`` fires ``order.deleted`` ({"id"} only; hooks ``wp_trash_post`` and
        ``woocommerce_trash_order``). A forced delete (``woocommerce_delete_order``) is in
        no topic's hook list in WooCommerce 9, so it deletes silently."""
        ts = self.now()
        snapshot = copy.deepcopy(rec.order)
        prev = str(rec.order.get("status"))
        if force:
            rec.deleted = True
        else:
            rec.trashed = True
            rec.order["status"] = "trash"
        rec.history.append(
            {
                "at": iso_ms(ts),
                "status": "deleted" if force else "trash",
                "event": "deleted",
                "source": source,
            }
        )
        if not force:
            self._emit("order.deleted", rec, source, ts, prev)
        return snapshot

    def restore_order(self, rec: OrderRecord, source: str) -> dict[str, Any]:
        """``wp_untrash_post``: back to its previous status; fires ``order.restored``."""
        prev = next(
            (h["status"] for h in reversed(rec.history) if h["status"] not in ("trash", "deleted")),
            "pending",
        )
        rec.trashed = False
        order = copy.deepcopy(rec.order)
        order["status"] = prev
        return self.commit_order(rec, order, source, "trash", event="restored")

    def _emit(
        self, topic: str, rec: OrderRecord, source: str, ts: float, prev_status: str | None
    ) -> None:
        self._seq += 1
        # the snapshot is the encoded body: cheaper than a deep copy, and what is sent
        body = php_json({"id": rec.id} if topic == "order.deleted" else rec.order)
        event = OrderEvent(
            topic=topic,
            order_id=rec.id,
            body=body,
            at=ts,
            source=source,
            status=str(rec.order.get("status")),
            prev_status=prev_status,
            seq=self._seq,
        )
        for listener in list(self.listeners):
            listener(event)

    def emit_resource(self, topic: str, rid: int, payload: dict[str, Any], source: str) -> None:
        """A product or customer change for the webhooks subscribed to ``topic``; the payload
        is the REST resource, or ``{"id"}`` for ``*.deleted`` (``WC_Webhook::build_payload``)."""
        self._seq += 1
        ts = self.now()
        resource = topic.split(".", 1)[0]
        body: dict[str, Any] = {"id": rid} if topic.endswith(".deleted") else dict(payload)
        if not topic.endswith(".deleted"):
            base = f"{self.home_url()}wp-json/wc/v3"
            path = (
                f"products/{body['parent_id']}/variations/{rid}"
                if body.get("type") == "variation"
                else f"{resource}s/{rid}"
            )
            body["_links"] = {
                "self": [{"href": f"{base}/{path}"}],
                "collection": [{"href": f"{base}/{path.rsplit('/', 1)[0]}"}],
            }
        event = OrderEvent(topic, rid, php_json(body), ts, source, "", None, self._seq, resource)
        for listener in list(self.listeners):
            listener(event)

    # -- products ---------------------------------------------------------------------
    def _product_resource(self, pid: int) -> dict[str, Any]:
        """A catalog product as the REST API shows it: WooCommerce's defaults for a new
        simple product (``products_model.blank_product``) with the catalog's values."""
        from fakeshop.products_model import blank_product

        p = self.catalog.product_by_id(pid)
        qty = sum(p.stock.values())
        slug = p.sku.lower()
        prod = blank_product(self, p.id, "simple")
        prod.update(
            {
                "name": p.name,
                "slug": slug,
                "permalink": f"{self.home_url()}product/{slug}/",
                "status": "draft" if p.frozen else "publish",
                "sku": p.sku,
                "price": fmt(p.price),
                "regular_price": fmt(p.price),
                "purchasable": not p.frozen,
                "tax_class": p.tax_class,
                "manage_stock": True,
                "stock_quantity": qty,
                "stock_status": "instock" if qty > 0 else "outofstock",
            }
        )
        return prod

    def home_url(self) -> str:
        url = self.config.home_url or "http://127.0.0.1/"
        return url if url.endswith("/") else url + "/"

    def product(self, pid: int) -> dict[str, Any]:
        prod = self.products.get(pid)
        if prod is None:
            raise WooError("product_invalid_id")
        return prod

    def sellable(self, pid: int) -> dict[str, Any] | None:
        """A product or variation resource by id (``wc_get_product``)."""
        return self.products.get(pid) or self.variations.get(pid)

    def id_by_sku(self, sku: str) -> int:
        """``wc_get_product_id_by_sku``: 0 when no product or variation has it."""
        for res in (*self.products.values(), *self.variations.values()):
            if res.get("sku") == sku:
                return int(res["id"])
        return 0

    def touch_product(self, prod: dict[str, Any]) -> None:
        prod.update(self.dates("date_modified", self.now()))
