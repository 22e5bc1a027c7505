"""``run_scenario``: catalog scenarios and scenario files inside a test."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from aiohttp import web

from sapchaos.testing import ScenarioVerdict


def test_catalog_scenario_on_the_reference_bridge(
    run_scenario: Callable[..., ScenarioVerdict],
) -> None:
    verdict = run_scenario("calm", seed=5, orders=5)
    verdict.assert_passed()
    assert verdict.report["seed"] == 5 and verdict.report["scenario"] == "calm"
    assert "calm" in verdict.output


def test_a_scenario_file(run_scenario: Callable[..., ScenarioVerdict], tmp_path: Path) -> None:
    path = tmp_path / "five-503s.toml"
    path.write_text(
        """description = "five 503s on order creates"

[load]
orders = 4
rate = 20

[[timeline]]
at_s = 0
action = "sap_fault"
rule = { id = "burst", fault = "http_error", methods = ["POST"], entity_set = "Orders", max_count = 5, params = { status = 503 } }

[expect]
timeout_s = 60
"""
    )
    verdict = run_scenario(path, seed=2)
    verdict.assert_passed()
    [fault] = verdict.report["faults"]
    # every create is refused until the rule's 5 are spent; an order the seeded lifecycle
    # cancels before it reaches SAP needs no create, so 4 is possible on a slow machine
    assert fault["rule"]["id"] == "burst" and 4 <= fault["fired"] <= 5, fault


def test_an_unknown_scenario_is_named(run_scenario: Callable[..., ScenarioVerdict]) -> None:
    with pytest.raises(Exception, match="no-such-scenario"):
        run_scenario("no-such-scenario")


class TestAnApplicationBridge:
    @pytest.fixture
    def sapchaos_bridge(self) -> Callable[[object], web.Application]:
        return lambda env: web.Application()

    def test_is_refused_with_the_reason(self, run_scenario: Callable[..., ScenarioVerdict]) -> None:
        with pytest.raises(TypeError, match="shell command"):
            run_scenario("calm")
