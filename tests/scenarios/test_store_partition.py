"""The ``store-partition`` scenario: two reference bridge instances (child processes) on one
PostgreSQL schema behind the harness's balancer; instance b's store link refused, then
instance a's black-holed. The run (shortened here: 10 s windows instead of 75 s, ~100
orders) must pass — 0 lost, 0 duplicates, no delivery failed, the webhook never disabled —
with each sick instance taken out by ``/readyz`` and put back after the heal, and the run's
schema dropped afterwards. Also: the file keeps its 75 s windows, and the schema checks the
new keys and the ``store_partition`` action."""

from __future__ import annotations

import dataclasses
import io
import json
import random
from pathlib import Path

import asyncpg
import pytest

from scenarios import nginx_balancer
from scenarios.actions import ACTIONS, PROCESS_ACTIONS, ActionContext
from scenarios.instances import (
    DEFAULT_POSTGRES_URL,
    instance_dsn,
    instance_names,
    postgres_url,
    store_link,
)
from scenarios.nginx_balancer import RECIPE, render
from scenarios.runner import run_scenario
from scenarios.schema import Scenario, load_scenario, validate_file

PG = postgres_url()


def shortened(s: Scenario, window_s: float, rate: float = 3.0) -> Scenario:
    """The catalog scenario with shorter windows and the load to cover them."""
    first, second = s.timeline
    timeline = (
        dataclasses.replace(first, at_s=3.0, duration_s=window_s),
        dataclasses.replace(second, at_s=3.0 + window_s + 4.0, duration_s=window_s),
    )
    orders = int(rate * (2 * window_s + 12))
    load = dataclasses.replace(s.load, orders=orders, rate=rate)
    return dataclasses.replace(s, timeline=timeline, load=load)


def test_the_catalog_file_keeps_75_s_refused_then_black_holed() -> None:
    s = load_scenario("store-partition")
    assert s.stack.bridge_instances == 2 and s.needs_bridge_process
    windows = [(e.action, e.params["instance"], e.params["mode"], e.duration_s) for e in s.timeline]
    assert windows == [
        ("store_partition", "b", "refused", 75.0),
        ("store_partition", "a", "blackhole", 75.0),
    ]
    assert s.expect.webhook_active and s.expect.delivery_failures_max == 0
    assert s.expect.delivery_max_s == 15


BASE = """\
description = "x"
[load]
orders = 5
[stack]
bridge_instances = {n}
[[timeline]]
at_s = 1
action = "store_partition"
instance = "{instance}"
mode = "{mode}"
[[timeline]]
at_s = 2
action = "partition"
link = "{link}"
[expect]
webhook_active = {active}
"""


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"n": 9}, "stack.bridge_instances must be within 1..8"),
        ({"instance": "z"}, "timeline[0].instance must be one of a, b"),
        ({"mode": "slow"}, "timeline[0].mode must be one of refused, blackhole"),
        ({"link": "bridge_z_to_store"}, "or bridge_<a..h>_to_store"),
        ({"active": '"yes"'}, "expect.webhook_active must be true or false"),
    ],
)
def test_schema_errors(tmp_path: Path, fields: dict[str, object], message: str) -> None:
    values: dict[str, object] = {
        "n": 2,
        "instance": "b",
        "mode": "blackhole",
        "link": "bridge_a_to_store",
        "active": "true",
    }
    good = tmp_path / "good.toml"
    good.write_text(BASE.format(**values))
    assert validate_file(good) == []
    bad = tmp_path / "bad.toml"
    bad.write_text(BASE.format(**{**values, **fields}))
    errors = validate_file(bad)
    assert len(errors) == 1 and message in errors[0], errors
    assert errors[0].startswith(f"{bad}:") and errors[0].split(":")[1].isdigit()


