"""The ops dashboard in a real headless Chromium: log in, find an order, see its ledger,
replay its dead letter with one click, and see the replay succeed.

The bridge runs against the real fakesap and fakeshop (``tests.bridge.stack``); SAP refuses
the order's item until the test releases it, as an on-call person fixes master data
before replaying. Playwright drives the system Chromium (Debian package ``chromium``;
``SAPCHAOS_CHROMIUM`` names another binary). Outside CI a missing browser skips; under
``CI=true`` it fails with the install command, so CI can never pass by skipping.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from bridge.ops.auth import OPERATOR, READ_ONLY, OpsToken, write_token_file
from bridge.runtime import BridgeRuntime
from tests.bridge.stack import bridge_config, stack, wait_until
from tests.bridge.test_e2e import post_webhook

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
OPERATOR_TOKEN = "browser-operator-token-0123456789"
READONLY_TOKEN = "browser-readonly-token-0123456789"


def _chromium() -> str:
    given = os.environ.get("SAPCHAOS_CHROMIUM")
    exe = (given if given and Path(given).is_file() else None) or next(
        (p for p in map(shutil.which, BROWSERS) if p), None
    )
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        exe = None
    if exe is None:
        msg = "no Chromium or playwright; install: apt-get install -y chromium (pip install -e '.[dev]')"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"browser test cannot run under CI: {msg}")
        pytest.skip(msg)
    return exe


async def test_login_find_order_see_ledger_replay_and_see_it_succeed(tmp_path: Path) -> None:
    exe = _chromium()
    from playwright.async_api import async_playwright

    token_file = tmp_path / "tokens.json"
    write_token_file(
        token_file,
        [
            OpsToken("oncall", OPERATOR, OPERATOR_TOKEN),
            OpsToken("viewer", READ_ONLY, READONLY_TOKEN),
        ],
    )
    async with stack() as st:
        [oid] = await st.generate(1)
        order = await st.woo.get_order(oid)
        email = order["billing"]["email"]
        bad_sku = order["line_items"][0]["sku"]
        await st.add_fault(
            {
                "id": "frozen",
                "fault": "line_reject",
                "methods": ["POST"],
                "entity_set": "Orders",
                "params": {"skus": [bad_sku], "error": "item_inactive"},
            }
        )
        cfg = bridge_config(
            f"sqlite:///{tmp_path / 'bridge.db'}",
            st.sap_url,
            st.shop_url,
            ops_token_file=str(token_file),
        )
        async with BridgeRuntime(cfg) as rt:
            await st.subscribe(rt.url)
            await post_webhook(rt.url, order, "order.created")
            store = rt.store
            assert store is not None

            async def dead() -> bool:
                return bool(await store.list_dead_letters())

            assert await wait_until(dead, 30)
            [dl] = await store.list_dead_letters()

            async with async_playwright() as pw:
                browser = await pw.chromium.launch(
                    executable_path=exe, headless=True, args=["--no-sandbox", "--disable-gpu"]
                )
                try:
                    await _drive(browser, rt.url, oid, dl.id, email, st)
                finally:
                    await browser.close()
            # the replay is in the audit chain with the operator's name
            [entry] = await store.list_audit(order_id=oid)
            assert (entry.actor, entry.action, entry.detail["via"]) == (
                "oncall",
                "dlq.replay",
                "dashboard",
            )
            assert await st.sap_orders_by_key() == {f"wc:{oid}:order": 1}


async def _drive(browser: Any, url: str, oid: int, dl_id: int, email: str, st: Any) -> None:
    page = await browser.new_page(viewport={"width": 1200, "height": 900})
    external: list[str] = []
    page.on(
        "request",
        lambda r: external.append(r.url) if not r.url.startswith(url) else None,
    )
    # not logged in: the dashboard sends the browser to the login page
    await page.goto(f"{url}/ops/ui")
    assert page.url.endswith("/ops/login")
    await page.fill("#token", "not-a-token")
    await page.click("#login")
    assert "Unknown token" in await page.inner_text("#flash")
    await page.fill("#token", OPERATOR_TOKEN)
    await page.click("#login")
    await page.wait_for_url(f"{url}/ops/ui")
    assert "oncall (operator)" in await page.inner_text("#who")
    # the stylesheet is served and allowed by the page's CSP (no inline style)
    header_bg = await page.evaluate(
        "() => getComputedStyle(document.querySelector('header')).backgroundColor"
    )
    assert header_bg == "rgb(29, 35, 48)", header_bg
    # the key figures fill in from /ops/figures (live script)
    await page.wait_for_function(
        "() => document.getElementById('fig-dlq').textContent === '1'", timeout=15_000
    )
    # find the order
    await page.fill("#q", f"#{oid}")
    await page.click("#search")
    await page.wait_for_selector("#order-title")
    assert f"Order {oid}" in await page.inner_text("#order-title")
    ledger = await page.inner_text("#ledger")
    assert f"wc:{oid}:order" in ledger and "failed" in ledger
    assert email in await page.inner_text("#snapshot")  # the operator sees personal data
    # fix the data in SAP, then replay with one click
    async with st.http.delete(st.sap_admin("faults/frozen")) as r:
        assert r.status == 204
    await page.click(f"button.replay[data-id='{dl_id}']")
    await page.wait_for_selector("#flash")
    assert f"Dead letter {dl_id} replayed" in await page.inner_text("#flash")
    # the worker runs the order again: reload until the ledger shows it done in SAP
    for _ in range(100):
        await page.goto(f"{url}/ops/ui/order?q={oid}")
        if "done" in await page.inner_text("#ledger"):
            break
        await page.wait_for_timeout(300)
    ledger = await page.inner_text("#ledger")
    assert "done" in ledger, ledger
    assert "replayed" in await page.inner_text("main")
    assert await page.inner_text("#job-status") in ("done", "pending", "claimed")
    assert external == [], external  # nothing loaded from anywhere else
    # a read-only viewer sees the same order masked and without a replay button
    viewer = await browser.new_page()
    await viewer.goto(f"{url}/ops/login")
    await viewer.fill("#token", READONLY_TOKEN)
    await viewer.click("#login")
    await viewer.wait_for_url(f"{url}/ops/ui")
    await viewer.goto(f"{url}/ops/ui/order?q={oid}")
    assert email not in await viewer.content()
    assert await viewer.locator("button.replay").count() == 0
