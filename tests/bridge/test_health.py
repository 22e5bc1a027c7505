"""Readiness checks, role warnings, the reconciler's logging of dependency failures and
the worker's give-back of a claim whose outcome could not be recorded."""

from __future__ import annotations

import asyncio
import time
from collections.abc import MutableMapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

from aiohttp.test_utils import TestClient, TestServer
from structlog.testing import capture_logs

from bridge.config import DEFAULT_ROLES, BridgeConfig
from bridge.health import Check, Readiness, role_warnings
from bridge.ingress.app import create_ingress_app, make_ingress
from bridge.metrics import Metrics
from bridge.reconciler import ShopPage, ShopReconciler
from bridge.store import open_store
from bridge.store.base import Lease
from bridge.store.errors import LeaseLost, StoreUnavailable
from bridge.worker.loop import Worker


async def _ok() -> None:
    return None


async def _hangs() -> None:
    await asyncio.sleep(3600)


async def _refused() -> None:
    raise ConnectionRefusedError(111, "Connection refused")


async def test_readiness_names_each_check_with_its_last_error() -> None:
    r = Readiness(timeout_s=0.2)
    r.add(Check("store", _ok))
    r.add(Check("broker", _refused))
    r.add(Check("sap", _hangs, required=False))
    await r.probe_all(force=True)
    body = r.report()
    assert body["status"] == "not_ready" and not r.ready()
    assert body["checks"]["store"]["ok"] is True
    assert "Connection refused" in body["checks"]["broker"]["last_error"]
    assert body["checks"]["sap"] == body["checks"]["sap"] | {"ok": False, "required": False}
    assert "no answer within 0.2 s" in body["checks"]["sap"]["last_error"]
    r.checks["broker"].probe = _ok
    await r.probe_all()
    assert r.ready()  # sap is reported, not required
    r.note_failure("store", "webhook commit failed")
    assert not r.ready() and r.report()["checks"]["store"]["last_error"] == "webhook commit failed"


async def test_readyz_of_an_ingress_without_runtime_probes_the_store(tmp_path: Path) -> None:
    store = await open_store(f"sqlite:///{tmp_path}/b.db")
    try:
        app = create_ingress_app(make_ingress(store, ("s",), 1024, Metrics()))
        async with TestClient(TestServer(app)) as client:
            r = await client.get("/readyz")
            assert r.status == 200
            assert (await r.json())["checks"]["store"]["ok"] is True
            assert (await client.get("/livez")).status == 200
            assert (await client.get("/healthz")).status == 200
    finally:
        await store.close()


def test_role_warnings() -> None:
    assert role_warnings(DEFAULT_ROLES["woocommerce"], 30.0) == []
    assert role_warnings(DEFAULT_ROLES["magento"], 30.0) == []
    [w] = role_warnings(("ingress", "worker"), 30.0)
    assert "ingress but no reconciliation" in w
    assert role_warnings(("ingress", "worker", "poller"), 0.0)  # reconcile_interval_s = 0
    assert any("subscriber" in w for w in role_warnings(("worker", "subscriber"), 30.0))
    assert BridgeConfig(roles=("worker", "subscriber")).shop_kind() == "magento"
    assert BridgeConfig().shop_kind() == "woocommerce"


class _FailingReader:
    kind = "woocommerce"
    source = "rest"

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    async def page(self, since: float, number: int) -> ShopPage:
        raise self.exc


class _NoCursorStore:
    """Only what a pass touches before its first read: no saved keyset cursor."""

    async def get_reconcile_cursor(self, name: str) -> None:
        return None


async def _one_pass(exc: BaseException) -> tuple[ShopReconciler, list[MutableMapping[str, Any]]]:
    rec = ShopReconciler(cast(Any, _NoCursorStore()), _FailingReader(exc), interval_s=0.05)
    with capture_logs() as logs:
        task = asyncio.create_task(rec.run())
        await asyncio.sleep(0.02)
        rec.stop.set()
        await task
    return rec, logs


async def test_reconciler_logs_a_refused_connection_as_a_warning() -> None:
    for exc in (ConnectionRefusedError(111, "refused"), StoreUnavailable("PostgreSQL down")):
        rec, logs = await _one_pass(exc)
        assert rec.failures == 1 and rec.last_error
        assert [(e["event"], e["log_level"]) for e in logs] == [("reconcile_failed", "warning")]
    rec, logs = await _one_pass(KeyError("a bug"))
    assert [e["event"] for e in logs] == ["reconciler_bug"]


class _StoreComesBack:
    """``release_job`` fails twice (store unreachable), then works."""

    def __init__(self) -> None:
        self.calls = 0
        self.released: list[int] = []

    async def release_job(self, lease: Lease, run_at: float | None = None) -> None:
        self.calls += 1
        if self.calls <= 2:
            raise StoreUnavailable("PostgreSQL unavailable")
        self.released.append(lease.job_id)


async def test_unrecorded_claim_is_given_back_when_the_store_answers() -> None:
    """Not after the lease (60 s): within a second or two of the store answering."""
    cfg = BridgeConfig(lease_s=60.0)
    store = _StoreComesBack()
    deps = SimpleNamespace(config=cfg, store=store, clock=time.time)
    worker = Worker(cast(Any, deps))
    lease = Lease(7, 70, 1, "w", time.time() + 60, 1, time.time(), 1)
    started = time.monotonic()
    await asyncio.wait_for(worker._give_back_when_store_answers(lease), 30)
    assert store.released == [7] and store.calls == 3
    assert time.monotonic() - started < 20  # far below the 60 s lease


async def test_give_back_stops_when_the_lease_is_lost() -> None:
    class Lost:
        async def release_job(self, lease: Lease, run_at: float | None = None) -> None:
            raise LeaseLost(lease.job_id, lease.token, "reclaimed")

    deps = SimpleNamespace(config=BridgeConfig(lease_s=60.0), store=Lost(), clock=time.time)
    lease = Lease(8, 80, 1, "w", time.time() + 60, 1, time.time(), 1)
    await asyncio.wait_for(Worker(cast(Any, deps))._give_back_when_store_answers(lease), 10)
