"""Rules, composition, windows, determinism, the admin API and the shipped profiles."""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from fakesap.faults import (
    FaultEngine,
    FaultsConfig,
    ProfileError,
    load_profile,
    parse_rule,
    shipped_profiles,
)
from fakesap.faults.base import RequestView
from fakesap.faults.latency import Latency
from tests.fakesap.test_faults_helpers import Client, binomial_interval, order_body, start

SHIPPED = (
    "calm",
    "flaky-5xx",
    "slow",
    "lost-replies",
    "late-commits",
    "line-rejects",
    "partial-docs",
    "session-churn",
    "meltdown",
)


@pytest.fixture
async def sl() -> AsyncIterator[Client]:
    async for client in start():
        yield client


def view(method: str = "GET", resource: str = "Orders", version: str = "v1") -> RequestView:
    entity = resource.split("(")[0].split("/")[0]
    return RequestView(method, f"/b1s/{version}/{resource}", version, resource, entity, None)  # type: ignore[arg-type]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# ---- engine-level -----------------------------------------------------------------------
def test_window_after_and_duration() -> None:
    clock = FakeClock()
    engine = FaultEngine(
        [parse_rule({"fault": "http_error", "after_s": 5, "duration_s": 2}, "w")], clock=clock
    )
    fired = []
    for t in (0, 4.9, 5.0, 6.9, 7.0, 100):
        clock.now = 1000.0 + t
        fired.append(engine.decide(view()) is not None)
    assert fired == [False, False, True, True, False, False]
    engine.reset()  # the window restarts with the engine
    clock.now += 5.5
    assert engine.decide(view()) is not None


def test_max_count_and_match_fields() -> None:
    engine = FaultEngine(
        [
            parse_rule(
                {
                    "fault": "rate_limit",
                    "methods": ["post"],
                    "path": "Orders",
                    "version": "v2",
                    "max_count": 3,
                },
                "m",
            )
        ],
        clock=FakeClock(),
    )
    assert engine.decide(view("GET", "Orders", "v2")) is None
    assert engine.decide(view("POST", "Orders", "v1")) is None
    assert engine.decide(view("POST", "Orders(1)/Cancel", "v2")) is None
    results = [engine.decide(view("POST", "Orders", "v2")) is not None for _ in range(6)]
    assert results == [True, True, True, False, False, False]
    assert engine.fired == {"m": 3}


def test_entity_set_glob_and_regex_matching() -> None:
    engine = FaultEngine(
        [
            parse_rule({"id": "es", "fault": "http_error", "entity_set": ["Invoices"]}, "x"),
            parse_rule({"id": "glob", "fault": "reset", "path": "Orders(*)/Cancel"}, "x"),
            parse_rule({"id": "re", "fault": "hang", "path_regex": r"^/b1s/v2/Items\("}, "x"),
        ],
        clock=FakeClock(),
    )
    assert engine.decide(view("GET", "Invoices(3)")).outcome.rule.id == "es"  # type: ignore[union-attr]
    assert engine.decide(view("POST", "Orders(1)/Cancel")).outcome.rule.id == "glob"  # type: ignore[union-attr]
    assert engine.decide(view("GET", "Items('A')", "v2")).outcome.rule.id == "re"  # type: ignore[union-attr]
    assert engine.decide(view("GET", "Items('A')", "v1")) is None


def test_composition_all_delays_then_first_outcome() -> None:
    engine = FaultEngine(
        [
            parse_rule({"id": "lat1", "fault": "latency", "params": {"ms": 1}}, "x"),
            parse_rule({"id": "err1", "fault": "http_error"}, "x"),
            parse_rule({"id": "lat2", "fault": "latency", "params": {"ms": 2}}, "x"),
            parse_rule({"id": "err2", "fault": "rate_limit"}, "x"),
        ],
        clock=FakeClock(),
    )
    decision = engine.decide(view())
    assert decision is not None
    assert [f.rule.id for f in decision.delays] == ["lat1", "lat2"]
    assert decision.outcome is not None and decision.outcome.rule.id == "err1"
    assert engine.fired == {"lat1": 1, "err1": 1, "lat2": 1, "err2": 0}
    entry = decision.journal_entry()
    assert entry["rule"] == "err1" and entry["fault"] == "http_error"
    assert [r["rule"] for r in entry["rules"]] == ["lat1", "lat2", "err1"]


def test_same_seed_same_decisions_different_seed_differs() -> None:
    def run(seed: int) -> list[tuple[str, ...]]:
        engine = load_engine("meltdown", seed)
        out = []
        for i in range(400):
            engine.clock.now = 1000.0 + 10 + i * 0.05  # type: ignore[attr-defined]
            d = engine.decide(view("POST" if i % 3 else "GET", "Orders"))
            out.append(tuple(f.rule.id + ":" + str(f.seed) for f in d.firings) if d else ())
        return out

    assert run(42) == run(42)
    assert run(42) != run(43)