def test_instance_names_and_dsns() -> None:
    assert instance_names(2) == ("a", "b") and store_link("b") == "bridge_b_to_store"
    with pytest.raises(ValueError, match=r"within 1\.\.8"):
        instance_names(9)
    assert (
        instance_dsn("postgresql://postgres@127.0.0.1:5432/test", "127.0.0.1:40001", "s1")
        == "postgresql://postgres@127.0.0.1:40001/test?schema=s1"
    )
    assert (
        instance_dsn("postgresql://u:pw@db:5432/x?sslmode=disable", "127.0.0.1:1", "s")
        == "postgresql://u:pw@127.0.0.1:1/x?sslmode=disable&schema=s"
    )
    assert DEFAULT_POSTGRES_URL.endswith("/test")


async def _run_schemas() -> set[str]:
    conn = await asyncpg.connect(PG)
    try:
        rows = await conn.fetch(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'sapchaos_run_%'"
        )
    finally:
        await conn.close()
    return {r["nspname"] for r in rows}


async def test_store_partition_shortened_passes(tmp_path: Path) -> None:
    before = await _run_schemas()
    s = shortened(load_scenario("store-partition"), window_s=10.0)
    out = io.StringIO()
    report = await run_scenario(s, seed=3, run_dir=tmp_path / "run", out=out, progress_stream=None)
    assert report["verdict"] == "pass", out.getvalue()
    counts = report["counts"]
    assert counts["orders"] == s.load.orders == counts["sap_orders"]
    assert counts["lost"] == 0 and counts["duplicates"] == 0
    assert counts["webhook_failures"] == 0 and counts["webhooks_disabled"] == 0
    assert {k: v["ok"] for k, v in report["expectations"].items()} == {
        "settled": True,
        "drain_after_heal": True,
        "dlq_entries": True,
        "webhook_active": True,
        "delivery_failures": True,
        "delivery_time": True,
    }
    # no delivery held the shop's connection near its 60 s timeout
    assert 0 < counts["delivery_max_ms"] <= 15_000
    windows = [w["name"] for w in report["fault_windows"]]
    assert len(windows) == 2 and all(w.startswith("store_partition@") for w in windows)

    lb = json.loads((tmp_path / "run" / "balancer.json").read_text())
    inst = {i["name"]: i for i in lb["instances"]}
    assert lb["exhausted"] == 0
    for name in ("a", "b"):
        events = [c["event"] for c in inst[name]["changes"]]
        # each instance was sick once: taken out by /readyz (or a failed request) and back
        assert any(e.startswith("not ready") for e in events), (name, events)
        assert events[-1] == "ready" and inst[name]["in"], (name, events)
        assert inst[name]["answered"] > 0
    # both instances' logs are in the run folder
    assert (tmp_path / "run" / "bridge-a.log").stat().st_size > 0
    assert (tmp_path / "run" / "bridge-b.log").stat().st_size > 0
    assert await _run_schemas() <= before  # the run's schema is gone


def test_nginx_recipe_rendered_for_the_run() -> None:
    conf = render(
        RECIPE.read_text("utf-8"),
        [("a", "127.0.0.1:4001"), ("b", "127.0.0.1:4002"), ("c", "127.0.0.1:4003")],
        4000,
    )
    servers = [ln.strip() for ln in conf.splitlines() if ln.strip().startswith("server 127")]
    assert servers == [
        f"server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;" for p in (4001, 4002, 4003)
    ]
    assert "listen 127.0.0.1:4000;" in conf and "bridge-a" not in conf
    assert "proxy_next_upstream error timeout http_502 http_503 http_504 non_idempotent" in conf


async def test_nginx_missing_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(nginx_balancer, "find_nginx", lambda: None)
    lb = nginx_balancer.NginxBalancer([("a", "127.0.0.1:1")], port=1, workdir=tmp_path)
    with pytest.raises(nginx_balancer.NginxError, match="needs the nginx binary on PATH"):
        await lb.start()


