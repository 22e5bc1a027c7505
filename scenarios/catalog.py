"""The scenario catalog: each scenario is a named, seeded recipe for the embedded stack.

This round ships the walking-skeleton scenarios; the full catalog (timelines of faults
and heals, partitions through the proxy, process kills) grows here, one entry each.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from scenarios.stack import EmbeddedStack, StackSettings

Timeline = Callable[[EmbeddedStack], Coroutine[Any, Any, None]]


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    orders: int
    #: builds the stack settings for a seed (so every random choice derives from it)
    settings: Callable[[int], StackSettings]
    #: the faults the report lists (what this scenario injects, for humans and CI)
    faults: list[dict[str, Any]] = field(default_factory=list)
    timeout_s: float = 120.0
    #: faults and heals over time, run alongside the load (None: nothing happens)
    timeline: Timeline | None = None


def _smoke(seed: int) -> StackSettings:
    return StackSettings(seed=seed, shop_chaos={"copies": {1: 1, 2: 1, 3: 1}})


def _duplicates(seed: int) -> StackSettings:
    return StackSettings(
        seed=seed,
        shop_chaos={
            "copies": {1: 1, 2: 1, 3: 1, 4: 1, 5: 1},
            "reorder_p": 0.5,
            "reorder_window_ms": 300,
        },
    )


_LOST_REPLIES = {
    "id": "lost-replies-30",
    "fault": "commit_then_fail",
    "methods": ["POST"],
    "entity_set": "Orders",
    "probability": 0.3,
    "params": {"outcome": "error", "status": [502, 504]},
}


def _lost_replies(seed: int) -> StackSettings:
    return StackSettings(seed=seed, sap_fault_rules=[_LOST_REPLIES])


_FLAKY = {
    "id": "flaky-5xx-20",
    "fault": "http_error",
    "methods": ["POST"],
    "entity_set": "Orders",
    "probability": 0.2,
    "params": {"status": [500, 502, 503], "style": "sl"},
}


def _flaky(seed: int) -> StackSettings:
    return StackSettings(
        seed=seed, sap_fault_rules=[_FLAKY], bridge_overrides={"retry": _fast_retry()}
    )


def _fast_retry() -> Any:
    from bridge.config import RetryPolicy

    return RetryPolicy(base_s=0.05, cap_s=1.0, max_attempts=30, max_age_s=600.0)


async def _partition_sap(stack: EmbeddedStack) -> None:
    """Cut the bridge→SAP link for 3 s shortly after the orders start, then heal it."""
    assert stack.proxy is not None, "the sap-partition scenario needs the proxy"
    await asyncio.sleep(0.3)
    async with stack.proxy.down("bridge_to_sap"):
        await asyncio.sleep(3.0)


def _flaky_free(seed: int) -> StackSettings:
    return StackSettings(seed=seed, bridge_overrides={"retry": _fast_retry()})


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "smoke",
            "200 orders, every order.created webhook delivered 1–3 times (the demo)",
            200,
            _smoke,
            [{"kind": "webhook_copies", "copies": "1-3"}],
        ),
        Scenario(
            "duplicates",
            "every webhook delivered 1–5 times, half of the copies reordered within 300 ms",
            200,
            _duplicates,
            [{"kind": "webhook_copies", "copies": "1-5"}, {"kind": "webhook_reorder", "p": 0.5}],
        ),
        Scenario(
            "lost-replies",
            "30 % of SAP order creates commit and then answer 502/504 (the reply is lost)",
            200,
            _lost_replies,
            [{"kind": "sap_fault", **_LOST_REPLIES}],
        ),
        Scenario(
            "flaky-sap",
            "20 % of SAP order creates fail with 500/502/503 before committing",
            200,
            _flaky,
            [{"kind": "sap_fault", **_FLAKY}],
        ),
        Scenario(
            "sap-partition",
            "the bridge→SAP link is down for 3 s while orders arrive (proxy disabled, then healed)",
            200,
            _flaky_free,
            [{"kind": "partition", "link": "bridge_to_sap", "after_s": 0.3, "duration_s": 3.0}],
            timeline=_partition_sap,
        ),
    )
}
