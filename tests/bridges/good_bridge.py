#!/usr/bin/env python3
"""A WooCommerce → SAP Business One bridge written the way a team would, outside sapchaos.

It imports nothing of the sapchaos project: aiohttp and the standard library (sqlite3).
Everything it needs comes from the SAPCHAOS_* environment variables the harness sets
(or the same values as flags):

    SAPCHAOS_BRIDGE_PORT      where to listen for webhooks (any path)
    SAPCHAOS_WEBHOOK_SECRET   the webhook secret (HMAC-SHA256, base64)
    SAPCHAOS_SAP_URL          Service Layer service root, e.g. http://host:50000/b1s/v1
    SAPCHAOS_SAP_COMPANY / _USER / _PASSWORD
    SAPCHAOS_CARD_CODE        the business partner every order is booked on
    SAPCHAOS_SHOP_URL         the shop's site URL (REST under /wp-json/wc/v3)
    SAPCHAOS_SHOP_KEY / _SHOP_SECRET   the REST key pair (OAuth 1.0a over plain HTTP)
    SAPCHAOS_STATE_DIR        where the SQLite file lives (survives restarts)

How it stays correct:
* the webhook handler verifies the signature, then stores the payload and a pending job
  in one SQLite transaction *before* answering 200; SAP is only called by workers;
* it deduplicates by content (order id + date_modified), never by the delivery id;
* it keeps the newest snapshot per order and one job per order (level-triggered);
* a worker records its intent before creating, and after any doubt looks the order up
  by ``U_IdemKey`` before creating again; the key is ``wc:{id}:order`` and NumAtCard is
  the shop's order number;
* it writes ``SAP sales order {DocNum} created`` back as an order note (``--note``
  changes the wording; the oracle is then told the matching regex through a contract);
* a cancelled (or refunded, failed) order cancels its SAP order;
* a reconciler polls ``orders?modified_after=`` so dropped webhooks and a disabled hook heal;
* SAP's permanent refusals (4xx) are dead letters with a note on the order;
  ``POST /ops/dlq/replay-all`` (the route the harness's ``bridge_dlq_replay`` calls)
  queues them again once the data is fixed.

``--defect NAME`` turns on one classic mistake, for the harness's own tests (see
``DEFECTS``); broken variants run without the reconciler, which would heal the very loss
their scenario must show.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import os
import random
import secrets
import signal
import sqlite3
import sys
import time
import urllib.parse
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout, CookieJar, web

DEFECTS = {
    "no-dedup": "every delivery becomes its own create; no ledger check, no lookup",
    "race": "check-then-act ledger: workers check 'already created?' and create without a claim",
    "delivery-id": "dedups by X-WC-Webhook-Delivery-ID, which repeats within a second",
    "no-lookup": "retries a failed create without looking the key up first",
    "ack-before-commit": "answers 200, then stores the payload a moment later (lost on kill -9)",
    "sap-in-handler": "calls SAP inside the webhook handler and answers only when SAP did",
    "drop-cancel": "ignores cancellations: a cancelled order stays open in SAP",
}
SYNC = {"pending", "processing", "on-hold", "completed"}
END = {"cancelled", "failed", "refunded", "trash"}
CENT = Decimal("0.01")
#: how far each reconciler poll looks back before its cursor (seconds)
LOOKBACK_S = 120


def log(event: str, **fields: Any) -> None:
    """One JSON line per event on stdout (the harness keeps it in the run's log file)."""
    print(json.dumps({"ts": round(time.time(), 3), "event": event, **fields}), flush=True)


# ---------------------------------------------------------------------------- store
SCHEMA = """
CREATE TABLE IF NOT EXISTS inbox (order_id INTEGER, modified TEXT, digest TEXT, received REAL,
    PRIMARY KEY (order_id, modified, digest));
CREATE TABLE IF NOT EXISTS snapshot (order_id INTEGER PRIMARY KEY, modified TEXT, body TEXT,
    refresh INTEGER DEFAULT 0);
CREATE TABLE IF NOT EXISTS jobs (id INTEGER PRIMARY KEY AUTOINCREMENT, order_id INTEGER,
    due REAL, claimed_until REAL DEFAULT 0, attempts INTEGER DEFAULT 0, body TEXT,
    version INTEGER DEFAULT 0);
CREATE TABLE IF NOT EXISTS ledger (order_id INTEGER PRIMARY KEY, state TEXT,
    doc_entry INTEGER, doc_num INTEGER, acked INTEGER DEFAULT 0, cancelled INTEGER DEFAULT 0);
CREATE TABLE IF NOT EXISTS quarantine (id INTEGER PRIMARY KEY AUTOINCREMENT, reason TEXT, body BLOB);
CREATE TABLE IF NOT EXISTS seen_delivery (delivery_id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS dead (job_id INTEGER, order_id INTEGER, reason TEXT);
CREATE TABLE IF NOT EXISTS cursor (name TEXT PRIMARY KEY, value TEXT);
"""


@dataclass(frozen=True)
class Claim:
    job_id: int
    order_id: int
    order: dict[str, Any]
    version: int
    refresh: bool  # the snapshot tied with another on date_modified: re-read from the shop


class Store:
    """SQLite in WAL mode; each method is one transaction (short, on the event loop)."""

    def __init__(self, path: Path, *, one_job_per_order: bool) -> None:
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(SCHEMA)
        self.one_job_per_order = one_job_per_order

    def accept(self, order: dict[str, Any], raw: bytes | None = None) -> bool:
        """Inbox (content dedup) + newest snapshot + pending job, atomically. False: seen.

        ``date_modified_gmt`` has one-second resolution, so a cancel in the same second as
        the create carries the same stamp: the dedup key includes a digest of the content,
        and on a tie with different content the worker re-reads the order from the shop."""
        oid, modified = int(order["id"]), str(order.get("date_modified_gmt") or "")
        body = json.dumps(order, sort_keys=True)
        digest = hashlib.sha256(raw or body.encode()).hexdigest()
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            if not self.one_job_per_order:  # the defects that queue every delivery as a job
                self.db.execute(
                    "INSERT INTO jobs (order_id, due, body) VALUES (?, ?, ?)", (oid, 0.0, body)
                )
                return True
            cur = self.db.execute(
                "INSERT OR IGNORE INTO inbox VALUES (?, ?, ?, ?)",
                (oid, modified, digest, time.time()),
            )
            if cur.rowcount == 0:
                return False
            snap = self.db.execute(
                "SELECT modified, body FROM snapshot WHERE order_id=?", (oid,)
            ).fetchone()
            if snap is None or modified > snap[0]:
                self.db.execute(
                    "INSERT OR REPLACE INTO snapshot VALUES (?, ?, ?, 0)", (oid, modified, body)
                )
            elif modified == snap[0] and body != snap[1]:
                self.db.execute(
                    "UPDATE snapshot SET body=?, refresh=1 WHERE order_id=?", (body, oid)
                )
            else:
                return True  # older than what we hold: nothing new to do
            if self.db.execute("SELECT 1 FROM jobs WHERE order_id=?", (oid,)).fetchone():
                self.db.execute("UPDATE jobs SET due=0, version=version+1 WHERE order_id=?", (oid,))
            else:
                self.db.execute("INSERT INTO jobs (order_id, due) VALUES (?, 0)", (oid,))
        return True

    def refreshed(self, oid: int, order: dict[str, Any]) -> None:
        with self.db:
            self.db.execute(
                "UPDATE snapshot SET body=?, refresh=0 WHERE order_id=?",
                (json.dumps(order, sort_keys=True), oid),
            )

    def seen_delivery(self, delivery_id: str) -> bool:
        with self.db:
            cur = self.db.execute("INSERT OR IGNORE INTO seen_delivery VALUES (?)", (delivery_id,))
        return cur.rowcount == 0

    def quarantine(self, reason: str, body: bytes) -> None:
        with self.db:
            self.db.execute("INSERT INTO quarantine (reason, body) VALUES (?, ?)", (reason, body))

    def claim(self, lease_s: float) -> Claim | None:
        """Take the oldest due job whose lease expired."""
        now = time.time()
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            row = self.db.execute(
                "SELECT id, order_id, body, version FROM jobs WHERE due <= ? AND claimed_until < ? "
                "ORDER BY due, id LIMIT 1",
                (now, now),
            ).fetchone()
            if row is None:
                return None
            self.db.execute("UPDATE jobs SET claimed_until=? WHERE id=?", (now + lease_s, row[0]))
            body, refresh = row[2], False
            if body is None:
                snap = self.db.execute(
                    "SELECT body, refresh FROM snapshot WHERE order_id=?", (row[1],)
                ).fetchone()
                body, refresh = snap[0], bool(snap[1])
        return Claim(int(row[0]), int(row[1]), json.loads(body), int(row[3]), refresh)

    def done(self, claim: Claim) -> None:
        """Finish the job, unless a newer snapshot arrived while we worked (then run again)."""
        with self.db:
            cur = self.db.execute(
                "DELETE FROM jobs WHERE id=? AND version=?", (claim.job_id, claim.version)
            )
            if cur.rowcount == 0:
                self.db.execute("UPDATE jobs SET claimed_until=0 WHERE id=?", (claim.job_id,))

    def dead_letter(self, job_id: int, reason: str) -> None:
        with self.db:
            self.db.execute(
                "INSERT INTO dead (job_id, order_id, reason) "
                "SELECT id, order_id, ? FROM jobs WHERE id=?",
                (reason, job_id),
            )
            self.db.execute("DELETE FROM jobs WHERE id=?", (job_id,))

    def replay_dead(self) -> int:
        """Put every dead letter back in the queue (after someone fixed the data in SAP)."""
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            rows = self.db.execute("SELECT DISTINCT order_id FROM dead").fetchall()
            for (oid,) in rows:
                if not self.db.execute("SELECT 1 FROM jobs WHERE order_id=?", (oid,)).fetchone():
                    self.db.execute("INSERT INTO jobs (order_id, due) VALUES (?, 0)", (oid,))
            self.db.execute("DELETE FROM dead")
        return len(rows)

    def retry_later(self, job_id: int, delay_s: float) -> None:
        with self.db:
            self.db.execute(
                "UPDATE jobs SET due=?, claimed_until=0, attempts=attempts+1 WHERE id=?",
                (time.time() + delay_s, job_id),
            )

    def ledger(self, oid: int) -> dict[str, Any] | None:
        row = self.db.execute(
            "SELECT state, doc_entry, doc_num, acked, cancelled FROM ledger WHERE order_id=?",
            (oid,),
        ).fetchone()
        if row is None:
            return None
        return dict(zip(("state", "doc_entry", "doc_num", "acked", "cancelled"), row, strict=True))

    def record(self, oid: int, **fields: Any) -> None:
        cols = ", ".join(fields)
        marks = ", ".join("?" for _ in fields)
        updates = ", ".join(f"{k}=excluded.{k}" for k in fields)
        with self.db:
            self.db.execute(
                f"INSERT INTO ledger (order_id, {cols}) VALUES (?, {marks}) "
                f"ON CONFLICT(order_id) DO UPDATE SET {updates}",
                (oid, *fields.values()),
            )

    def cursor(self) -> str | None:
        row = self.db.execute("SELECT value FROM cursor WHERE name='modified_after'").fetchone()
        return row[0] if row else None

    def set_cursor(self, value: str) -> None:
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO cursor VALUES ('modified_after', ?)", (value,))


# --------------------------------------------------------------------- Service Layer
class SapError(Exception):
    def __init__(self, status: int, text: str, *, ambiguous: bool) -> None:
        super().__init__(f"SAP {status}: {text[:200]}")
        self.status, self.ambiguous = status, ambiguous


class ServiceLayer:
    """A minimal SL client: Login with a session cookie, JSON in and out, re-login on 401."""

    def __init__(self, http: ClientSession, url: str, company: str, user: str, pw: str) -> None:
        self.http, self.url = http, url.rstrip("/")
        self.login_body = {"CompanyDB": company, "UserName": user, "Password": pw}
        self.logged_in = False
        self.vat_by_rate: dict[Decimal, str] = {}

    async def login(self) -> None:
        try:
            async with self.http.post(f"{self.url}/Login", json=self.login_body) as r:
                if r.status != 200:
                    raise SapError(r.status, await r.text(), ambiguous=r.status >= 500)
        except (ClientError, TimeoutError) as exc:
            raise SapError(0, f"login: {type(exc).__name__}: {exc}", ambiguous=True) from None
        self.logged_in = True

    async def call(self, method: str, path: str, body: Any = None) -> Any:
        if not self.logged_in:
            await self.login()
        for attempt in (1, 2):
            try:
                async with self.http.request(method, f"{self.url}/{path}", json=body) as r:
                    text = await r.text()
                    if r.status == 401 and attempt == 1:
                        await self.login()
                        continue
                    if r.status >= 400:
                        raise SapError(r.status, text, ambiguous=r.status >= 500)
                    return json.loads(text) if text.strip() else None
            except (ClientError, TimeoutError) as exc:
                raise SapError(0, f"{type(exc).__name__}: {exc}", ambiguous=True) from None
        raise SapError(401, "login did not hold", ambiguous=False)

    async def load_vat_groups(self) -> None:
        path = "VatGroups?$select=Code,Category,Inactive,VatGroups_Lines"
        while path:
            page = await self.call("GET", path)
            for g in page.get("value", []):
                if g.get("Category") != "bovcOutputTax" or g.get("Inactive") == "tYES":
                    continue
                lines = sorted(
                    g.get("VatGroups_Lines") or [], key=lambda x: str(x.get("Effectivefrom"))
                )
                rate = Decimal(str(lines[-1]["Rate"])) if lines else Decimal(0)
                self.vat_by_rate.setdefault(rate.normalize(), g["Code"])
            nxt = page.get("odata.nextLink") or page.get("@odata.nextLink")
            path = nxt.split("/b1s/v1/", 1)[-1] if nxt else ""

    async def find_order(self, key: str) -> dict[str, Any] | None:
        q = urllib.parse.quote(f"U_IdemKey eq '{key}'")
        page = await self.call("GET", f"Orders?$filter={q}&$select=DocEntry,DocNum,Cancelled")
        found = page.get("value", [])
        return found[0] if found else None


# ------------------------------------------------------------------------ shop REST
class Shop:
    """WooCommerce REST v3 over plain HTTP: OAuth 1.0a one-legged, HMAC-SHA256."""

    def __init__(self, http: ClientSession, url: str, key: str, secret: str) -> None:
        self.http, self.base = http, url.rstrip("/") + "/wp-json/wc/v3"
        self.key, self.secret = key, secret

    def _signed(self, method: str, url: str, params: dict[str, str]) -> str:
        q = dict(params)
        q.update(
            oauth_consumer_key=self.key,
            oauth_nonce=secrets.token_hex(16),
            oauth_signature_method="HMAC-SHA256",
            oauth_timestamp=str(int(time.time())),
        )

        def enc(s: str) -> str:
            return urllib.parse.quote(s, safe="~")

        norm = "&".join(f"{enc(k)}={enc(v)}" for k, v in sorted(q.items()))
        base = "&".join([method.upper(), enc(url), enc(norm)])
        digest = hmac.new(f"{self.secret}&".encode(), base.encode(), hashlib.sha256).digest()
        q["oauth_signature"] = base64.b64encode(digest).decode()
        return f"{url}?{urllib.parse.urlencode(q)}"

    async def request(self, method: str, path: str, body: Any = None, **params: str) -> Any:
        url = self._signed(method, f"{self.base}/{path}", params)
        async with self.http.request(method, url, json=body) as r:
            text = await r.text()
            if r.status >= 400:
                raise RuntimeError(f"shop {method} {path}: {r.status} {text[:200]}")
            return json.loads(text) if text.strip() else None

    async def add_note(self, oid: int, note: str) -> None:
        await self.request("POST", f"orders/{oid}/notes", {"note": note})


# -------------------------------------------------------------------------- mapping
def vat_group(sl: ServiceLayer, order: dict[str, Any], taxes: list[dict[str, Any]]) -> str:
    """The SAP VAT group for a line: the shop's tax rate (via ``tax_lines``) → SAP's group
    with that rate; untaxed lines take SAP's zero-rate group."""
    rates = {t.get("rate_id"): t.get("rate_percent") for t in order.get("tax_lines") or []}
    for tax in taxes or []:
        pct = rates.get(tax.get("id"))
        if pct is not None and Decimal(str(tax.get("total") or 0)) != 0:
            return sl.vat_by_rate[Decimal(str(pct)).normalize()]
    return sl.vat_by_rate[Decimal(0)]


def line(sl: ServiceLayer, order: dict[str, Any], li: dict[str, Any]) -> dict[str, Any]:
    """One document line. With VAT-inclusive shop prices the gross unit price is booked
    (PriceAfterVAT), so SAP derives net and VAT from the gross as the shop did; a net
    LineTotal would let SAP recompute the VAT and miss the shop's total by a cent."""
    out: dict[str, Any] = {"ItemCode": li["sku"], "Quantity": li["quantity"]}
    total = Decimal(str(li.get("total") or 0)).quantize(CENT)
    if order.get("prices_include_tax"):
        gross = total + Decimal(str(li.get("total_tax") or 0)).quantize(CENT)
        out["PriceAfterVAT"] = float(
            (gross / Decimal(li["quantity"])).quantize(Decimal("0.000001"))
        )
    else:
        out["LineTotal"] = float(total)
    out["VatGroup"] = vat_group(sl, order, li.get("taxes") or [])
    return out


def sap_order(sl: ServiceLayer, order: dict[str, Any], card_code: str) -> dict[str, Any]:
    def money(v: Any) -> float:
        # the SL reads amounts as JSON numbers (Edm.Double); the cent-rounded value is exact
        return float(Decimal(str(v or 0)).quantize(CENT))

    day = str(order.get("date_created_gmt") or order.get("date_created") or "")[:10]
    doc: dict[str, Any] = {
        "CardCode": card_code,
        "DocDate": day,
        "DocDueDate": day,
        "NumAtCard": str(order.get("number") or order["id"]),
        "U_IdemKey": f"wc:{order['id']}:order",
        "Comments": f"WooCommerce order {order.get('number') or order['id']}",
        "DocumentLines": [line(sl, order, li) for li in order.get("line_items") or []],
    }
    expenses = [
        {
            "ExpenseCode": 1,
            "LineTotal": money(x.get("total")),
            "VatGroup": vat_group(sl, order, x.get("taxes") or []),
        }
        for x in (order.get("shipping_lines") or []) + (order.get("fee_lines") or [])
        if Decimal(str(x.get("total") or 0)) != 0 or Decimal(str(x.get("total_tax") or 0)) != 0
    ]
    if expenses:
        doc["DocumentAdditionalExpenses"] = expenses
    return doc


# --------------------------------------------------------------------------- bridge
class Bridge:
    def __init__(self, cfg: argparse.Namespace, store: Store, sl: ServiceLayer, shop: Shop) -> None:
        self.cfg, self.store, self.sl, self.shop = cfg, store, sl, shop
        self.defect: str | None = cfg.defect
        self.buffer: list[dict[str, Any]] = []  # only the ack-before-commit defect uses it

    # -- ingress ------------------------------------------------------------------
    async def webhook(self, request: web.Request) -> web.Response:
        body = await request.read()
        if request.content_type == "application/x-www-form-urlencoded" and b"webhook_id=" in body:
            return web.Response(text="pong")  # WooCommerce's ping on webhook creation
        given = request.headers.get("X-WC-Webhook-Signature", "")
        secret = self.cfg.webhook_secret
        for ent, ch in (
            ("&lt;", "<"),
            ("&gt;", ">"),
            ("&quot;", '"'),
            ("&#039;", "'"),
            ("&amp;", "&"),
        ):
            secret = secret.replace(ent, ch)
        want = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
        if not hmac.compare_digest(given, want):
            return web.json_response({"error": "bad signature"}, status=401)
        try:
            order = json.loads(body)
            int(order["id"])
        except (ValueError, KeyError, TypeError) as exc:
            self.store.quarantine(f"{type(exc).__name__}: {exc}", body)
            return web.json_response({"quarantined": True}, status=200)
        delivery_id = request.headers.get("X-WC-Webhook-Delivery-ID", "")
        if self.defect == "delivery-id" and self.store.seen_delivery(delivery_id):
            return web.json_response({"duplicate": True})
        if self.defect == "sap-in-handler":
            try:
                await self.sync(order)
            except Exception as exc:
                log("handler_failed", order_id=order["id"], error=str(exc)[:200])
                return web.json_response({"error": "SAP unavailable"}, status=502)
            return web.json_response({"ok": True})
        if self.defect == "ack-before-commit":
            self.buffer.append(order)
            return web.json_response({"ok": True})
        self.store.accept(order, body)
        return web.json_response({"ok": True})

    async def replay_dead(self, _request: web.Request) -> web.Response:
        """Operator endpoint (loopback only): replay every dead letter."""
        return web.json_response({"replayed": self.store.replay_dead()})

    async def flush_buffer(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            batch, self.buffer = self.buffer, []
            for order in batch:
                self.store.accept(order)

    # -- reconciler ---------------------------------------------------------------
    async def reconcile(self) -> None:
        while True:
            await asyncio.sleep(self.cfg.poll_interval)
            try:
                cursor = self.store.cursor() or "1970-01-01T00:00:00"
                # modified_after is exclusive and dates have one-second resolution: an order
                # modified in the cursor's second after we read would be skipped forever, so
                # every poll looks back a while (the inbox makes re-reads harmless)
                since = (datetime.fromisoformat(cursor) - timedelta(seconds=LOOKBACK_S)).isoformat(
                    timespec="seconds"
                )
                page = 1
                newest = cursor
                while True:
                    orders = await self.shop.request(
                        "GET",
                        "orders",
                        modified_after=since,
                        dates_are_gmt="true",
                        orderby="modified",
                        order="asc",
                        per_page="100",
                        page=str(page),
                    )
                    for o in orders:
                        self.store.accept(o)
                        newest = max(newest, str(o.get("date_modified_gmt") or cursor))
                    if len(orders) < 100:
                        break
                    page += 1
                self.store.set_cursor(newest)
            except Exception as exc:  # the shop may be partitioned: try again next round
                log("reconcile_failed", error=str(exc)[:200])

    # -- workers ------------------------------------------------------------------
    async def worker(self, n: int) -> None:
        while True:
            job = self.store.claim(self.cfg.lease)
            if job is None:
                await asyncio.sleep(0.05)
                continue
            job_id, oid, order = job.job_id, job.order_id, job.order
            try:
                if job.refresh:
                    order = await self.shop.request("GET", f"orders/{oid}")
                    self.store.refreshed(oid, order)
                await self.sync(order)
                self.store.done(job)
            except SapError as exc:
                if exc.status in (400, 404) and not exc.ambiguous:
                    # permanent: SAP refuses this order as it is; park it and tell the shop
                    self.store.dead_letter(job_id, str(exc))
                    log("dead_letter", order_id=oid, error=str(exc)[:200])
                    with contextlib.suppress(Exception):
                        await self.shop.add_note(
                            oid, f"SAP refused the order: dead letter {job_id}"
                        )
                    continue
                delay = random.uniform(0.5, 2.0)
                log("sync_failed", worker=n, order_id=oid, error=str(exc)[:200], retry_in=delay)
                self.store.retry_later(job_id, delay)
            except Exception as exc:
                delay = random.uniform(0.5, 2.0)  # jittered, so workers do not retry in step
                log("sync_failed", worker=n, order_id=oid, error=str(exc)[:200], retry_in=delay)
                self.store.retry_later(job_id, delay)

    async def sync(self, order: dict[str, Any]) -> None:
        """Make SAP (and the shop's note) match the order's state; safe to repeat."""
        status = str(order.get("status", ""))
        if status in END and self.defect != "drop-cancel":
            await self.cancel(order)
        elif status in SYNC:
            await self.create(order)

    async def create(self, order: dict[str, Any]) -> None:
        if not self.sl.vat_by_rate:  # master data, read once SAP is reachable
            await self.sl.load_vat_groups()
        oid = int(order["id"])
        key = f"wc:{oid}:order"
        led = self.store.ledger(oid)
        checks_ledger = self.defect not in ("no-dedup",)
        if checks_ledger and led and led["state"] == "created":
            doc = {"DocEntry": led["doc_entry"], "DocNum": led["doc_num"]}
        else:
            doc = None
            looks_up = self.defect not in ("no-dedup", "race", "no-lookup")
            if looks_up and led and led["state"] == "creating":
                doc = await self.sl.find_order(key)  # the last attempt may have committed
            if doc is None:
                if self.defect != "race":
                    self.store.record(oid, state="creating")
                try:
                    doc = await self.sl.call(
                        "POST", "Orders", sap_order(self.sl, order, self.cfg.card_code)
                    )
                except SapError as exc:
                    if exc.ambiguous and looks_up:
                        doc = await self.sl.find_order(key)
                    if doc is None:
                        raise
            self.store.record(
                oid, state="created", doc_entry=doc["DocEntry"], doc_num=doc["DocNum"]
            )
            led = self.store.ledger(oid)
        assert doc is not None
        if not (led and led["acked"]):
            await self.shop.add_note(oid, self.cfg.note.format(docnum=doc["DocNum"], id=oid))
            self.store.record(oid, acked=1)
        log("order_synced", order_id=oid, doc_entry=doc["DocEntry"])

    async def cancel(self, order: dict[str, Any]) -> None:
        oid = int(order["id"])
        led = self.store.ledger(oid)
        if led and led["cancelled"]:
            return
        doc: dict[str, Any] | None = None
        if led and led["state"] == "created":
            doc = {"DocEntry": led["doc_entry"], "Cancelled": "tNO"}
        elif led is None or led["state"] == "creating":
            doc = await self.sl.find_order(f"wc:{oid}:order")
        if doc is None or doc.get("Cancelled") == "tYES":
            self.store.record(oid, state="cancelled", cancelled=1)
            return
        entry = doc["DocEntry"]
        try:
            await self.sl.call("POST", f"Orders({entry})/Cancel")
        except SapError as exc:
            if "already" not in str(exc).lower() and "cancel" not in str(exc).lower():
                raise
        self.store.record(oid, cancelled=1)
        log("order_cancelled", order_id=oid, doc_entry=entry)


# ---------------------------------------------------------------------------- main
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    env = os.environ.get
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--port", type=int, default=int(env("SAPCHAOS_BRIDGE_PORT", "8090")))
    p.add_argument("--sap-url", default=env("SAPCHAOS_SAP_URL", "http://127.0.0.1:50000/b1s/v1"))
    p.add_argument("--sap-company", default=env("SAPCHAOS_SAP_COMPANY", "SBODEMOES"))
    p.add_argument("--sap-user", default=env("SAPCHAOS_SAP_USER", "manager"))
    p.add_argument("--sap-password", default=env("SAPCHAOS_SAP_PASSWORD", "manager"))
    p.add_argument("--card-code", default=env("SAPCHAOS_CARD_CODE", "WEB-GUEST"))
    p.add_argument("--shop-url", default=env("SAPCHAOS_SHOP_URL", "http://127.0.0.1:8080"))
    p.add_argument("--shop-key", default=env("SAPCHAOS_SHOP_KEY", ""))
    p.add_argument("--shop-secret", default=env("SAPCHAOS_SHOP_SECRET", ""))
    p.add_argument("--webhook-secret", default=env("SAPCHAOS_WEBHOOK_SECRET", ""))
    p.add_argument("--state-dir", default=env("SAPCHAOS_STATE_DIR", "."))
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--lease", type=float, default=30.0, help="seconds a claimed job is ours")
    p.add_argument("--sap-timeout", type=float, default=10.0)
    p.add_argument("--poll-interval", type=float, default=5.0, help="reconciler period; 0 = off")
    p.add_argument(
        "--note",
        default="SAP sales order {docnum} created",
        help="confirmation note ({docnum}, {id}); a different wording needs a contract regex",
    )
    p.add_argument("--defect", choices=sorted(DEFECTS), default=None, help="one classic mistake")
    args = p.parse_args(argv)
    if args.defect and "--poll-interval" not in " ".join(argv or sys.argv):
        args.poll_interval = 0.0
    return args


async def serve(cfg: argparse.Namespace) -> None:
    state = Path(cfg.state_dir)
    os.makedirs(state, exist_ok=True)
    store = Store(
        state / "good_bridge.sqlite",
        one_job_per_order=cfg.defect not in ("no-dedup", "race"),
    )
    sap_http = ClientSession(
        cookie_jar=CookieJar(unsafe=True), timeout=ClientTimeout(total=cfg.sap_timeout)
    )
    shop_http = ClientSession(timeout=ClientTimeout(total=10.0))
    sl = ServiceLayer(sap_http, cfg.sap_url, cfg.sap_company, cfg.sap_user, cfg.sap_password)
    bridge = Bridge(cfg, store, sl, Shop(shop_http, cfg.shop_url, cfg.shop_key, cfg.shop_secret))
    app = web.Application(client_max_size=2 * 1024 * 1024)
    app.router.add_post("/ops/dlq/replay-all", bridge.replay_dead)
    app.router.add_post("/{tail:.*}", bridge.webhook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", cfg.port).start()
    tasks = [asyncio.create_task(bridge.worker(i)) for i in range(cfg.workers)]
    if cfg.poll_interval > 0:
        tasks.append(asyncio.create_task(bridge.reconcile()))
    if cfg.defect == "ack-before-commit":
        tasks.append(asyncio.create_task(bridge.flush_buffer()))
    log("listening", port=cfg.port, defect=cfg.defect, workers=cfg.workers)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    for t in tasks:
        t.cancel()
    await runner.cleanup()
    await sap_http.close()
    await shop_http.close()


if __name__ == "__main__":
    asyncio.run(serve(parse_args()))