async def test_store_partition_behind_the_real_nginx_recipe(tmp_path: Path) -> None:
    """The same scenario with ``stack.balancer = "nginx"``: ``deploy/nginx.conf`` itself in
    front of the instances (CI installs nginx; a missing binary fails, not skips)."""
    s = shortened(load_scenario("store-partition"), window_s=6.0)
    s = dataclasses.replace(s, stack=dataclasses.replace(s.stack, balancer="nginx"))
    out = io.StringIO()
    report = await run_scenario(s, seed=5, run_dir=tmp_path / "run", out=out, progress_stream=None)
    assert report["verdict"] == "pass", out.getvalue()
    assert report["counts"]["webhook_failures"] == 0 and report["counts"]["lost"] == 0
    lb = json.loads((tmp_path / "run" / "balancer.json").read_text())
    assert lb["kind"] == "nginx" and [i["name"] for i in lb["instances"]] == ["a", "b"]
    conf = (tmp_path / "run" / "nginx" / "nginx.conf").read_text()
    assert all(i["address"] in conf for i in lb["instances"])


class _Proxy:
    def __init__(self, calls: list[tuple[object, ...]]) -> None:
        self.calls = calls

    async def disable(self, name: str) -> None:
        self.calls.append(("disable", name))

    async def enable(self, name: str) -> None:
        self.calls.append(("enable", name))

    async def add_toxic(self, link: str, kind: str, **kw: object) -> None:
        self.calls.append(("add_toxic", link, kind, kw))

    async def remove_toxic(self, link: str, name: str) -> None:
        self.calls.append(("remove_toxic", link, name))


class _Stack:
    """What the instance actions ask of ``EmbeddedStack`` (two instances)."""

    sap_url = shop_url = "http://unused"

    def __init__(self) -> None:
        self.calls: list[tuple[object, ...]] = []
        self.proxy = _Proxy(self.calls)
        self.links = {"bridge_a_to_store": "127.0.0.1:1", "bridge_b_to_store": "127.0.0.1:2"}

    async def kill_instance(self, name: str) -> None:
        self.calls.append(("kill_instance", name))

    async def start_instance(self, name: str) -> None:
        self.calls.append(("start_instance", name))


def _context(stack: object) -> ActionContext:
    async def admin(method: str, url: str, body: object = None) -> object:
        raise AssertionError("no admin call expected")

    return ActionContext(stack=stack, admin=admin, rng=random.Random(1))  # type: ignore[arg-type]


async def test_store_partition_refused_and_blackhole_and_their_undo() -> None:
    stack = _Stack()
    ctx = _context(stack)
    undo = await ACTIONS["store_partition"].run(ctx, {"instance": "b"}, "sp@1")
    assert stack.calls == [("disable", "bridge_b_to_store")]
    assert undo is not None
    await undo()
    assert stack.calls[-1] == ("enable", "bridge_b_to_store")
    stack.calls.clear()
    undo = await ACTIONS["store_partition"].run(ctx, {"instance": "a", "mode": "blackhole"}, "sp@2")
    assert stack.calls == [
        (
            "add_toxic",
            "bridge_a_to_store",
            "timeout",
            {"stream": s, "name": f"sp@2-{s}", "timeout": 0},
        )
        for s in ("upstream", "downstream")
    ]
    assert undo is not None
    await undo()
    assert stack.calls[2:] == [
        ("remove_toxic", "bridge_a_to_store", "sp@2-upstream"),
        ("remove_toxic", "bridge_a_to_store", "sp@2-downstream"),
    ]


async def test_store_partition_without_instances_is_a_clear_error() -> None:
    stack = _Stack()
    stack.links = {}
    with pytest.raises(RuntimeError, match=r"needs stack\.bridge_instances > 1"):
        await ACTIONS["store_partition"].run(_context(stack), {"instance": "a"}, "sp@1")


async def test_instance_kill_restarts_or_leaves_it_to_the_undo() -> None:
    stack = _Stack()
    ctx = _context(stack)
    assert await ACTIONS["instance_kill"].run(ctx, {"instance": "b", "down_s": 0}, "k@1") is None
    assert stack.calls == [("kill_instance", "b"), ("start_instance", "b")]
    stack.calls.clear()
    undo = await ACTIONS["instance_kill"].run(ctx, {"instance": "a", "restart": False}, "k@2")
    assert stack.calls == [("kill_instance", "a")] and undo is not None
    await undo()
    assert stack.calls[-1] == ("start_instance", "a")
    assert "instance_kill" in PROCESS_ACTIONS
