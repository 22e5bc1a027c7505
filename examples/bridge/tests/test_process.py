"""shopbridge as a real process: killed with -9 mid-flight, and a catalog scenario."""

from __future__ import annotations

import pytest

from sapchaos.testing import Stack

pytestmark = pytest.mark.as_process


def test_kill_minus_nine_loses_nothing(sapchaos_stack: Stack) -> None:
    sapchaos_stack.proxy.latency("bridge_to_sap", 300)  # keep work in flight
    sapchaos_stack.create_orders(4)
    assert sapchaos_stack.fakeshop.drain(timeout_s=30)
    sapchaos_stack.kill_bridge()
    sapchaos_stack.start_bridge()

    assert sapchaos_stack.wait_quiescent(timeout=90)
    sapchaos_stack.verdict().assert_passed()


def test_catalog_scenario(run_scenario) -> None:
    verdict = run_scenario("duplicate-webhooks", seed=3, orders=20)
    verdict.assert_passed()
