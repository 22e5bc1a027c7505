"""The bridge watches its webhook subscriptions: 10 % of webhooks dropped, a bridge outage
long enough for the shop to disable the hooks (more than five failures in a row) — the
disabled hooks are reported (log, /ops/stats, /metrics) and re-activated, the reconciler
heals every order the shop never delivered, and every order reaches SAP exactly once."""

from __future__ import annotations

from typing import Any

import aiohttp
from structlog.testing import capture_logs

from bridge.runtime import BridgeRuntime
from bridge.shop.watcher import WebhookWatcher
from bridge.shop.webhooks import ensure_webhooks, list_webhooks
from sapchaos.net import free_port
from tests.bridge.conftest import SECRET, runtime_ops_headers
from tests.bridge.stack import bridge_config, settle, stack, wait_until

TOPICS = ("order.created", "order.updated")


async def _statuses(st: Any, url: str) -> dict[str, str]:
    return {
        str(h["topic"]): str(h["status"])
        for h in await list_webhooks(st.woo)
        if h.get("delivery_url") == url
    }


async def test_disabled_hooks_are_reported_and_reactivated_and_nothing_is_lost(
    sqlite_dsn: str,
) -> None:
    async with stack() as st:
        await st.set_chaos({"drop_p": 0.1})
        cfg = bridge_config(
            sqlite_dsn,
            st.sap_url,
            st.shop_url,
            port=free_port(),
            reconcile_interval_s=0.5,
            webhook_watch_interval_s=0.3,
            webhook_watch_topics=TOPICS,
        )
        url = cfg.delivery_url()
        ids: list[int] = []
        async with BridgeRuntime(cfg) as rt:
            await ensure_webhooks(st.woo, url, SECRET, TOPICS)
            ids += await st.generate(30)
            await settle(st, rt)
        # the bridge is down: every delivery fails; the shop disables its hooks
        ids += await st.generate(12)
        for oid in ids[:8]:
            await st.woo.request("PUT", f"orders/{oid}", {"status": "on-hold"})
        await st.drain_shop()
        assert set((await _statuses(st, url)).values()) == {"disabled"}
        with capture_logs() as logs:
            async with BridgeRuntime(cfg) as rt:
                watch = rt.webhook_watch
                assert watch is not None

                async def reactivated() -> bool:
                    return watch.reactivated >= 2

                assert await wait_until(reactivated, 30)
                assert await _statuses(st, url) == {t: "active" for t in TOPICS}
                ids += await st.generate(15)  # delivered again (10 % still dropped)

                async def all_in_sap() -> bool:
                    keys = await st.sap_orders_by_key()
                    return {f"wc:{i}:order" for i in ids} <= set(keys)

                assert await wait_until(all_in_sap, 60)
                await settle(st, rt)
                async with aiohttp.ClientSession() as http:
                    headers = runtime_ops_headers(rt)
                    async with http.get(f"{rt.url}/ops/stats", headers=headers) as r:
                        stats = await r.json()
                    async with http.get(f"{rt.url}/metrics", headers=headers) as r:
                        metrics = await r.text()
        by_key = await st.sap_orders_by_key()
        assert set(by_key) == {f"wc:{i}:order" for i in ids}
        assert all(n == 1 for n in by_key.values()), by_key
        ww = stats["webhooks_watch"]
        assert ww["incidents"] >= 2 and ww["reactivated"] >= 2
        assert ww["topics"] == {t: "active" for t in TOPICS}
        for topic in TOPICS:
            assert (
                f'bridge_webhook_reactivations_total{{found="disabled",topic="{topic}"}} 1.0'
                in metrics
            )
        warned = [e for e in logs if e["event"] == "webhook_inactive"]
        assert {e["topic"] for e in warned} == set(TOPICS)
        assert all(e["status"] == "disabled" and e["log_level"] == "warning" for e in warned)
        assert rt.reconciler is not None and rt.reconciler.healed > 0
        async with st.http.get(st.shop_admin("deliveries")) as r:
            deliveries = (await r.json())["deliveries"]
        dropped = sum(1 for d in deliveries if d["error"] == "dropped")
        assert dropped >= 3, f"only {dropped} of {len(deliveries)} deliveries dropped"


async def test_report_only_leaves_the_hook_disabled(sqlite_dsn: str) -> None:
    async with stack() as st:
        url = f"http://127.0.0.1:{free_port()}/webhooks/woocommerce"  # nobody listens
        await ensure_webhooks(st.woo, url, SECRET, TOPICS)
        for oid in await st.generate(8):
            await st.woo.request("PUT", f"orders/{oid}", {"status": "on-hold"})
        await st.drain_shop()
        watch = WebhookWatcher(st.woo, url, SECRET, TOPICS, reactivate=False)
        found = await watch.check_once()
        assert found == {t: "disabled" for t in TOPICS}
        assert watch.reactivated == 0 and watch.incidents == 2
        assert await _statuses(st, url) == {t: "disabled" for t in TOPICS}
        # a deleted hook is reported as missing and, when allowed, re-created
        [hook] = [h for h in await list_webhooks(st.woo) if h["topic"] == "order.updated"]
        await st.woo.request("DELETE", f"webhooks/{hook['id']}", query={"force": "true"})
        watch.reactivate = True
        found = await watch.check_once()
        assert found == {"order.created": "disabled", "order.updated": "missing"}
        assert await _statuses(st, url) == {t: "active" for t in TOPICS}
        assert watch.reactivated == 2
