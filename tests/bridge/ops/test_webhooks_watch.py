"""The key figures count the bridge's shop webhooks that WooCommerce no longer delivers
(disabled after failures, or paused), read from the real fakeshop's REST API."""

from __future__ import annotations

from pathlib import Path

from bridge.runtime import BridgeRuntime
from tests.bridge.conftest import runtime_ops_headers
from tests.bridge.stack import bridge_config, stack


async def test_disabled_webhook_shows_in_key_figures_and_metrics(tmp_path: Path) -> None:
    async with stack() as st:
        cfg = bridge_config(
            f"sqlite:///{tmp_path / 'b.db'}",
            st.sap_url,
            st.shop_url,
            roles=("ingress",),
            ops_token_file=str(tmp_path / "tokens.json"),
        )
        async with BridgeRuntime(cfg) as rt:
            cfg = cfg.replace(port=rt.port)
            await st.subscribe(rt.url)
            hooks = await st.woo.request("GET", "webhooks")
            ours = [h for h in hooks if h["delivery_url"].startswith(rt.url)]
            assert len(ours) == 2
            await st.woo.request("PUT", f"webhooks/{ours[0]['id']}", {"status": "disabled"})
            headers = runtime_ops_headers(rt)
            async with st.http.get(f"{rt.url}/ops/figures", headers=headers) as r:
                figs = await r.json()
            assert figs["webhooks"]["total"] == 2 and figs["webhooks"]["disabled"] == 1
            assert figs["webhooks"]["not_active"][0]["status"] == "disabled"
            async with st.http.get(f"{rt.url}/metrics") as r:
                assert "bridge_shop_webhooks_disabled 1.0" in await r.text()


async def test_key_figures_use_the_runtime_watcher_when_it_runs(tmp_path: Path) -> None:
    """With the poller's webhook watcher running, the figures come from its last check
    (no second reader of the shop's webhooks)."""
    from tests.bridge.stack import wait_until

    async with stack() as st:
        cfg = bridge_config(
            f"sqlite:///{tmp_path / 'b.db'}",
            st.sap_url,
            st.shop_url,
            roles=("ingress", "poller"),
            webhook_watch_interval_s=0.2,
            webhook_reactivate=False,
            ops_token_file=str(tmp_path / "tokens.json"),
        )
        async with BridgeRuntime(cfg) as rt:
            await st.subscribe(rt.url)
            hooks = await st.woo.request("GET", "webhooks")
            await st.woo.request("PUT", f"webhooks/{hooks[0]['id']}", {"status": "paused"})
            assert rt.webhook_watch is not None
            headers = runtime_ops_headers(rt)

            async def one_paused() -> bool:
                async with st.http.get(f"{rt.url}/ops/figures", headers=headers) as r:
                    hooks = (await r.json())["webhooks"]
                return bool(hooks and hooks["disabled"] == 1)

            assert await wait_until(one_paused, 20)
            async with st.http.get(f"{rt.url}/ops/figures", headers=headers) as r:
                figs = await r.json()
            assert figs["webhooks"]["not_active"][0]["status"] == "paused"
