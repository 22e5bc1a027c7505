"""Scenario files: the strict schema reports every error with its line; the catalog is valid."""

from __future__ import annotations

from pathlib import Path

import pytest

from scenarios.schema import (
    ScenarioError,
    catalog_files,
    load_scenario,
    validate_file,
)

GOOD = """\
description = "tiny"

[load]
orders = 5
rate = 10

[load.lifecycle]
paid = 0.5
edited = 0.2

[[timeline]]
at_s = 0
action = "shop_chaos"
settings = { copies = { 1 = 1, 2 = 1 } }

[[timeline]]
after_orders = 2
action = "partition"
link = "bridge_to_sap"
duration_s = 1.5

[expect]
tta_p95_ms = 5000
dlq_max = 0
"""


def _write(tmp_path: Path, text: str, name: str = "mine.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, "utf-8")
    return p


def test_good_file_loads_with_its_lines(tmp_path: Path) -> None:
    s = load_scenario(_write(tmp_path, GOOD))
    assert s.name == "mine" and s.load.orders == 5 and s.load.rate == 10.0
    assert [e.action for e in s.timeline] == ["shop_chaos", "partition"]
    assert [e.line for e in s.timeline] == [11, 16]
    assert s.timeline[1].after_orders == 2 and s.timeline[1].duration_s == 1.5
    assert s.load.fakeshop_mix() == {
        "pay": 0.5,
        "hold": 0.0,
        "cancel_unpaid": 0.0,
        "cancel_paid": 0.0,
        "refund_full": 0.0,
        "refund_partial": 0.0,
        "complete": 0.0,
        "mean_step_s": 1.0,
    }
    assert s.expect.tta_p95_ms == 5000 and s.expect.dlq_max == 0


def test_every_error_is_reported_with_its_line(tmp_path: Path) -> None:
    text = """\
descripton = "typo"

[load]
orders = 0
rate = "fast"
colour = 1

[[timeline]]
at_s = 1
action = "partition"
link = "shop_to_moon"
extra = true

[[timeline]]
action = "sap_fault"
rule = { fault = "nope" }

[[timeline]]
action = "explode"
at_s = 2

[expect]
tta_p95_ms = "1s"
"""
    errors = validate_file(_write(tmp_path, text, "bad.toml"))
    by_line = {int(e.split(":")[1]): e for e in errors if e.split(":")[1].isdigit()}
    assert "unknown key 'descripton'" in by_line[1]
    assert "load.orders must be within 1..100000" in by_line[4]
    assert "load.rate must be" in by_line[5]
    assert "unknown key 'load.colour'" in by_line[6]
    assert "timeline[0].link must be one of" in by_line[11]
    assert "unknown key 'timeline[0].extra'" in by_line[12]
    assert "fakesap rejects this rule" in by_line[16]
    assert "timeline[2].action must be one of" in by_line[19]
    assert "expect.tta_p95_ms must be" in by_line[23]
    # the missing keys: description, and at_s/after_orders of timeline[1] (its header line)
    assert any("missing required key 'description'" in e for e in errors)
    assert "needs exactly one of at_s or after_orders" in by_line[14]
    assert len(errors) == 11


def test_not_toml_is_one_error_with_a_line(tmp_path: Path) -> None:
    errors = validate_file(_write(tmp_path, "description = \n[load]\n"))
    assert len(errors) == 1 and "not valid TOML" in errors[0] and "line 1" in errors[0]


@pytest.mark.parametrize(
    ("snippet", "message"),
    [
        ("[load]\norders = 5\nrate = 1\nburst = true\n", "not both"),
        (
            "[load]\norders = 5\n[load.lifecycle]\npaid = 1.5\n",
            "load.lifecycle.paid must be within 0..1",
        ),
        (
            "[load]\norders = 5\n[load.lifecycle]\npaid = 0.5\ncancelled_after_sync = 0.6\n",
            "cancel_paid",
        ),
        (
            '[load]\norders = 5\n[[timeline]]\nafter_orders = 9\naction = "heal"\n',
            "exceeds load.orders",
        ),
        (
            '[load]\norders = 5\n[[timeline]]\nat_s = 1\naction = "toxic"\nlink = "bridge_to_sap"\ntype = "latency"\nattributes = { latency = 1.5 }\n',
            "must be an integer",
        ),
        (
            '[load]\norders = 5\n[[timeline]]\nat_s = 1\naction = "shop_chaos"\nsettings = { drop_p = 2 }\n',
            "fakeshop rejects",
        ),
        ('[load]\norders = 5\n[expect]\nskip = ["no_lost_order"]\n', "skip_reason"),
        ('[load]\norders = 5\n[contract]\nkey_field = "bad field"\n', "contract: key_field"),
        ('[load]\norders = 5\n[stack]\nbroker = "rabbit"\n', "stack.broker must be one of"),
    ],
)
def test_specific_errors(tmp_path: Path, snippet: str, message: str) -> None:
    errors = validate_file(_write(tmp_path, 'description = "x"\n' + snippet))
    assert any(message in e for e in errors), errors


def test_unknown_scenario_and_missing_file_are_scenario_errors(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="unknown scenario 'no-such'"):
        load_scenario("no-such")
    with pytest.raises(ScenarioError, match="no such scenario file"):
        load_scenario(tmp_path / "absent.toml")
    assert "cannot read" in validate_file(tmp_path / "absent.toml")[0]


def test_the_catalog_is_valid_and_complete() -> None:
    files = catalog_files()
    assert len(files) >= 22
    for name, path in files.items():
        assert validate_file(path) == [], name
        s = load_scenario(name)
        assert s.description and s.name == name
    names = set(files)
    for required in (
        "calm",
        "duplicate-webhooks",
        "out-of-order",
        "dropped-webhooks",
        "webhook-disabled",
        "tampered-webhooks",
        "sap-5xx",
        "sap-slow",
        "lost-replies",
        "late-commits",
        "late-commits-unguarded",
        "line-rejects",
        "session-churn",
        "partition-sap",
        "partition-shop",
        "partition-broker",
        "bridge-crash",
        "sap-restart",
        "vat-and-shipping",
        "schema-evolution",
        "magento-events",
        "meltdown",
    ):
        assert required in names
    unguarded = load_scenario("late-commits-unguarded")
    assert "no client" in unguarded.residual_risk.lower()
    assert load_scenario("bridge-crash").needs_bridge_process
