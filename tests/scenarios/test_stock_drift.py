"""The stock scenario: ``[stock]`` declares the rule, turns on the reference bridge's stock
sync and fakesap's back-office drift; the stack gathers SAP's items and the shop's
products once SAP held still for one sync period; the oracle's ``stock_drift`` passes when
the bridge follows and fails when it does not (stock sync off)."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import random
import tomllib
from pathlib import Path
from typing import Any

import pytest

from bridge.stock import StockSync, effective_stock
from scenarios.actions import ACTIONS, ActionContext
from scenarios.oracle.contract import Contract
from scenarios.oracle.invariants import INVARIANTS
from scenarios.oracle.stock import stock_rule_of
from scenarios.runner import run_scenario, stack_settings
from scenarios.schema import ScenarioError, load_scenario, validate_file
from scenarios.stack import EmbeddedStack, StackSettings
from scenarios.stock import MAX_STILL_ROUNDS, StockPlan, parse_stock, stock_truth

BASE = """
description = "x"
[load]
orders = 2
"""


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "s.toml"
    p.write_text(BASE + text)
    return p


# ---------------------------------------------------------------------- the file's table
def test_the_catalog_file_declares_the_rule_and_the_drift() -> None:
    s = load_scenario("stock-drift")
    assert s.stock == StockPlan(
        warehouses=("01",), safety_buffer=2, interval_s=1.0, grace_s=1.5, drift_max_units=8
    )
    assert [e.action for e in s.timeline] == ["stock_drift"] * 3
    assert not ACTIONS["stock_drift"].fault


def test_stock_table_errors_name_their_line(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        '[stock]\nwarehouses = "01"\nsafety_buffer = -1\ninterval_s = 0\nsync = "yes"\ncolour = 1\n',
    )
    errors = validate_file(p)
    text = "\n".join(errors)
    assert len(errors) == 5, text
    assert f"{p}:6: stock.warehouses must be an array" in text
    assert f"{p}:7: stock.safety_buffer must be >= 0" in text
    assert f"{p}:8: stock.interval_s must be >= 0.1" in text
    assert f"{p}:9: stock.sync must be true or false" in text
    assert f"{p}:10: unknown key 'stock.colour'" in text


def test_stock_drift_action_needs_the_table(tmp_path: Path) -> None:
    p = _write(tmp_path, '[[timeline]]\nat_s = 1\naction = "stock_drift"\nmoves = 0\n')
    errors = validate_file(p)
    assert any("timeline[0].moves must be > 0" in e for e in errors), errors
    assert any("(stock_drift) needs a [stock] table" in e for e in errors), errors
    with pytest.raises(ScenarioError):
        load_scenario(p)


def test_parse_defaults_and_exports() -> None:
    plan, errors = parse_stock({"warehouses": ["01", "02"], "safety_buffer": 3})
    assert errors == [] and plan is not None
    assert plan.rule() == {
        "warehouses": ["01", "02"],
        "subtract_committed": True,
        "safety_buffer": 3,
    }
    assert plan.bridge_settings() == {
        "stock_sync_interval_s": 1.0,
        "stock_warehouses": ("01", "02"),
        "stock_subtract_committed": True,
        "stock_safety_buffer": 3,
    }
    assert dataclasses.replace(plan, sync=False).bridge_settings() == {}
    assert plan.backoffice(7)["stock_drift_max_units"] == 5 and plan.period_s == 2.5
    assert parse_stock([1])[0] is None


def test_the_bridge_config_file_carries_the_stock_settings(tmp_path: Path) -> None:
    """A foreign ``sapchaos bridge serve`` gets the same rule through SAPCHAOS_BRIDGE_CONFIG."""
    s = load_scenario("stock-drift")
    settings = stack_settings(s, seed=1, bridge_cmd=None, bridge_url=None, run_dir=tmp_path)
    assert settings.stock == s.stock
    stack = EmbeddedStack(settings)
    stack.run_dir = tmp_path
    conf = tomllib.loads(stack._bridge_config_file().read_text())["bridge"]
    assert conf["stock_sync_interval_s"] == 1.0 and conf["stock_warehouses"] == ["01"]
    assert conf["stock_safety_buffer"] == 2 and conf["stock_subtract_committed"] is True
    from bridge.config import BridgeConfig

    cfg = BridgeConfig().replace(**stack._bridge_settings())
    assert cfg.stock_sync_interval_s == 1.0 and cfg.stock_warehouses == ("01",)


# ---------------------------------------------------------------------- the action
class _Stack:
    sap_url = "http://sap"
    shop_url = "http://shop"


async def test_the_action_ticks_the_back_office_and_refuses_a_drift_that_moved_nothing() -> None:
    calls: list[tuple[str, str]] = []
    moved = [1, 0, 1]

    async def admin(method: str, url: str, body: Any = None) -> Any:
        calls.append((method, url))
        return {"stock_moves": moved.pop(0) if moved else 0}

    ctx = ActionContext(stack=_Stack(), admin=admin, rng=random.Random(1))  # type: ignore[arg-type]
    assert await ACTIONS["stock_drift"].run(ctx, {"moves": 3}, "l") is None
    assert calls == [("POST", "http://sap/__admin/backoffice/tick")] * 3
    with pytest.raises(RuntimeError, match="moved no stock"):
        await ACTIONS["stock_drift"].run(ctx, {"moves": 2}, "l")


# ---------------------------------------------------------------------- the truth read
async def test_the_truth_waits_until_sap_held_still_for_one_period() -> None:
    def item(n: int) -> dict[str, Any]:
        rows = [{"WarehouseCode": "01", "InStock": str(n), "Committed": "0"}]
        return {"ItemCode": "A", "ItemWarehouseInfoCollection": rows}

    seen = [item(1), item(2), item(3), item(3)]
    reads: list[str] = []
    slept: list[float] = []

    def sap() -> list[dict[str, Any]]:
        reads.append("sap")
        return [seen.pop(0)]

    def shop() -> list[dict[str, Any]]:
        reads.append("shop")
        return [{"id": 1}]

    async def sleep(s: float) -> None:
        slept.append(s)

    plan = StockPlan(interval_s=2.0, grace_s=0.5)
    items, products = await stock_truth(plan, sap, shop, sleep=sleep)
    assert items == [item(3)] and products == [{"id": 1}]
    assert reads == ["sap", "sap", "sap", "sap", "shop"]  # the shop is read after SAP held
    assert slept == [2.5, 2.5, 2.5]

    counter = iter(range(100))
    slept.clear()
    items, _ = await stock_truth(plan, lambda: [item(next(counter))], shop, sleep=sleep)
    assert len(slept) == MAX_STILL_ROUNDS  # SAP never held still: judged on the latest
    assert items == [item(MAX_STILL_ROUNDS)]


# ---------------------------------------------------------------------- the bridge's loop
class _Recorder(StockSync):
    async def sync_once(self) -> list[dict[str, Any]]:
        self.passes += 1
        return []


async def test_a_nudge_never_delays_the_scheduled_pass() -> None:
    """A nudge right after a pass must not push the next one to ``min_gap_s`` when the
    schedule comes sooner (found by this scenario: booked orders kept the shop stale)."""
    sync = _Recorder(sap=None, shop=None, interval_s=0.05, min_gap_s=3600.0)  # type: ignore[arg-type]
    task = asyncio.create_task(sync.run())
    try:
        while sync.passes < 1:
            await asyncio.sleep(0.01)
        sync.nudge()
        await asyncio.wait_for(_until(lambda: sync.passes >= 3), 60)
    finally:
        sync.stop.set()
        await asyncio.wait_for(task, 60)


async def _until(cond: Any) -> None:
    while not cond():
        await asyncio.sleep(0.01)


# ---------------------------------------------------------------------- end to end
async def test_the_stack_gathers_what_stock_drift_needs(tmp_path: Path) -> None:
    plan = StockPlan(warehouses=("01",), safety_buffer=1, interval_s=0.5, grace_s=1.0)
    settings = StackSettings(seed=4, stock=plan, run_dir=tmp_path, quiet_s=1.0)
    async with EmbeddedStack(settings) as stack:
        before = {p["sku"]: p["stock_quantity"] for p in stack._shop_products()}
        moved = 0
        for _ in range(6):
            done = await stack._admin("POST", f"{stack.sap_url}/__admin/backoffice/tick")
            moved += done["stock_moves"]
        h = await stack.histories()
    assert moved >= 4
    assert h.stock_rule == plan.rule()
    assert len(h.sap_items) >= 10 and len(h.shop_products) >= 10
    rule = stock_rule_of(h.stock_rule)
    items = {i["ItemCode"]: i for i in h.sap_items}
    after = {p["sku"]: p["stock_quantity"] for p in h.shop_products if p.get("manage_stock")}
    assert after and all(q == effective_stock(items[s], rule) for s, q in after.items())
    assert after != before  # the bridge wrote the rule's stock to the shop
    assert INVARIANTS["stock_drift"](h, Contract()) == []
    # the same truth with the shop one step behind SAP fails the invariant
    stale = [dict(p, stock_quantity=(p["stock_quantity"] or 0) + 1) for p in h.shop_products]
    lagging = dataclasses.replace(h, shop_products=stale)
    assert len(INVARIANTS["stock_drift"](lagging, Contract())) == len(after)


async def test_the_catalog_scenario_passes_with_the_reference_bridge(tmp_path: Path) -> None:
    out = io.StringIO()
    report = await run_scenario(
        load_scenario("stock-drift"), seed=1, run_dir=tmp_path, out=out, progress_stream=None
    )
    assert report["verdict"] == "pass", out.getvalue()
    assert report["invariants"]["stock_drift"] == {"ok": True, "violations": []}


async def test_without_stock_sync_the_oracle_fails(tmp_path: Path) -> None:
    s = load_scenario("stock-drift")
    assert s.stock is not None
    s = dataclasses.replace(s, stock=dataclasses.replace(s.stock, sync=False))
    out = io.StringIO()
    report = await run_scenario(s, seed=1, run_dir=tmp_path, out=out, progress_stream=None)
    assert report["verdict"] == "fail"
    stock = report["invariants"]["stock_drift"]
    assert not stock["ok"] and len(stock["violations"]) >= 10, out.getvalue()
    failed = [k for k, v in report["invariants"].items() if not v["ok"]]
    assert failed == ["stock_drift"]  # the orders themselves were fine


async def test_a_bridge_that_syncs_by_another_rule_fails(tmp_path: Path) -> None:
    """The oracle judges the declared rule, not merely "the shop was written": a bridge that
    sells from every warehouse without the buffer leaves every product off the rule."""
    plan = StockPlan(warehouses=("01",), safety_buffer=2, interval_s=0.5, grace_s=1.0)
    settings = StackSettings(
        seed=6,
        stock=plan,
        run_dir=tmp_path,
        bridge_overrides={"stock_warehouses": (), "stock_safety_buffer": 0},
    )
    async with EmbeddedStack(settings) as stack:
        for _ in range(4):
            await stack._admin("POST", f"{stack.sap_url}/__admin/backoffice/tick")
        h = await stack.histories()
    assert h.stock_rule == plan.rule()
    violations = INVARIANTS["stock_drift"](h, Contract())
    managed = [p for p in h.shop_products if p.get("manage_stock")]
    assert managed and len(violations) == len(managed)
    assert all(v["found"] > v["expected"] for v in violations)  # it oversells
