"""``metrics_port``: health and metrics on a listener of their own, without ``/ops``."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from bridge.config import BridgeConfig
from bridge.runtime import BridgeRuntime
from tests.bridge.stack import wait_until


async def test_health_and_metrics_on_a_separate_listener(tmp_path: Path) -> None:
    cfg = BridgeConfig(
        store_dsn=f"sqlite:///{tmp_path / 'b.db'}",
        port=0,
        roles=("ingress",),
        metrics_port=0,
        ops_token_file=str(tmp_path / "tokens.json"),
    )
    async with BridgeRuntime(cfg) as rt:
        assert rt.metrics_port is not None and rt.metrics_port != rt.port
        probe = f"http://127.0.0.1:{rt.metrics_port}"
        async with aiohttp.ClientSession() as http:

            async def ready() -> bool:
                async with http.get(probe + "/readyz") as r:
                    return r.status == 200  # 503 until the first probe of the store

            assert await wait_until(ready, 20)
            for path in ("/livez", "/readyz", "/healthz"):
                async with http.get(probe + path) as r:
                    assert r.status == 200, path
            async with http.get(probe + "/metrics") as r:
                assert "bridge_backlog_jobs" in await r.text()
            for path in ("/ops/dlq", "/ops/ui", "/webhooks/woocommerce"):
                async with http.get(probe + path) as r:
                    assert r.status in (404, 405), path
            async with http.get(f"{rt.url}/metrics") as r:  # still on the main one too
                assert r.status == 200
    assert rt._probe_runner is None
