"""Time-to-acknowledge as Locust statistics.

Each Locust process (the local runner, or every worker) owns one :class:`AckTracker` for the
orders *its* users created — so the figures stay right with any number of workers, and the
master just adds the workers' statistics up as it does for HTTP requests.

For each order the tracker reports two Locust request events:

* ``TO_SAP`` — creation in the shop → a SAP sales order carrying the order's key
  (``U_IdemKey eq 'wc:{id}:order'`` through the Service Layer, read directly, never through
  the proxy the bridge uses);
* ``TTA`` — creation → the confirmation note back in the shop (``GET …/orders/{id}/notes``,
  the same note the oracle reads).

``response_time`` is the time in milliseconds; an order not acknowledged within
``--tta-timeout`` seconds is a failure (``AckTimeout``). Times are observed by polling every
``--tta-poll`` seconds (default 0.1 s), so each figure is late by at most one poll interval.

The event *name* is the phase the order was created in: ``order`` for the ramp, steady and
spike shapes; ``order [before cut]``, ``order [during cut]`` and ``order [after heal]`` for
the partition shapes, read from the link's state in the Toxiproxy API at creation time.
"""

from __future__ import annotations

import logging
import re
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import gevent
from gevent.pool import Pool

from load.options import LoadOptions
from load.timeline import PARTITION_LINKS
from load.wire import Http, woo_signed_path

log = logging.getLogger("sapchaos.load.tta")

PHASE_NAMES = {
    "before": "order [before cut]",
    "cut": "order [during cut]",
    "after": "order [after heal]",
}
SAP_BATCH = 20


class AckTimeout(Exception):
    """The order was not acknowledged (or did not reach SAP) within the bound."""


@dataclass
class Pending:
    order_id: int
    name: str
    t0: float
    follow_up: str | None
    sap_at: float | None = None


@dataclass
class LinkWatch:
    """Which phase of a partition we are in, from the link's ``enabled`` flag."""

    proxy: Http | None
    link: str | None
    phase: str = "before"
    checked_at: float = 0.0

    def name(self) -> str:
        return PHASE_NAMES[self.phase] if self.link else "order"

    def poll(self, now: float) -> None:
        if self.proxy is None or self.link is None or now - self.checked_at < 0.25:
            return
        self.checked_at = now
        try:
            reply = self.proxy.request("GET", f"/proxies/{self.link}")
        except Exception as exc:  # the proxy API being away is not the run's failure
            log.warning("proxy poll failed: %s", exc)
            return
        if reply.status != 200:
            return
        enabled = bool((reply.json() or {}).get("enabled", True))
        if not enabled:
            self.phase = "cut"
        elif self.phase == "cut":
            self.phase = "after"