def load_engine(profile: str, seed: int) -> FaultEngine:
    return FaultEngine(load_profile(profile).rules, seed=seed, clock=FakeClock(), profile=profile)


def test_lognormal_latency_matches_p50_and_p95() -> None:
    fault = Latency({"distribution": "lognormal", "p50_ms": 200, "p95_ms": 1000})
    rng = random.Random(1)
    samples = sorted(fault.sample_ms(rng) for _ in range(20_000))
    p50 = statistics.median(samples)
    p95 = samples[int(0.95 * len(samples))]
    print(f"lognormal: p50 {p50:.0f} ms (want 200), p95 {p95:.0f} ms (want 1000)")
    assert 180 <= p50 <= 220
    assert 900 <= p95 <= 1100
    uniform = Latency({"distribution": "uniform", "min_ms": 10, "max_ms": 20})
    assert all(10 <= uniform.sample_ms(rng) <= 20 for _ in range(1000))


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        ({"fault": "nope"}, "fault must be one of"),
        ({"fault": "http_error", "params": {"status": 404}}, "status 404 not supported"),
        ({"fault": "http_error", "probability": 1.5}, "probability must be between 0.0 and 1.0"),
        (
            {
                "fault": "latency",
                "params": {"distribution": "lognormal", "p50_ms": 500, "p95_ms": 100},
            },
            "p50_ms <= p95_ms",
        ),
        ({"fault": "latency", "params": {"msec": 5}}, "unknown param(s) msec"),
        ({"fault": "line_reject", "params": {}}, "give skus, line_probability"),
        ({"fault": "reset", "methods": ["FETCH"]}, "unknown HTTP method"),
        ({"fault": "reset", "path_regex": "("}, "not a valid regular expression"),
        ({"fault": "reset", "colour": "red"}, "unknown rule field(s): colour"),
        ({"fault": "reset", "max_count": -1}, "max_count must be a non-negative integer"),
        ({"fault": "reset", "target": "shop"}, "target must be"),
    ],
)
def test_bad_rules_are_refused_with_clear_message(raw: dict[str, Any], needle: str) -> None:
    with pytest.raises(ValueError, match=None) as info:
        parse_rule(raw, "r")
    assert needle in str(info.value)


# ---- over HTTP ----------------------------------------------------------------------------
async def test_admin_api_list_add_delete_reset(sl: Client) -> None:
    status, body = await sl.admin("POST", "/__admin/faults", {"fault": "bogus"})
    assert status == 400
    assert (
        body["error"]["code"] == "invalid_rule"
        and "fault must be one of" in body["error"]["message"]
    )
    status, body = await sl.admin(
        "POST", "/__admin/faults", {"fault": "latency", "params": {"ms": -1}}
    )
    assert status == 400 and body["error"]["field"] == "params"
    async with sl.http.post(sl.url("/__admin/faults"), data=b"{not json") as r:
        assert r.status == 400 and (await r.json())["error"]["code"] == "invalid_json"

    rule = await sl.add_rule(
        {"id": "five-hundred", "fault": "http_error", "path": "Orders", "max_count": 2}
    )
    assert rule["id"] == "five-hundred" and rule["fired"] == 0
    status, body = await sl.admin(
        "POST", "/__admin/faults", {"id": "five-hundred", "fault": "reset"}
    )
    assert status == 400 and "already exists" in body["error"]["message"]
    for _ in range(3):
        async with sl.http.get(sl.url("/b1s/v1/Orders")) as r:
            pass
    status, listing = await sl.admin("GET", "/__admin/faults")
    assert status == 200 and listing["seed"] == 7
    assert [(r["id"], r["fired"]) for r in listing["rules"]] == [("five-hundred", 2)]
    status, history = await sl.admin("GET", "/__admin/faults/history")
    assert [d["rules"] for d in history["decisions"]] == [["five-hundred"], ["five-hundred"]]

    status, body = await sl.admin(
        "POST", "/__admin/faults/reset", {"seed": 99, "profile": "flaky-5xx"}
    )
    assert status == 200 and body["seed"] == 99 and body["profile"] == "flaky-5xx"
    assert [r["id"] for r in body["rules"]] == ["sl-internal-error", "gateway-page"]
    status, _ = await sl.admin("DELETE", "/__admin/faults/gateway-page")
    assert status == 204
    status, body = await sl.admin("DELETE", "/__admin/faults/gateway-page")
    assert status == 404 and body["error"]["code"] == "unknown_rule"
    status, body = await sl.admin("POST", "/__admin/faults/reset", {"profile": "no-such-profile"})
    assert status == 400 and "unknown fault profile" in body["error"]["message"]
    status, body = await sl.admin("POST", "/__admin/faults/reset", {"profile": None})
    assert status == 200 and body["rules"] == []


async def test_admin_paths_are_never_faulted(sl: Client) -> None:
    await sl.add_rule({"fault": "reset"})
    await sl.add_rule({"fault": "http_error", "path": "/__admin/*"})
    status, body = await sl.admin("GET", "/__admin/faults")
    assert status == 200 and len(body["rules"]) == 2


