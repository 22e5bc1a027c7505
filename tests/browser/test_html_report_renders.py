"""The HTML report renders in a real headless Chromium with its charts drawn and links working.

Uses Playwright driving the system Chromium (Debian package ``chromium``; ``SAPCHAOS_CHROMIUM``
names another binary). Outside CI a missing browser skips; under ``CI=true`` it fails with
the install command, so CI can never pass by skipping this test.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scenarios.html_report import write_html
from tests.scenarios.sample_reports import failing_report, passing_report

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def _chromium() -> str | None:
    given = os.environ.get("SAPCHAOS_CHROMIUM")
    if given:
        return given if Path(given).is_file() else None
    return next((p for p in map(shutil.which, BROWSERS) if p), None)


def _missing(what: str) -> None:
    msg = f"{what}; install it with: apt-get install -y chromium (and pip install -e '.[dev]')"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"browser test cannot run under CI: {msg}")
    pytest.skip(msg)


@pytest.fixture()
def page() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright package is not installed")
    exe = _chromium()
    if exe is None:
        _missing("no Chromium binary found (looked for " + ", ".join(BROWSERS) + ")")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=exe, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            pg = browser.new_page(viewport={"width": 1100, "height": 900})
            # the page must need nothing from the network: refuse every non-file request
            pg.route(
                "**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort()
            )
            yield pg
        finally:
            browser.close()


def test_report_page_draws_charts_offline(page: Any, tmp_path: Path) -> None:
    path = write_html([passing_report(), failing_report()], tmp_path / "report.html")
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    assert all(u.startswith("file:") for u in requests), requests
    assert page.title() == "sapchaos report"
    # two runs × three charts, each an SVG the browser laid out with a real size
    charts = page.locator("svg.chart")
    assert charts.count() == 6
    box = charts.nth(3).bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 100
    # the TTA line of the failing run is drawn: its path has a non-trivial rendered length
    length = page.evaluate(
        "() => document.querySelectorAll('#run-1 svg.chart-tta path.series')[0].getTotalLength()"
    )
    assert length > 100
    assert page.locator("#run-1 svg.chart-tta circle.point").count() == 47
    # the fault window is shaded, at the right place relative to the plot
    shade = page.locator("#run-1 svg.chart-tta rect.fault-window").bounding_box()
    assert shade is not None and shade["width"] > 20
    # violations link to the order's history section
    page.locator("#run-1 a[href='#run-1-order-12']").first.click()
    assert page.evaluate("() => location.hash") == "#run-1-order-12"
    assert "order 12" in page.locator("#run-1-order-12").inner_text()


def test_screenshot_is_not_blank(page: Any, tmp_path: Path) -> None:
    path = write_html([failing_report()], tmp_path / "report.html")
    page.goto(path.as_uri())
    shot = page.locator("#run-0 svg.chart-tta").screenshot(path=str(tmp_path / "tta.png"))
    # a drawn chart has many distinct byte values; a blank PNG of one colour compresses to few
    assert len(shot) > 3000
    colours = page.evaluate(
        """async () => {
        const svg = document.querySelector('#run-0 svg.chart-tta');
        const xml = new XMLSerializer().serializeToString(svg);
        const img = new Image();
        img.src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(xml);
        await img.decode();
        const c = document.createElement('canvas');
        c.width = img.width; c.height = img.height;
        const ctx = c.getContext('2d');
        ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, c.width, c.height);
        ctx.drawImage(img, 0, 0);
        const d = ctx.getImageData(0, 0, c.width, c.height).data;
        const seen = new Set();
        let ink = 0;
        for (let i = 0; i < d.length; i += 4) {
          seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
          if (d[i] < 200 || d[i + 1] < 200 || d[i + 2] < 200) ink++;
        }
        return {distinct: seen.size, ink};
      }"""
    )
    assert colours["distinct"] > 10 and colours["ink"] > 2000, colours