@dataclass
class AckTracker:
    """Tracks one process's orders until SAP has them and the shop got the confirmation."""

    events: Any  # locust Environment.events
    opts: LoadOptions
    shop_site: str
    pending: dict[int, Pending] = field(default_factory=dict)
    follow_ups: deque[tuple[int, str]] = field(default_factory=deque)
    watch: LinkWatch | None = None
    _sap: Http | None = None
    _shop: Http | None = None
    _session: str | None = None
    _greenlet: Any = None
    _ack: re.Pattern[str] | None = None

    def start(self) -> None:
        if self._greenlet is not None:
            return
        self._ack = re.compile(self.opts.ack_note_regex)
        self._sap = Http(self.opts.sap_url, concurrency=4)
        self._shop = Http(self.shop_site, concurrency=8)
        link = PARTITION_LINKS.get(self.opts.shape)
        proxy = Http(self.opts.proxy_url, concurrency=1) if link else None
        self.watch = LinkWatch(proxy, link)
        self.watch.poll(time.time())
        self._greenlet = gevent.spawn(self._run)

    def phase_name(self) -> str:
        return self.watch.name() if self.watch else "order"

    def track(self, order_id: int, name: str, t0: float, follow_up: str | None) -> None:
        self.pending[order_id] = Pending(order_id, name, t0, follow_up)

    def stop(self) -> None:
        if self._greenlet is not None:
            self._greenlet.kill(block=False)
            self._greenlet = None
        if self.pending:
            log.warning("%d orders still unacknowledged when the run stopped", len(self.pending))

    # -- the polling loop -------------------------------------------------------------
    def _run(self) -> None:
        last_warned: dict[str, float] = {}
        while True:
            started = time.time()
            try:
                self.tick(started)
            except Exception as exc:  # keep tracking through network trouble
                text = f"{type(exc).__name__}: {exc}"[:300]
                if started - last_warned.get(text, 0.0) >= 10.0:  # once per 10 s per cause
                    last_warned[text] = started
                    log.warning("ack poll failed: %s", text)
            gevent.sleep(max(0.01, self.opts.tta_poll - (time.time() - started)))

    def tick(self, now: float) -> None:
        if self.watch is not None:
            self.watch.poll(now)
        self._expire(now)
        waiting_sap = [p for p in self.pending.values() if p.sap_at is None]
        for i in range(0, len(waiting_sap), SAP_BATCH):
            self._poll_sap(waiting_sap[i : i + SAP_BATCH])
        in_sap = [p for p in self.pending.values() if p.sap_at is not None]
        if in_sap:
            Pool(8).map(self._poll_note, in_sap)

    def _fire(self, kind: str, p: Pending, at: float, exc: Exception | None = None) -> None:
        self.events.request.fire(
            request_type=kind,
            name=p.name,
            response_time=max(0.0, (at - p.t0) * 1000.0),
            response_length=0,
            exception=exc,
            context={"order_id": p.order_id},
        )

    def _expire(self, now: float) -> None:
        bound = self.opts.tta_timeout
        for p in [p for p in self.pending.values() if now - p.t0 > bound]:
            del self.pending[p.order_id]
            if p.sap_at is None:
                self._fire("TO_SAP", p, now, AckTimeout(f"order not in SAP within {bound:g}s"))
            self._fire("TTA", p, now, AckTimeout(f"order not acknowledged within {bound:g}s"))

    # -- SAP: one $filter per batch of keys -------------------------------------------
    def _key(self, order_id: int) -> str:
        return self.opts.sap_key_template.format(id=order_id)

    def _login(self) -> None:
        assert self._sap is not None
        reply = self._sap.request(
            "POST",
            "/Login",
            {
                "CompanyDB": self.opts.sap_company,
                "UserName": self.opts.sap_user,
                "Password": self.opts.sap_password,
            },
        )
        if reply.status != 200:
            raise RuntimeError(f"Service Layer login failed: {reply.status} {reply.body[:200]!r}")
        self._session = str(reply.json()["SessionId"])

    def _poll_sap(self, batch: list[Pending]) -> None:
        assert self._sap is not None
        if self._session is None:
            self._login()
        field_ = self.opts.sap_key_field
        keys = {self._key(p.order_id): p for p in batch}
        flt = " or ".join(f"{field_} eq '{k}'" for k in keys)
        path = f"/Orders?$select=DocEntry,{field_}&$filter={quote(flt, safe='')}"
        headers = {"Cookie": f"B1SESSION={self._session}", "Prefer": "odata.maxpagesize=100"}
        reply = self._sap.request("GET", path, headers=headers)
        if reply.status == 401:
            self._session = None
            return
        if reply.status != 200:
            raise RuntimeError(f"Service Layer lookup: {reply.status}")
        now = time.time()
        for doc in (reply.json() or {}).get("value", []):
            p = keys.get(str(doc.get(field_)))
            if p is not None and p.sap_at is None:
                p.sap_at = now
                self._fire("TO_SAP", p, now)

    # -- shop: the confirmation note --------------------------------------------------
    def _poll_note(self, p: Pending) -> None:
        assert self._shop is not None and self._ack is not None
        path = woo_signed_path(
            "GET",
            self.shop_site,
            f"/orders/{p.order_id}/notes",
            self.opts.shop_key,
            self.opts.shop_secret,
        )
        reply = self._shop.request("GET", path)
        if reply.status != 200:
            return
        now = time.time()
        notes = reply.json() or []
        if any(self._ack.search(str(n.get("note", ""))) for n in notes):
            self.pending.pop(p.order_id, None)
            self._fire("TTA", p, now)
            if p.follow_up:
                self.follow_ups.append((p.order_id, p.follow_up))
