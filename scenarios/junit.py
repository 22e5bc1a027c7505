"""JUnit XML for CI: one test case per scenario × seed × invariant/expectation.

The layout follows the JUnit XML that Ant's ``junitreport`` and the Surefire plugin write
and that Jenkins, GitLab, GitHub Actions reporters and Azure DevOps read: a
``<testsuites>`` root with one ``<testsuite>`` per (scenario, seed) carrying ``name``,
``tests``, ``failures``, ``errors``, ``skipped``, ``time``, ``timestamp`` and ``hostname``;
``<properties>`` for the seed, the replay command, the contract and the bridge command;
``<testcase classname= name= time=>`` with a ``<failure message= type=>`` child when an
invariant or expectation does not hold. A failure's message names the order ids, the seed
and the exact command that replays the run.
"""

from __future__ import annotations

import json
import socket
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from scenarios.report_fields import (
    expectations,
    ids_text,
    invariants,
    order_ids,
    replay_command,
    run_error,
)

#: the prefix CI tools show as the "package" of every test case
PACKAGE = "sapchaos"
#: how many violations a failure body lists in full (the report.json has them all)
BODY_VIOLATIONS = 50


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _seed_tag(report: Mapping[str, Any]) -> str:
    """``[seed=N]``; empty for a judgement of someone else's run (``oracle judge`` has no seed)."""
    seed = report.get("seed")
    return "" if seed is None else f"[seed={seed}]"


def _suite_name(report: Mapping[str, Any]) -> str:
    return f"{PACKAGE}.{report.get('scenario', '?')}{_seed_tag(report)}"


def _case(suite: ET.Element, report: Mapping[str, Any], name: str, time_s: float) -> ET.Element:
    return ET.SubElement(
        suite,
        "testcase",
        {
            "classname": f"{PACKAGE}.{report.get('scenario', '?')}",
            "name": f"{name}{_seed_tag(report)}",
            "time": f"{time_s:.3f}",
        },
    )


def _invariant_failure(
    case: ET.Element, report: Mapping[str, Any], name: str, violations: list[dict[str, Any]]
) -> None:
    ids = order_ids(violations)
    replay = replay_command(report)
    orders = f"orders {ids_text(ids)}" if ids else "no order ids named"
    message = (
        f"{name}: {len(violations)} violation(s); {orders}; seed {report.get('seed')}; "
        f"replay: {replay}"
    )
    lines = [message, ""]
    lines += [_json(v) for v in violations[:BODY_VIOLATIONS]]
    if len(violations) > BODY_VIOLATIONS:
        lines.append(f"… {len(violations) - BODY_VIOLATIONS} more in report.json")
    failure = ET.SubElement(case, "failure", {"message": message, "type": "InvariantViolated"})
    failure.text = "\n".join(lines) + "\n"


def _expectation_failure(
    case: ET.Element, report: Mapping[str, Any], name: str, expected: Any, found: Any
) -> None:
    message = (
        f"{name}: expected {_json(expected)}, found {_json(found)}; seed {report.get('seed')}; "
        f"replay: {replay_command(report)}"
    )
    failure = ET.SubElement(case, "failure", {"message": message, "type": "ExpectationNotMet"})
    failure.text = message + "\n"


def _properties(suite: ET.Element, report: Mapping[str, Any]) -> None:
    props = ET.SubElement(suite, "properties")
    values: list[tuple[str, Any]] = [
        ("scenario", report.get("scenario")),
        ("seed", report.get("seed")),
        ("verdict", report.get("verdict")),
        ("replay_command", replay_command(report)),
        ("bridge_cmd", report.get("bridge_cmd") or "reference bridge"),
    ]
    if report.get("contract") is not None:
        values.append(("contract", _json(report["contract"])))
    for name, value in values:
        ET.SubElement(props, "property", {"name": name, "value": str(value)})


def _summary(report: Mapping[str, Any]) -> str:
    counts = report.get("counts") or {}
    tta = report.get("tta_ms") or {}
    parts = [f"{k}={v}" for k, v in counts.items()]
    parts += [f"tta_{k}_ms={v}" for k, v in tta.items()]
    return (
        f"scenario {report.get('scenario')} seed {report.get('seed')} "
        f"verdict {report.get('verdict')}\n" + " ".join(parts) + "\n"
    )


def build_suite(report: Mapping[str, Any]) -> ET.Element:
    """The ``<testsuite>`` for one report (one scenario × seed)."""
    suite = ET.Element("testsuite")
    _properties(suite, report)
    checks = invariants(report)
    expects = expectations(report)
    error = run_error(report)
    n_cases = len(checks) + len(expects) + (1 if error else 0)
    per_case = float(report.get("duration_s") or 0.0) / max(n_cases, 1)
    failures = errors = 0
    if error:
        case = _case(suite, report, "run", per_case)
        msg = f"{error}; seed {report.get('seed')}; replay: {replay_command(report)}"
        el = ET.SubElement(case, "error", {"message": msg, "type": "RunError"})
        el.text = msg + "\n"
        errors += 1
    for name, ok, violations in checks:
        case = _case(suite, report, f"invariant:{name}", per_case)
        if not ok:
            _invariant_failure(case, report, name, violations)
            failures += 1
    for name, ok, expected, found in expects:
        case = _case(suite, report, f"expectation:{name}", per_case)
        if not ok:
            _expectation_failure(case, report, name, expected, found)
            failures += 1
    out = ET.SubElement(suite, "system-out")
    out.text = _summary(report)
    suite.attrib.update(
        {
            "name": _suite_name(report),
            "tests": str(n_cases),
            "failures": str(failures),
            "errors": str(errors),
            "skipped": "0",
            "time": f"{float(report.get('duration_s') or 0.0):.3f}",
            "timestamp": str(report.get("started_at") or "").removesuffix("Z")[:19],
            "hostname": socket.gethostname() or "localhost",
        }
    )
    return suite


def build_junit(reports: list[dict[str, Any]]) -> ET.ElementTree:
    """The whole document: a ``<testsuites>`` root with one suite per report, ids in order."""
    root = ET.Element("testsuites", {"name": PACKAGE})
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    time_total = 0.0
    for i, report in enumerate(reports):
        suite = build_suite(report)
        suite.set("id", str(i))
        suite.set("package", PACKAGE)
        root.append(suite)
        for k in totals:
            totals[k] += int(suite.get(k, "0"))
        time_total += float(suite.get("time", "0"))
    root.attrib.update({k: str(v) for k, v in totals.items()})
    root.set("time", f"{time_total:.3f}")
    tree = ET.ElementTree(root)
    ET.indent(tree)
    return tree


def write_junit(reports: list[dict[str, Any]], path: str | Path) -> Path:
    """Write the JUnit XML for these reports (``report.json`` dicts, format 1) to ``path``."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    build_junit(reports).write(p, encoding="utf-8", xml_declaration=True)
    return p
