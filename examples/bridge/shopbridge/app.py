"""The bridge: a webhook endpoint that only stores, and a worker that books in SAP.

The checkout never waits for SAP: the webhook is verified, stored and answered. The
worker books each stored order once — after a failed or unanswered create it looks the
order's key up in SAP before trying again — then writes a note back to the shop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections.abc import AsyncIterator

from aiohttp import web

from shopbridge.mapping import idem_key, to_sap_order
from shopbridge.sap import SapError, ServiceLayer
from shopbridge.settings import Settings
from shopbridge.shop import Shop, signature_ok
from shopbridge.store import Row, Store

log = logging.getLogger("shopbridge")

SETTINGS = web.AppKey("settings", Settings)
STORE = web.AppKey("store", Store)
WAKE = web.AppKey("wake", asyncio.Event)
#: statuses in which an order must stand in SAP as a sales order
BOOK = ("pending", "processing", "on-hold", "completed")
#: statuses in which it must not (never booked, or booked and then cancelled)
CANCELLED = ("cancelled", "failed", "refunded", "trash")


async def webhook(request: web.Request) -> web.Response:
    settings, store = request.app[SETTINGS], request.app[STORE]
    body = await request.read()
    if not signature_ok(
        settings.webhook_secret, body, request.headers.get("X-WC-Webhook-Signature")
    ):
        return web.json_response({"error": "bad signature"}, status=401)
    topic = request.headers.get("X-WC-Webhook-Topic", "")
    if not topic.startswith("order."):
        return web.json_response({"ok": True, "ignored": topic or "ping"})
    try:
        order = json.loads(body)
        int(order["id"])
    except (ValueError, KeyError, TypeError):
        return web.json_response({"error": "not an order"}, status=400)
    if topic == "order.deleted":
        order.setdefault("status", "cancelled")
    store.accept(order)
    request.app[WAKE].set()
    return web.json_response({"ok": True})


async def sync_one(row: Row, sap: ServiceLayer, shop: Shop, store: Store, s: Settings) -> None:
    # act on the order as it is now: copies and reordered webhooks cannot mislead us
    order = await shop.get_order(row.order_id)
    status = str(order.get("status", ""))
    doc_entry, doc_num = row.doc_entry, row.doc_num
    if doc_entry is None:
        if status not in BOOK:  # cancelled before it reached us, or still a draft
            store.finished(row.order_id, "cancelled" if status in CANCELLED else "waiting")
            return
        existing = await sap.find_order(idem_key(row.order_id)) if s.lookup_before_create else None
        if existing is None:
            existing = await sap.create_order(to_sap_order(order, s))
        doc_entry, doc_num = int(existing["DocEntry"]), int(existing["DocNum"])
        store.booked(row.order_id, doc_entry, doc_num)
    if not row.noted:
        await shop.add_note(row.order_id, f"SAP sales order {doc_num} created")
        store.noted(row.order_id)
    if status in CANCELLED:
        await sap.cancel_order(doc_entry)
        store.finished(row.order_id, "cancelled")
        return
    store.finished(row.order_id, "booked")


async def worker(app: web.Application) -> None:
    s, store, wake = app[SETTINGS], app[STORE], app[WAKE]
    sap = ServiceLayer(s.sap_url, s.sap_company, s.sap_user, s.sap_password)
    shop = Shop(s.shop_url, s.shop_key, s.shop_secret)
    try:
        while True:
            for row in store.due():
                try:
                    await sync_one(row, sap, shop, store, s)
                except SapError as exc:
                    if not exc.retryable:
                        log.error("order %s failed for good: %s", row.order_id, exc)
                        store.finished(row.order_id, "failed")
                        continue
                    _backoff(store, row.order_id, str(exc))
                except Exception as exc:  # network, timeouts, the shop's HTTP errors
                    _backoff(store, row.order_id, repr(exc))
            wake.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(wake.wait(), 0.2)
    finally:
        await sap.close()


def _backoff(store: Store, order_id: int, error: str) -> None:
    """Exponential backoff with full jitter, capped at 5 s."""
    attempts = store.attempts(order_id)
    delay = random.uniform(0, min(5.0, 0.1 * 2**attempts))
    log.warning("order %s: retry in %.2fs after %s", order_id, delay, error)
    store.retry_later(order_id, delay, error)


async def _lifespan(app: web.Application) -> AsyncIterator[None]:
    s = app[SETTINGS]
    app[STORE] = Store(s.state_dir / "shopbridge.sqlite")
    app[WAKE] = asyncio.Event()
    task = asyncio.create_task(worker(app))
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    app[STORE].close()


def create_app(settings: Settings) -> web.Application:
    app = web.Application()
    app[SETTINGS] = settings
    app.router.add_post("/webhooks/woocommerce", webhook)
    app.cleanup_ctx.append(_lifespan)
    return app
