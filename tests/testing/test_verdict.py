"""``StackVerdict``: the failure message a person reads."""

from __future__ import annotations

import pytest

from sapchaos.testing.verdict import MAX_SHOWN, StackVerdict
from scenarios.oracle import InvariantResult, Verdict
from scenarios.oracle.contract import Contract


def _verdict(results: list[InvariantResult]) -> StackVerdict:
    v = Verdict(
        passed=all(r.ok for r in results),
        invariants=results,
        counts={"orders": 3},
        tta_ms={},
        contract=Contract(),
    )
    return StackVerdict(v, seed=9)


def test_message_names_invariants_orders_and_seed() -> None:
    v = _verdict(
        [
            InvariantResult("no_lost_order", True, []),
            InvariantResult(
                "no_duplicate_order",
                False,
                [{"order_id": 1002, "key": "wc:1002:order", "found": 2}],
            ),
            InvariantResult("amounts_match", False, [{"order_id": 1001, "DocTotal": "x"}]),
        ]
    )
    msg = v.message()
    assert msg.splitlines()[0] == "sapchaos verdict: FAILED — 2 of 3 invariants violated (seed 9)"
    assert "  no_duplicate_order: shop orders 1002" in msg
    assert "    order 1002: key=wc:1002:order, found=2" in msg
    assert "  amounts_match: shop orders 1001" in msg
    assert "no_lost_order" not in msg
    with pytest.raises(AssertionError, match="no_duplicate_order"):
        v.assert_passed()


def test_long_lists_are_cut() -> None:
    many = [{"order_id": i, "found": 0} for i in range(MAX_SHOWN + 5)]
    msg = _verdict([InvariantResult("no_lost_order", False, many)]).message()
    assert "… and 5 more" in msg


def test_passed_verdict_does_not_raise() -> None:
    v = _verdict([InvariantResult("no_lost_order", True, [])])
    v.assert_passed()
    assert str(v) == "sapchaos verdict: passed (1 invariants, seed 9)"
    with pytest.raises(KeyError, match="known: no_lost_order"):
        v.invariant("nope")


def test_scenario_verdict_message() -> None:
    from sapchaos.testing import ScenarioVerdict

    report = {
        "scenario": "lost-replies",
        "seed": 4,
        "verdict": "fail",
        "invariants": {
            "no_lost_order": {"ok": True, "violations": []},
            "no_duplicate_order": {"ok": False, "violations": [{"order_id": 1003, "found": 2}]},
        },
        "expectations": {"tta_p95_ms": {"ok": False, "expected": "<= 5000", "found": 7100}},
        "replay_command": "sapchaos scenario run lost-replies --seed 4",
    }
    v = ScenarioVerdict(report, output="")
    msg = v.message()
    assert msg.splitlines()[0] == "sapchaos scenario 'lost-replies' (seed 4): FAILED"
    assert "  no_duplicate_order: shop orders 1003" in msg
    assert "    order_id=1003, found=2" in msg
    assert "  expectation tta_p95_ms: expected <= 5000, found 7100" in msg
    assert "  replay: sapchaos scenario run lost-replies --seed 4" in msg
    assert "no_lost_order" not in msg
    with pytest.raises(AssertionError, match="lost-replies"):
        v.assert_passed()
    ScenarioVerdict({**report, "verdict": "pass"}, "").assert_passed()
