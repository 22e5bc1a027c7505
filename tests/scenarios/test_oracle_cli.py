"""``sapchaos oracle judge`` against running emulators (child processes), with and without a
standalone bridge, with a contract file, ``--since``, reports, and usage errors."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from scenarios.oracle.fetch import admin_root, parse_since
from tests.bridges.manual_stack import SAPCHAOS, ManualStack, manual_stack

BRIDGE = f"{sys.executable} tests/bridges/good_bridge.py --note 'Booked in SAP as {{docnum}}'"


@pytest.fixture(scope="module")
def idle() -> Iterator[ManualStack]:
    """Emulators with three orders and no bridge: every order is lost."""
    with manual_stack(None) as st:
        st.generate(3)
        yield st


@pytest.fixture(scope="module")
def bridged() -> Iterator[ManualStack]:
    """The standalone bridge with its own note wording has synced five orders."""
    with manual_stack(BRIDGE) as st:
        st.generate(5)
        st.wait_quiet(quiet_s=2.0, at_least=(5, 5, 5))
        yield st


def test_lost_orders_fail_with_ids_in_report_junit_and_html(
    idle: ManualStack, tmp_path: Path
) -> None:
    res = idle.judge(
        "--report",
        str(tmp_path / "r.json"),
        "--junit",
        str(tmp_path / "j.xml"),
        "--html",
        str(tmp_path / "r.html"),
    )
    assert res.returncode == 1, res.stderr
    assert "[FAIL] no_lost_order (3 violations" in res.stdout and "verdict: FAIL" in res.stdout
    report = json.loads((tmp_path / "r.json").read_text())
    lost = report["invariants"]["no_lost_order"]["violations"]
    ids = sorted(v["order_id"] for v in lost)
    assert len(ids) == 3 and report["counts"]["orders"] == 3
    assert report["contract"]["key_field"] == "U_IdemKey"
    assert sorted(int(k) for k in report["order_histories"]) == ids
    assert report["samples"][-1]["orders"] == 3 and report["samples"][-1]["in_sap"] == 0
    failure = ET.parse(tmp_path / "j.xml").getroot().find(".//testcase/failure")
    assert failure is not None and f"orders {', '.join(map(str, ids))}" in failure.get(
        "message", ""
    )
    html = (tmp_path / "r.html").read_text()
    assert f'id="run-0-order-{ids[0]}"' in html and "created" in html


def test_since_narrows_to_orders_created_after(idle: ManualStack) -> None:
    later = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    res = idle.judge("--since", later)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "verdict: PASS" in res.stdout


def test_foreign_note_needs_the_contract(bridged: ManualStack, tmp_path: Path) -> None:
    plain = bridged.judge()
    assert plain.returncode == 1
    assert "[FAIL] confirmation_note (5 violations" in plain.stdout
    assert "[ok  ] no_lost_order" in plain.stdout and "[ok  ] amounts_match" in plain.stdout
    contract = tmp_path / "contract.toml"
    contract.write_text('ack_note_regex = "Booked in SAP as (\\\\d+)"\n')
    res = bridged.judge("--contract", str(contract), "--report", str(tmp_path / "r.json"))
    assert res.returncode == 0, res.stdout + res.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["verdict"] == "pass" and report["counts"]["acknowledged"] == 5
    assert report["contract"]["ack_note_regex"] == "Booked in SAP as (\\d+)"
    assert len(report["tta_series"]) == 5 and all(p["tta_ms"] > 0 for p in report["tta_series"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--shop", "nope", "--sap", "http://127.0.0.1:1"], "--shop: 'nope' is not an http(s) URL"),
        (["--shop", "http://127.0.0.1:1", "--sap", "http://127.0.0.1:1"], "cannot reach fakeshop"),
        (
            ["--sap", "http://127.0.0.1:1", "--shop", "http://127.0.0.1:1", "--since", "soon"],
            "--since:",
        ),
        (
            ["--shop", "http://x", "--sap", "http://y", "--contract", "/nonexistent.toml"],
            "file not found",
        ),
        (["--sap", "http://127.0.0.1:1"], "--shop is required"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(args: list[str], message: str) -> None:
    res = subprocess.run(
        [SAPCHAOS, "oracle", "judge", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert res.returncode == 2, res.stdout + res.stderr
    assert message in res.stderr and "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) <= 2


def test_bad_contract_key_is_a_usage_error(idle: ManualStack, tmp_path: Path) -> None:
    bad = tmp_path / "c.toml"
    bad.write_text('ack_regex = "x (\\\\d+)"\n')
    res = idle.judge("--contract", str(bad))
    assert res.returncode == 2 and "unknown contract key(s) ack_regex" in res.stderr


def test_non_emulator_url_is_named(idle: ManualStack) -> None:
    res = subprocess.run(
        [SAPCHAOS, "oracle", "judge", "--shop", idle.sap, "--sap", idle.sap],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 2 and "is this a fakeshop" in res.stderr


def test_helpers() -> None:
    now = datetime(2026, 12, 5, 20, 0, tzinfo=UTC)
    assert parse_since("15m", now) == now - timedelta(minutes=15)
    assert parse_since("2026-12-05T20:00:00Z") == now
    assert parse_since("2026-12-05T20:00:00") == now
    assert parse_since(str(now.timestamp())) == now
    assert admin_root("http://h:5/b1s/v1/", "sap") == "http://h:5"
    assert admin_root("http://h:5/wp-json/wc/v3", "shop") == "http://h:5"
    with pytest.raises(ValueError, match="not a time"):
        parse_since("tomorrow")


def _h() -> Any:
    from scenarios.oracle import Histories

    def order(oid: int, at: str) -> dict[str, Any]:
        return {
            "id": oid,
            "created_at": at,
            "order": {"id": oid, "number": str(oid), "status": "processing", "line_items": []},
            "history": [{"at": at, "status": "processing", "event": "created"}],
        }

    def doc(entry: int, oid: int, at: str) -> dict[str, Any]:
        return {
            "entity_set": "Orders",
            "DocEntry": entry,
            "DocNum": 100 + entry,
            "committed_at": at,
            "document": {"U_IdemKey": f"wc:{oid}:order", "DocNum": 100 + entry},
        }

    def note(oid: int, docnum: int, at: str) -> dict[str, Any]:
        return {
            "kind": "note",
            "order_id": oid,
            "at": at,
            "data": {"note": f"SAP sales order {docnum} created"},
        }

    return Histories(
        shop_orders=[order(1, "2026-12-05T20:00:00.000Z"), order(2, "2026-12-05T20:00:02.500Z")],
        sap_documents=[
            doc(1, 1, "2026-12-05T20:00:00.400Z"),
            doc(2, 2, "2026-12-05T20:00:03.000Z"),
            doc(3, 2, "2026-12-05T20:00:04.000Z"),
        ],
        shop_received=[
            note(1, 101, "2026-12-05T20:00:00.600Z"),
            note(2, 102, "2026-12-05T20:00:03.200Z"),
        ],
        deliveries=[
            {
                "order_id": 2,
                "topic": "order.created",
                "copy": 1,
                "status": 200,
                "sent_at": "2026-12-05T20:00:02.600Z",
            }
        ],
    )


def test_curves_and_timelines_from_ground_truth() -> None:
    from scenarios.oracle.contract import Contract
    from scenarios.truth_timeline import order_histories, samples, tta_series

    h, c = _h(), Contract()
    assert tta_series(h, c) == [
        {"t_s": 0.0, "tta_ms": 600.0, "order_id": 1},
        {"t_s": 2.5, "tta_ms": 700.0, "order_id": 2},
    ]
    rows = samples(h, c)
    assert [r["t_s"] for r in rows] == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert [(r["orders"], r["in_sap"], r["acknowledged"]) for r in rows] == [
        (1, 0, 0),
        (1, 1, 1),
        (1, 1, 1),
        (2, 2, 1),
        (2, 2, 2),
    ]
    events = order_histories(h, [2], c)["2"]
    assert [e["source"] for e in events] == ["shop", "webhook", "sap", "client", "sap"]
    assert "DocEntry 3" in events[-1]["event"]


def test_since_keeps_the_window_and_its_documents() -> None:
    from scenarios.oracle.fetch import filter_since

    cut = filter_since(_h(), datetime(2026, 12, 5, 20, 0, 1, tzinfo=UTC))
    assert [o["id"] for o in cut.shop_orders] == [2]
    assert [d["DocEntry"] for d in cut.sap_documents] == [2, 3]  # the duplicate stays visible
    assert [r["order_id"] for r in cut.shop_received] == [2]
    assert len(cut.deliveries) == 1
