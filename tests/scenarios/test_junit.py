"""JUnit XML: parse what write_junit writes and check it against the common JUnit layout."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from scenarios.junit import write_junit
from tests.scenarios.sample_reports import failing_report, passing_report

#: attributes the JUnit XSD (Ant/Jenkins ``junit-10.xsd``) requires or CI readers rely on
SUITE_ATTRS = {"name", "tests", "failures", "errors", "skipped", "time", "timestamp", "hostname"}


def _write(tmp_path: Path, reports: list[dict]) -> ET.Element:
    path = write_junit(reports, tmp_path / "out" / "junit.xml")
    assert path.read_text("utf-8").startswith("<?xml")
    return ET.parse(path).getroot()


def test_one_case_per_invariant_and_expectation_with_counts(tmp_path: Path) -> None:
    root = _write(tmp_path, [passing_report(), failing_report()])
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["sapchaos.calm[seed=1]", "sapchaos.sap-slow[seed=7]"]
    for s in suites:
        assert set(s.attrib) >= SUITE_ATTRS, s.attrib
        cases = s.findall("testcase")
        assert int(s.get("tests", "-1")) == len(cases)
        assert int(s.get("failures", "-1")) == sum(
            1 for c in cases if c.find("failure") is not None
        )
        assert all(c.get("classname") and c.get("name") and c.get("time") for c in cases)
    calm, slow = suites
    assert calm.get("failures") == "0" and calm.get("tests") == "4"
    assert [c.get("name") for c in slow.findall("testcase")] == [
        "invariant:no_lost_order[seed=7]",
        "invariant:no_duplicate_order[seed=7]",
        "invariant:confirmation_note[seed=7]",
        "expectation:tta_p95_ms[seed=7]",
        "expectation:drain_s[seed=7]",
    ]
    assert slow.get("failures") == "3" and slow.get("errors") == "0"
    assert root.get("tests") == "9" and root.get("failures") == "3"
    # the timestamp is the XSD's ISO8601_DATETIME_PATTERN (no zone)
    assert slow.get("timestamp") == "2026-12-05T20:10:00"


def test_failure_message_names_orders_seed_and_replay(tmp_path: Path) -> None:
    root = _write(tmp_path, [failing_report(seed=7)])
    cases = {c.get("name"): c for c in root.iter("testcase")}
    lost = cases["invariant:no_lost_order[seed=7]"].find("failure")
    assert lost is not None
    msg = lost.get("message", "")
    assert "orders 12, 15" in msg and "seed 7" in msg
    assert (
        "replay: sapchaos scenario run sap-slow --seed 7 --bridge-cmd 'python bridge.py --port {bridge_port}'"
        in msg
    )
    assert '"order_id": 12' in (lost.text or "")
    dup = cases["invariant:no_duplicate_order[seed=7]"].find("failure")
    assert dup is not None and "orders 40" in dup.get("message", "")  # from the idem key
    tta = cases["expectation:tta_p95_ms[seed=7]"].find("failure")
    assert tta is not None and 'expected "<= 5000", found 9100.0' in tta.get("message", "")
    assert cases["invariant:confirmation_note[seed=7]"].find("failure") is None
    props = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert props["seed"] == "7" and props["bridge_cmd"] == "python bridge.py --port {bridge_port}"
    assert "note_regex" in (props["contract"] or "")


def test_replay_built_when_runner_did_not_give_one_and_run_errors(tmp_path: Path) -> None:
    rep = failing_report(seed=3)
    del rep["replay_command"]
    rep["error"] = "bridge exited with code 1 before it listened"
    root = _write(tmp_path, [rep])
    suite = root.find("testsuite")
    assert suite is not None and suite.get("errors") == "1" and suite.get("tests") == "6"
    err = suite.find("testcase/error")
    assert err is not None
    assert "bridge exited" in err.get("message", "")
    assert (
        "sapchaos scenario run sap-slow --seed 3 --bridge-cmd 'python bridge.py --port {bridge_port}'"
        in err.get("message", "")
    )


def test_old_reports_without_new_fields_and_xml_escaping(tmp_path: Path) -> None:
    rep = {
        "format_version": 1,
        "scenario": "smoke",
        "seed": 42,
        "verdict": "fail",
        "invariants": {
            "lines_match": {"ok": False, "violations": [{"order_id": 3, "found": {"<A&B>": "1"}}]}
        },
        "counts": {},
        "tta_ms": {},
        "faults": [],
        "started_at": "2026-12-05T20:00:00.000Z",
        "duration_s": 1.0,
    }
    root = _write(tmp_path, [rep])
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None
    assert "replay: sapchaos scenario run smoke --seed 42" in failure.get("message", "")
    assert "<A&B>" in (failure.text or "")


def test_no_reports_is_an_empty_but_valid_document(tmp_path: Path) -> None:
    root = _write(tmp_path, [])
    assert root.tag == "testsuites" and root.get("tests") == "0" and not list(root)


def test_judgement_without_seed_has_plain_names(tmp_path: Path) -> None:
    rep = passing_report()
    rep["seed"] = None
    rep["scenario"] = "oracle-judge"
    root = _write(tmp_path, [rep])
    suite = root.find("testsuite")
    assert suite is not None and suite.get("name") == "sapchaos.oracle-judge"
    assert next(c.get("name") for c in suite.iter("testcase")) == "invariant:no_lost_order"
