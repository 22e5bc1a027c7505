"""A scenario's stock rule: the ``[stock]`` table, what it switches on, and the stock truth.

A run that declares ``[stock]`` tests stock sync — SAP Business One is the stock master and
the shop must show what the rule says can be sold. The table does three things:

* it is the rule the oracle's ``stock_drift`` invariant judges by (``Histories.stock_rule``:
  the warehouses that feed the web, in stock − committed, minus a safety buffer);
* it turns on the reference bridge's stock sync with that rule and ``interval_s`` (the
  ``stock_*`` settings of ``[bridge]``, exported like the rest of the bridge tuning; a
  foreign bridge gets the same TOML file and runs its own sync its own way), unless
  ``sync = false`` — a run that shows the oracle fail;
* it sets up fakesap's back office so that every pass (``stock_drift`` action,
  ``POST /__admin/backoffice/tick``) posts one goods receipt or goods issue of up to
  ``drift_max_units`` units in one warehouse — what SAP users do by hand between the
  integration's calls.

``stock_truth`` reads the ground truth the invariant needs after the run has been still
for one sync period: it snapshots SAP's items, waits ``interval_s + grace_s``, and only
when SAP's stock did not move in between reads the shop's products. So a shop that lags
SAP by more than one sync period fails; one that follows within it passes.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["STOCK_KEYS", "StockPlan", "parse_stock", "stock_truth"]

#: the keys of a scenario's ``[stock]`` table
STOCK_KEYS = {
    "warehouses": "warehouse codes that feed the web (empty: all)",
    "subtract_committed": "in stock − committed (true) or in stock alone",
    "safety_buffer": "units kept back per product",
    "interval_s": "the bridge's stock sync period (seconds)",
    "grace_s": "slack on top of one period before the shop is judged",
    "sync": "turn the reference bridge's stock sync on (false: show the oracle fail)",
    "drift_max_units": "largest goods receipt/issue of one back-office pass",
}

#: how often the end-of-run read waits for SAP's stock to hold still before judging anyway
MAX_STILL_ROUNDS = 5


@dataclass(frozen=True)
class StockPlan:
    """The ``[stock]`` table of a scenario file."""

    warehouses: tuple[str, ...] = ()
    subtract_committed: bool = True
    safety_buffer: int = 0
    interval_s: float = 1.0
    grace_s: float = 1.5
    sync: bool = True
    drift_max_units: int = 5

    def rule(self) -> dict[str, Any]:
        """The rule in the JSON form ``Histories.stock_rule`` and ``/ops/stats`` use."""
        return {
            "warehouses": list(self.warehouses),
            "subtract_committed": self.subtract_committed,
            "safety_buffer": self.safety_buffer,
        }

    def bridge_settings(self) -> dict[str, Any]:
        """The reference bridge's ``stock_*`` settings (empty when ``sync`` is off)."""
        if not self.sync:
            return {}
        return {
            "stock_sync_interval_s": self.interval_s,
            "stock_warehouses": self.warehouses,
            "stock_subtract_committed": self.subtract_committed,
            "stock_safety_buffer": self.safety_buffer,
        }

    def backoffice(self, seed: int) -> dict[str, Any]:
        """fakesap's ``BackOfficeConfig`` fields: no loop of its own (the timeline drives
        it), and one stock move on every pass."""
        return {
            "enabled": False,
            "seed": seed,
            "stock_drift_s": 1e-6,
            "stock_drift_max_units": self.drift_max_units,
        }

    @property
    def period_s(self) -> float:
        """One sync period plus the grace: how long the shop may lag SAP."""
        return self.interval_s + self.grace_s


def parse_stock(raw: Any) -> tuple[StockPlan | None, list[tuple[str, str]]]:
    """``[stock]`` → a plan, or the errors as (key, message); key "" = the table."""
    if not isinstance(raw, Mapping):
        return None, [("", "stock must be a table")]
    errors: list[tuple[str, str]] = []
    for key in raw:
        if key not in STOCK_KEYS:
            errors.append(
                (
                    str(key),
                    f"unknown key 'stock.{key}'; allowed here: {', '.join(sorted(STOCK_KEYS))}",
                )
            )

    def num(key: str, default: float, lo: float, integer: bool = False) -> Any:
        if key not in raw:
            return default
        v: Any = raw[key]
        kinds: tuple[type, ...] = (int,) if integer else (int, float)
        if isinstance(v, bool) or not isinstance(v, kinds):
            what = "an integer" if integer else "a number"
            errors.append((key, f"stock.{key} must be {what}, got {v!r}"[:160]))
            return default
        value: float = raw[key]
        if value < lo:
            errors.append((key, f"stock.{key} must be >= {lo}, got {value!r}"))
            return default
        return value

    def flag(key: str, default: bool) -> bool:
        v = raw.get(key, default)
        if not isinstance(v, bool):
            errors.append((key, f"stock.{key} must be true or false, got {v!r}"[:160]))
            return default
        return v

    whs = raw.get("warehouses", [])
    if not isinstance(whs, list) or not all(isinstance(w, str) and w for w in whs):
        errors.append(("warehouses", "stock.warehouses must be an array of warehouse codes"))
        whs = []
    plan = StockPlan(
        warehouses=tuple(whs),
        subtract_committed=flag("subtract_committed", True),
        safety_buffer=int(num("safety_buffer", 0, 0, integer=True)),
        interval_s=float(num("interval_s", StockPlan.interval_s, 0.1)),
        grace_s=float(num("grace_s", StockPlan.grace_s, 0)),
        sync=flag("sync", True),
        drift_max_units=int(num("drift_max_units", StockPlan.drift_max_units, 1, integer=True)),
    )
    return (None if errors else plan), errors


Snapshot = Callable[[], list[dict[str, Any]]]


async def stock_truth(
    plan: StockPlan,
    sap_items: Snapshot,
    shop_products: Snapshot,
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(SAP's items, the shop's products) once SAP's stock held still for one sync period
    (``plan.period_s``); after ``MAX_STILL_ROUNDS`` periods of movement, the latest."""
    items = copy.deepcopy(sap_items())
    for _ in range(MAX_STILL_ROUNDS):
        await sleep(plan.period_s)
        again = copy.deepcopy(sap_items())
        if _stock_of(again) == _stock_of(items):
            break
        items = again
    return items, copy.deepcopy(shop_products())


def _stock_of(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        str(i.get("ItemCode")): [
            (str(r.get("WarehouseCode")), str(r.get("InStock")), str(r.get("Committed")))
            for r in i.get("ItemWarehouseInfoCollection") or []
        ]
        for i in items
    }
