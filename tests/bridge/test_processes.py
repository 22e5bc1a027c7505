"""Several bridge processes on one PostgreSQL, and SIGKILL during a 500-order run."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

from bridge.runtime import BridgeRuntime
from sapchaos.net import free_port

from .procs import BridgeProc, bridge_env, wait_http
from .stack import bridge_config, stack, wait_until

PG_BASE = "postgresql://postgres@127.0.0.1:5432/test"


async def test_two_worker_processes_share_postgres(tmp_path: Path) -> None:
    import uuid

    from .conftest import drop_schema

    schema = f"h8_{uuid.uuid4().hex[:10]}"
    dsn = f"{PG_BASE}?schema={schema}"
    try:
        async with stack() as st:
            await st.set_chaos(
                {
                    "copies": {"1": 0.4, "2": 0.3, "3": 0.3},
                    "reorder_p": 0.3,
                    "reorder_window_ms": 200,
                }
            )
            cfg = bridge_config(dsn, st.sap_url, st.shop_url, roles=("ingress",))
            async with BridgeRuntime(cfg) as rt:  # ingress in-process, migrates the schema
                procs = [
                    BridgeProc(
                        [
                            "serve",
                            "--roles",
                            "worker",
                            "--store",
                            dsn,
                            "--sap-url",
                            st.sap_url,
                            "--shop-url",
                            st.shop_url,
                            "--worker-id",
                            f"proc{i}",
                            "--workers",
                            "2",
                        ],
                        bridge_env(),
                        tmp_path / f"worker{i}.log",
                    )
                    for i in range(2)
                ]
                for p in procs:
                    await p.start()

                async def both_serving() -> bool:
                    # both workers must be claiming before orders arrive, or a fast first
                    # process can drain the whole backlog alone on a busy machine
                    return all(
                        p.log_path.exists() and b"bridge serving roles" in p.log_path.read_bytes()
                        for p in procs
                    )

                try:
                    assert await wait_until(both_serving, 60, 0.1)
                    await st.subscribe(rt.url)
                    ids = await st.generate(80)
                    await st.drain_shop()

                    async def all_created() -> bool:
                        return len(await st.sap_orders_by_key()) >= len(ids)

                    assert await wait_until(all_created, 60, 0.25)
                    assert await rt.wait_idle(30)
                finally:
                    for p in procs:
                        await p.terminate()
                by_key = await st.sap_orders_by_key()
                assert set(by_key) == {f"wc:{i}:order" for i in ids}
                assert all(n == 1 for n in by_key.values()), by_key
                store = rt.store
                assert store is not None
                workers = {
                    a.worker_id.split("/")[0]
                    for i in ids
                    for a in await store.list_attempts(i)
                    if a.worker_id
                }
                assert workers == {"proc0", "proc1"}, workers
    finally:
        await drop_schema(schema)


async def test_sigkill_20_times_during_500_orders(tmp_path: Path) -> None:
    rng = random.Random(20261123)
    print("seed 20261123")
    dsn = f"sqlite:///{tmp_path / 'bridge.db'}"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    async with stack(guard=False) as st:
        bridge = BridgeProc(
            [
                "serve",
                "--roles",
                "ingress,worker,poller",
                "--store",
                dsn,
                "--sap-url",
                st.sap_url,
                "--shop-url",
                st.shop_url,
                "--port",
                str(port),
            ],
            bridge_env(reconcile_interval_s="1", reconcile_lookback_s="600", poll_interval_s="5"),
            tmp_path / "bridge.log",
        )
        await bridge.start()
        await wait_http(f"{url}/healthz")
        await st.subscribe(url)
        ids: list[int] = []
        kills = 0

        async def feed() -> None:
            for _ in range(20):
                ids.extend(await st.generate(25))
                await asyncio.sleep(rng.uniform(0.3, 1.0))

        feeder = asyncio.create_task(feed())
        while kills < 20:
            await asyncio.sleep(rng.uniform(0.3, 1.2))
            bridge.kill9()
            await bridge.wait()
            kills += 1
            await bridge.start()
            await wait_http(f"{url}/healthz")
            # the operator's runbook: re-activate webhooks WooCommerce disabled meanwhile
            for hook in await st.woo.request("GET", "webhooks"):
                if hook["status"] != "active":
                    await st.woo.request("PUT", f"webhooks/{hook['id']}", {"status": "active"})
        await feeder
        try:

            async def all_created() -> bool:
                return len(await st.sap_orders_by_key()) >= len(ids)

            ok = await wait_until(all_created, 90, 0.5)
            by_key = await st.sap_orders_by_key()
        finally:
            await bridge.terminate()
        missing = {f"wc:{i}:order" for i in ids} - set(by_key)
        dups = {k: n for k, n in by_key.items() if n > 1}
        async with st.http.get(st.shop_admin("deliveries")) as r:
            deliveries = (await r.json())["deliveries"]
        failed = sum(1 for d in deliveries if d.get("status") != 200)
        print(
            f"orders {len(ids)} kills {kills} starts {bridge.starts} sap_orders "
            f"{sum(by_key.values())} webhook deliveries {len(deliveries)} failed {failed} "
            "(orders behind failed deliveries were healed by the shop reconciler)"
        )
        assert ok and not missing, sorted(missing)[:10]
        assert not dups, dups
        assert len(ids) == 500
