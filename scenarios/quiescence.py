"""Quiescence judged from the emulators' ground truth only, read incrementally.

A harness must decide when a run is over without asking the bridge (it may be anyone's,
or dead). The ground truth answers: fakeshop's ``/__admin/stats`` and fakesap's
``/__admin/health`` are counters (orders, order events, delivery attempts, pending
deliveries, records written back to the shop, SAP documents, SAP write requests), and
``/__admin/received?since=N`` / ``/__admin/documents?since=N`` return only the records
after a cursor. Each look costs two small requests plus the new records, so a long run
is not dominated by re-reading its whole history (the old wait re-parsed everything every
0.2 s: O(N²)).

The run is over when every expected order is acknowledged and nothing moved for a short
settle time, or when nothing moved at all for a bounded quiet period (then orders are
missing and the oracle's verdict fails; no timeout is needed to find that out).
"""

from __future__ import annotations

import asyncio
import re
import string
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sapchaos.logs import get_logger

log = get_logger("scenarios.quiescence")

#: ``(method, url) → JSON`` (the stack's admin client)
Admin = Callable[[str, str], Awaitable[Any]]


def _key_regex(pattern: str, prefix: str) -> re.Pattern[str]:
    """``{prefix}:{id}:order`` → a regex matching such keys (the id or number in group 1)."""
    out = ""
    for literal, name, _spec, _conv in string.Formatter().parse(pattern):
        out += re.escape(literal)
        if name == "prefix":
            out += re.escape(prefix)
        elif name in ("id", "number"):
            out += "(.+?)"
        elif name is not None:
            out += ".*?"
    return re.compile(out)


@dataclass
class GroundTruthProgress:
    """Counts orders, SAP documents and acknowledgements from the emulators' ground truth,
    reading only what is new since the last call (``?since=`` cursors and counters).

    The rules come from the contract (duck-typed: ``key_field``, ``key_pattern``,
    ``prefix``, ``document_type``, ``ack_note_regex``, ``ack_meta_key``).
    """

    contract: Any = None
    shop_cursor: int = 0
    sap_cursor: int = 0
    acked: set[int] = field(default_factory=set)
    in_sap: set[str] = field(default_factory=set)
    #: the raw counters of the last read; any change means "not quiet"
    signature: tuple[Any, ...] = ()
    #: deliveries or broker messages still on their way (not quiet either)
    busy: bool = False
    orders: int = 0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def __post_init__(self) -> None:
        c = self.contract
        self.key_field = str(getattr(c, "key_field", "U_IdemKey"))
        self.document_type = str(getattr(c, "document_type", "Orders"))
        prefix = str(getattr(c, "prefix", "wc"))
        self.key_re = _key_regex(str(getattr(c, "key_pattern", "{prefix}:{id}:order")), prefix)
        self.ack_re = re.compile(
            str(getattr(c, "ack_note_regex", r"SAP sales order (\d+) created"))
        )
        self.ack_meta_key: str | None = getattr(c, "ack_meta_key", None)

    def set_prefix(self, prefix: str) -> None:
        """Magento orders are keyed ``mg:…`` by default."""
        if getattr(self.contract, "prefix", None) is None:
            self.key_re = _key_regex(
                str(getattr(self.contract, "key_pattern", "{prefix}:{id}:order")), prefix
            )

    def add_received(self, rows: list[dict[str, Any]]) -> None:
        for rec in rows:
            oid = rec.get("order_id")
            if oid is None:
                continue
            data = rec.get("data") or {}
            kind = rec.get("kind")
            if kind in ("note", "comment"):
                text = str(data.get("note", data.get("comment", "")))
                if self.ack_re.search(text):
                    self.acked.add(int(oid))
            elif kind == "meta" and self.ack_meta_key:
                for m in data.get("meta_data") or []:
                    if isinstance(m, dict) and m.get("key") == self.ack_meta_key and m.get("value"):
                        self.acked.add(int(oid))

    def add_documents(self, rows: list[dict[str, Any]]) -> None:
        for rec in rows:
            if rec.get("entity_set") != self.document_type:
                continue
            value = (rec.get("document") or {}).get(self.key_field)
            if value and self.key_re.fullmatch(str(value)):
                self.in_sap.add(str(value))

    def counters(self) -> dict[str, int]:
        return {"orders": self.orders, "in_sap": len(self.in_sap), "acknowledged": len(self.acked)}

    async def read(self, admin: Admin, shop_url: str, sap_url: str) -> dict[str, int]:
        """One look at both emulators: counters, then only the records new since the
        cursors. Safe to call concurrently (a sampler and the wait share the cursors)."""
        async with self.lock:
            shop = await admin("GET", f"{shop_url}/__admin/stats")
            sap = await admin("GET", f"{sap_url}/__admin/health")
            if shop["received"] < self.shop_cursor:  # the shop was reset
                self.shop_cursor, self.acked = 0, set()
            if shop["received"] > self.shop_cursor:
                new = await admin("GET", f"{shop_url}/__admin/received?since={self.shop_cursor}")
                self.add_received(new["received"])
                self.shop_cursor = int(new["next"])
            if sap["documents"] < self.sap_cursor:  # fakesap was reset
                self.sap_cursor, self.in_sap = 0, set()
            if sap["documents"] > self.sap_cursor:
                new = await admin(
                    "GET",
                    f"{sap_url}/__admin/documents?since={self.sap_cursor}"
                    f"&entity_set={self.document_type}",
                )
                self.add_documents(new["documents"])
                self.sap_cursor = int(new["next"])
            self.orders = int(shop["orders"])
            self.busy = bool(shop["pending_deliveries"] or shop.get("magento_pending"))
            self.signature = (
                shop["orders"],
                shop["changes"],
                shop["deliveries"],
                shop["pending_deliveries"],
                shop["received"],
                shop.get("events", 0),
                shop.get("magento_pending", 0),
                sap["documents"],
                sap.get("writes", 0),
            )
            return self.counters()


async def wait_quiescent(
    read: Callable[[], Awaitable[dict[str, int]]],
    state: GroundTruthProgress,
    expected_orders: int,
    *,
    timeout_s: float,
    quiet_s: float,
    progress: Callable[[int, int], None] | None = None,
    poll_s: float = 0.1,
    settle_s: float = 0.3,
) -> bool:
    """True: at least ``expected_orders`` orders exist and are acknowledged and nothing
    changed for ``settle_s``. False: nothing changed in the ground truth (orders,
    deliveries, writes back to the shop, SAP writes) and no delivery was pending for
    ``quiet_s`` — the bridge lost orders or stopped —, or ``timeout_s`` passed.
    ``progress`` gets (acknowledged, expected) on each look."""
    start = time.monotonic()
    deadline = start + timeout_s
    last: tuple[Any, ...] | None = None
    changed_at = start
    while True:
        c = await read()
        now = time.monotonic()
        if progress is not None:
            progress(c["acknowledged"], expected_orders)
        if state.signature != last or state.busy:
            last, changed_at = state.signature, now
        still = now - changed_at
        if (
            c["acknowledged"] >= expected_orders
            and c["orders"] >= expected_orders
            and still >= settle_s
        ):
            return True
        if still >= quiet_s or now >= deadline:
            log.info("quiescence without every acknowledgement", **c, quiet_s=quiet_s)
            return False
        await asyncio.sleep(poll_s)
