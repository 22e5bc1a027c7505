"""Stock sync: SAP Business One is the stock master; the shop shows what can be sold.

What integrations do on top of WooCommerce: every ``interval_s`` (and at once after a
``nudge()`` — a significant change such as an order booked or a goods receipt seen)
read every item's per-warehouse availability from the Service Layer
(``GET Items?$select=ItemCode,ItemWarehouseInfoCollection``), apply the configured rule,
and push the result to the shop with ``POST products/batch`` (``update`` entries of
``{"id", "stock_quantity"}``, at most 100 per call as WooCommerce allows).

The rule (``StockRule``): which warehouses feed the web shop, ``InStock − Committed``
(committed = reserved by open sales orders; off → ``InStock`` alone), minus a safety
buffer, never below zero, whole units (rounded down). Idempotent: a product whose shop
stock already equals the rule's result is not sent, so a quiet pass writes nothing;
products the shop does not manage stock for, or SKUs SAP does not know, are left alone
(and counted).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from typing import Any

from bridge.sap.client import ServiceLayerClient
from bridge.sap.errors import SLFailure
from bridge.shop.client import ShopError, WooClient
from sapchaos.logs import get_logger

__all__ = ["StockRule", "StockSync", "effective_stock"]

log = get_logger("bridge.stock")

BATCH = 100
PAGE = 100


@dataclass(frozen=True)
class StockRule:
    #: warehouse codes that feed the web shop; empty = every warehouse
    warehouses: tuple[str, ...] = ()
    #: subtract what open sales orders have committed
    subtract_committed: bool = True
    #: units kept back from the web (per product)
    safety_buffer: int = 0

    def __post_init__(self) -> None:
        if self.safety_buffer < 0:
            raise ValueError(f"safety_buffer must be >= 0, got {self.safety_buffer}")


def _dec(value: Any) -> Decimal:
    try:
        d = Decimal(str(value if value is not None else 0))
    except (InvalidOperation, ValueError):
        return Decimal(0)
    return d if d.is_finite() else Decimal(0)


def effective_stock(item: Mapping[str, Any], rule: StockRule) -> int:
    """The web stock of one SAP item under ``rule``."""
    total = Decimal(0)
    for row in item.get("ItemWarehouseInfoCollection") or []:
        if not isinstance(row, Mapping):
            continue
        if rule.warehouses and str(row.get("WarehouseCode")) not in rule.warehouses:
            continue
        avail = _dec(row.get("InStock"))
        if rule.subtract_committed:
            avail -= _dec(row.get("Committed"))
        total += avail
    units = int((total - rule.safety_buffer).to_integral_value(rounding=ROUND_FLOOR))
    return max(units, 0)


@dataclass
class StockSync:
    sap: ServiceLayerClient
    shop: WooClient
    rule: StockRule = field(default_factory=StockRule)
    interval_s: float = 60.0
    #: a nudged pass waits at least this long after the previous one (under load every
    #: booked order nudges; passes must not run back to back)
    min_gap_s: float = 5.0
    clock: Callable[[], float] = time.time
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    _nudged: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    passes: int = 0
    nudges: int = 0
    #: stock values written to the shop (one per product and change)
    pushed: int = 0
    #: products whose shop stock already matched (nothing sent)
    unchanged: int = 0
    #: shop products with a SKU SAP does not know, or without managed stock
    skipped: int = 0
    failures: int = 0
    last_pass_at: float | None = None
    last_error: str | None = None

    def nudge(self) -> None:
        """Ask for a pass soon (after a significant change; at most one per
        ``min_gap_s``)."""
        self.nudges += 1
        self._nudged.set()

    async def _sap_stock(self) -> dict[str, int]:
        items = await self.sap.query(
            "Items", select="ItemCode,ItemWarehouseInfoCollection", max_pages=1000, page_size=500
        )
        return {
            str(it["ItemCode"]): effective_stock(it, self.rule)
            for it in items
            if isinstance(it, dict) and it.get("ItemCode")
        }

    async def _shop_products(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        page = 1
        while True:
            chunk = await self.shop.request(
                "GET",
                "products",
                query={"per_page": str(PAGE), "page": str(page), "orderby": "id", "order": "asc"},
            )
            rows = [p for p in chunk or [] if isinstance(p, dict)]
            out.extend(rows)
            if len(rows) < PAGE:
                return out
            page += 1

    def plan(
        self, wanted: Mapping[str, int], products: Iterable[Mapping[str, Any]]
    ) -> list[dict[str, Any]]:
        """The ``update`` entries a pass must send (only changed values)."""
        updates = []
        for p in products:
            sku = str(p.get("sku") or "")
            if not sku or sku not in wanted or not p.get("manage_stock"):
                self.skipped += 1
                continue
            if p.get("stock_quantity") == wanted[sku]:
                self.unchanged += 1
                continue
            updates.append({"id": int(p["id"]), "stock_quantity": wanted[sku]})
        return updates

    async def sync_once(self) -> list[dict[str, Any]]:
        """One pass; returns the updates sent."""
        wanted = await self._sap_stock()
        updates = self.plan(wanted, await self._shop_products())
        for i in range(0, len(updates), BATCH):
            chunk = updates[i : i + BATCH]
            result = await self.shop.request("POST", "products/batch", {"update": chunk})
            errors = [
                u for u in (result or {}).get("update", []) if isinstance(u, dict) and "error" in u
            ]
            if errors:
                raise ShopError(200, "batch_error", f"{len(errors)} stock updates refused")
            self.pushed += len(chunk)
        self.passes += 1
        self.last_pass_at = self.clock()
        if updates:
            log.info("stock_pushed", products=len(updates))
        return updates

    async def run(self) -> None:
        while not self.stop.is_set():
            self._nudged.clear()
            try:
                await self.sync_once()
                self.last_error = None
            except (ShopError, SLFailure, OSError, TimeoutError) as exc:
                self.failures += 1
                self.last_error = f"{type(exc).__name__}: {exc}"[:300]
                log.warning("stock_sync_failed", error=self.last_error)
            except Exception:
                self.failures += 1
                log.exception("stock_sync_bug")
            waited_from = asyncio.get_running_loop().time()
            waits = [
                asyncio.ensure_future(self.stop.wait()),
                asyncio.ensure_future(self._nudged.wait()),
            ]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED), self.interval_s
                )
            for w in waits:
                w.cancel()
            if self._nudged.is_set() and not self.stop.is_set():
                # nudged: not before min_gap_s after the pass, and never later than the
                # schedule would have run it (a nudge must not delay a scheduled pass)
                rest = min(self.min_gap_s, self.interval_s) - (
                    asyncio.get_running_loop().time() - waited_from
                )
                if rest > 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self.stop.wait(), rest)

    def stats(self) -> dict[str, Any]:
        return {
            "passes": self.passes,
            "nudges": self.nudges,
            "pushed": self.pushed,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "failures": self.failures,
            "last_pass_at": self.last_pass_at,
            "last_error": self.last_error,
            "rule": {
                "warehouses": list(self.rule.warehouses),
                "subtract_committed": self.rule.subtract_committed,
                "safety_buffer": self.rule.safety_buffer,
            },
        }