async def test_journal_records_rule_and_same_seed_replays() -> None:
    async def run(seed: int) -> list[Any]:
        async for client in start(FaultsConfig(seed=seed, profile="flaky-5xx")):
            await client.add_rule(
                {
                    "id": "slow-post",
                    "fault": "latency",
                    "methods": ["POST"],
                    "probability": 0.5,
                    "params": {"distribution": "uniform", "min_ms": 0, "max_ms": 2},
                }
            )
            for i in range(150):
                if i % 2:
                    async with client.http.get(client.url("/b1s/v1/Orders")) as r:
                        await r.read()
                else:
                    async with client.http.post(
                        client.url("/b1s/v1/Orders"), json=order_body(i)
                    ) as r:
                        await r.read()
            _, journal = await client.admin("GET", "/__admin/journal")
            _, history = await client.admin("GET", "/__admin/faults/history")
            fired = [
                (e["method"], e["path"], e["status"], e["fault"] and e["fault"]["rule"])
                for e in journal["requests"]
                if "/__admin" not in e["path"]
            ]
            facts = [(d["seq"], d["rules"], d["facts"]) for d in history["decisions"]]
            return [fired, facts]
        raise AssertionError("unreachable")

    first, second, other = await run(5), await run(5), await run(6)
    rules_fired = {rule for *_, rule in first[0]}
    assert {"sl-internal-error", "slow-post"} <= rules_fired
    assert any("delay_ms" in fact for _, _, facts in first[1] for fact in facts)
    assert first == second
    assert first != other


async def test_time_window_over_http() -> None:
    async for sl in start():
        await sl.admin("POST", "/__admin/faults/reset", {})  # window starts now, rules cleared
        await sl.add_rule(
            {"fault": "http_error", "path": "Orders", "after_s": 0.4, "duration_s": 0.4}
        )
        t0 = time.monotonic()
        seen: list[tuple[float, int]] = []
        while time.monotonic() - t0 < 1.1:
            async with sl.http.get(sl.url("/b1s/v1/Orders")) as r:
                seen.append((time.monotonic() - t0, r.status))
            await asyncio.sleep(0.02)
        assert all(s == 200 for t, s in seen if t < 0.35)
        assert all(s == 500 for t, s in seen if 0.45 < t < 0.75)
        assert all(s == 200 for t, s in seen if t > 0.85)


async def test_probability_on_writes_and_ground_truth_agree() -> None:
    async for sl in start(FaultsConfig(seed=3)):
        await sl.add_rule(
            {
                "fault": "commit_then_fail",
                "methods": ["POST"],
                "path": "Orders",
                "probability": 0.3,
                "params": {"outcome": "error", "status": 502, "style": "sl"},
            }
        )
        n = 300
        errors = 0
        for i in range(n):
            async with sl.http.post(sl.url("/b1s/v1/Orders"), json=order_body(i)) as r:
                errors += r.status == 502
        lo, hi = binomial_interval(n, 0.3)
        assert lo <= errors <= hi
        assert len(await sl.documents()) == n  # every request committed, 5xx or not


# ---- profiles -----------------------------------------------------------------------------
def test_every_shipped_profile_loads_with_a_description_comment() -> None:
    assert set(shipped_profiles()) == set(SHIPPED)
    for name, path in shipped_profiles().items():
        profile = load_profile(name)
        assert profile.description
        assert path.read_text().startswith(f"# {name} — ")
        kinds = {r.fault_kind for r in profile.rules}
        assert kinds == {"latency"} if name in ("calm", "slow") else kinds - {"latency"}, name


@pytest.mark.parametrize("name", SHIPPED)
async def test_profile_serves_over_http(name: str) -> None:
    async for sl in start(FaultsConfig(profile=name, seed=1)):
        _, listing = await sl.admin("GET", "/__admin/faults")
        assert listing["profile"] == name
        assert [r["id"] for r in listing["rules"]] == [r.id for r in load_profile(name).rules]
        _, profiles = await sl.admin("GET", "/__admin/faults/profiles")
        assert name in [p["name"] for p in profiles["profiles"]]


def test_yaml_and_toml_profiles_by_path(tmp_path: Path) -> None:
    yaml_file = tmp_path / "mine.yaml"
    yaml_file.write_text(
        "description: mine\nrules:\n  - id: y1\n    fault: rate_limit\n    probability: 0.5\n"
    )
    profile = load_profile(str(yaml_file))
    assert profile.name == "mine" and profile.rules[0].probability == 0.5
    bad = tmp_path / "bad.toml"
    bad.write_text('[[rules]]\nfault = "http_error"\nparams = { status = 418 }\n')
    with pytest.raises(ProfileError, match=r"rule 1: http_error: status 418 not supported"):
        load_profile(str(bad))
    with pytest.raises(ProfileError, match="unknown fault profile"):
        load_profile("does-not-exist")
