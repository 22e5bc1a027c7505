"""Each timeline action is a small unit: what it asks of the stack, and what undoes it."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest

from scenarios.actions import ACTIONS, ActionContext


class FakeProxy:
    def __init__(self, calls: list[tuple[Any, ...]]) -> None:
        self.calls = calls

    async def disable(self, name: str) -> None:
        self.calls.append(("proxy.disable", name))

    async def enable(self, name: str) -> None:
        self.calls.append(("proxy.enable", name))

    async def add_toxic(self, link: str, type: str, **kw: Any) -> None:
        self.calls.append(("proxy.add_toxic", link, type, kw))

    async def remove_toxic(self, link: str, name: str) -> None:
        self.calls.append(("proxy.remove_toxic", link, name))


class FakeEnv:
    bridge_port = 18090


class FakeStack:
    sap_url = "http://sap"
    shop_url = "http://shop"
    env = FakeEnv()

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.proxy = FakeProxy(self.calls)

    def __getattr__(self, name: str) -> Any:
        if name.endswith(("_bridge", "_sap", "_broker")):

            async def call() -> None:
                self.calls.append((name,))

            return call
        raise AttributeError(name)


def _ctx() -> tuple[FakeStack, ActionContext, list[str]]:
    stack = FakeStack()
    changes: list[str] = []

    async def admin(method: str, url: str, body: Any = None) -> Any:
        stack.calls.append((method, url, body))
        return {"id": body.get("id")} if isinstance(body, dict) and "id" in body else {}

    ctx = ActionContext(
        stack=stack,  # type: ignore[arg-type]
        admin=admin,
        rng=random.Random(1),
        on_change=lambda e, n: changes.append(f"{e}:{n}"),
    )
    return stack, ctx, changes


async def _run(name: str, params: dict[str, Any]) -> tuple[FakeStack, Any, ActionContext]:
    stack, ctx, _ = _ctx()
    undo = await ACTIONS[name].run(ctx, params, f"{name}@1")
    return stack, undo, ctx


async def test_sap_fault_posts_the_rule_and_undo_deletes_it() -> None:
    rule = {"fault": "http_error", "probability": 0.5}
    stack, undo, _ = await _run("sap_fault", {"rule": rule})
    assert stack.calls == [("POST", "http://sap/__admin/faults", {**rule, "id": "sap_fault@1"})]
    await undo()
    assert stack.calls[-1] == ("DELETE", "http://sap/__admin/faults/sap_fault@1", None)


async def test_sap_guard_on_and_off() -> None:
    stack, undo, _ = await _run("sap_guard", {"on": True})
    assert undo is None
    assert stack.calls == [("PUT", "http://sap/__admin/uniqueness-guard", {"udf": "U_IdemKey"})]
    stack, _, _ = await _run("sap_guard", {"on": False})
    assert stack.calls == [("PUT", "http://sap/__admin/uniqueness-guard", {"udf": None})]


async def test_shop_chaos_is_seeded_and_undone_by_reset() -> None:
    stack, undo, _ = await _run("shop_chaos", {"settings": {"copies": {1: 1, 2: 1}}})
    method, url, body = stack.calls[0]
    assert (method, url) == ("PUT", "http://shop/__admin/chaos")
    assert body["copies"] == {"1": 1, "2": 1} and body["seed"] == random.Random(1).getrandbits(31)
    await undo()
    assert stack.calls[-1] == ("POST", "http://shop/__admin/chaos/reset", None)


async def test_partition_and_heal() -> None:
    stack, ctx, changes = _ctx()
    undo = await ACTIONS["partition"].run(ctx, {"link": "bridge_to_sap"}, "p@1")
    assert stack.calls == [("proxy.disable", "bridge_to_sap")]
    ctx.active["p@1"] = undo
    await ACTIONS["heal"].run(ctx, {}, "heal@2")
    assert stack.calls[-1] == ("proxy.enable", "bridge_to_sap")
    assert ctx.active == {} and changes == ["off:p@1"]


async def test_toxic_added_with_its_attributes_and_removed() -> None:
    params = {"link": "bridge_to_shop", "type": "latency", "attributes": {"latency": 800}}
    stack, undo, _ = await _run("toxic", params)
    assert stack.calls == [
        (
            "proxy.add_toxic",
            "bridge_to_shop",
            "latency",
            {"stream": "downstream", "name": "toxic@1", "toxicity": 1.0, "latency": 800},
        )
    ]
    await undo()
    assert stack.calls[-1] == ("proxy.remove_toxic", "bridge_to_shop", "toxic@1")


async def test_bridge_kill_restarts_after_down_s() -> None:
    stack, undo, _ = await _run("bridge_kill", {"down_s": 0})
    assert undo is None and stack.calls == [("kill_bridge",), ("start_bridge",)]
    stack, undo, _ = await _run("bridge_kill", {"restart": False})
    assert stack.calls == [("kill_bridge",)]
    await undo()
    assert stack.calls == [("kill_bridge",), ("start_bridge",)]


async def test_crash_loop_is_seeded_and_records_each_kill() -> None:
    stack, ctx, changes = _ctx()
    params = {"count": 3, "min_gap_s": 0.01, "max_gap_s": 0.02, "down_s": 0}
    await ACTIONS["bridge_crash_loop"].run(ctx, params, "loop@1")
    await asyncio.gather(*ctx.tasks)
    assert stack.calls == [("kill_bridge",), ("start_bridge",)] * 3
    assert changes == [
        "on:loop@1#1",
        "off:loop@1#1",
        "on:loop@1#2",
        "off:loop@1#2",
        "on:loop@1#3",
        "off:loop@1#3",
    ]


@pytest.mark.parametrize(
    ("name", "call"),
    [
        ("sap_restart", ("restart_sap",)),
        ("bridge_restart", ("restart_bridge",)),
        ("broker_start", ("start_broker",)),
    ],
)
async def test_process_actions(name: str, call: tuple[str]) -> None:
    stack, undo, _ = await _run(name, {})
    assert undo is None and stack.calls == [call]


@pytest.mark.parametrize(
    ("name", "call"), [("broker_stop", "stop_broker"), ("broker_kill", "kill_broker")]
)
async def test_broker_outages_are_undone_by_a_start(name: str, call: str) -> None:
    stack, undo, _ = await _run(name, {})
    await undo()
    assert stack.calls == [(call,), ("start_broker",)]


async def test_backoffice_and_dlq_replay_call_their_admin_apis() -> None:
    stack, _, _ = await _run("sap_backoffice", {})
    assert stack.calls == [("POST", "http://sap/__admin/backoffice/tick", None)]
    stack, _, _ = await _run("bridge_dlq_replay", {})
    assert stack.calls == [("POST", "http://127.0.0.1:18090/ops/dlq/replay-all", None)]


def test_every_action_is_documented_and_validates_its_params() -> None:
    for name, action in ACTIONS.items():
        assert action.help, name
        for pname, spec in action.params.items():
            assert spec.problem(object()) is not None, (name, pname)
