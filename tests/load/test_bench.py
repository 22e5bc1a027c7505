"""``sapchaos bench``: the table is printed with a judged row; bad names and options are one
clear line. No figure is asserted (the machine is shared): only that the run happened,
was judged by the oracle and the table carries its columns."""

from __future__ import annotations

import subprocess
import sys

import pytest

from load.bench import ROWS, Row, parse_names, table

SAPCHAOS = [sys.executable, "-m", "sapchaos.cli"]


def test_quick_burst_prints_one_judged_table() -> None:
    run = subprocess.run(
        [*SAPCHAOS, "bench", "--quick", "burst"], capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    header = next(i for i, ln in enumerate(lines) if ln.startswith("measure "))
    assert [c.strip() for c in lines[header].split("|")] == [
        "measure", "figure", "target", "ratio", "met", "oracle",
    ]  # fmt: skip
    rows = [ln.split("|") for ln in lines[header + 2 : header + 4]]
    assert rows[0][0].strip() == "end to end, burst, separate serve processes"
    assert rows[0][1].strip().endswith("(1000/1000 acked)")
    assert rows[0][4].strip() in ("met", "missed")
    assert rows[0][5].strip() == "PASS (1000 orders)"
    assert rows[1][0].strip() == "fakesap memory with 100k documents"
    assert "quick mode, seed 42" in lines[0]


def test_unknown_name_is_one_line_and_exit_2() -> None:
    run = subprocess.run(
        [*SAPCHAOS, "bench", "nosuch"], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        "sapchaos: error: unknown benchmark 'nosuch'; choose from " + ", ".join(ROWS)
    ]


def test_missing_wiremock_jar_names_the_option() -> None:
    run = subprocess.run(
        [*SAPCHAOS, "bench", "wiremock", "--wiremock-jar", "/nonexistent.jar"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2
    assert "--wiremock-jar: /nonexistent.jar is not a file" in run.stderr
    assert "Traceback" not in run.stderr


def test_names_keep_the_table_order_and_default_to_all() -> None:
    assert parse_names([]) == list(ROWS)
    assert parse_names(["embedded", "burst"]) == ["burst", "embedded"]
    with pytest.raises(ValueError, match="unknown benchmark 'x'"):
        parse_names(["x"])


def test_table_marks_missing_ratio_and_verdict() -> None:
    text = table(
        [
            Row("a", "1 orders/s", "≥ 2", 0.5, False, "PASS (1 orders)"),
            Row("b", "skipped: no --wiremock-jar", "≥ 0.6×", None, None, "n/a"),
        ]
    )
    first, second = text.splitlines()[2:]
    assert [c.strip() for c in first.split("|")] == [
        "a", "1 orders/s", "≥ 2", "0.50×", "missed", "PASS (1 orders)",
    ]  # fmt: skip
    assert [c.strip() for c in second.split("|")][3:5] == ["—", "—"]
