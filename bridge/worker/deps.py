"""What a worker step needs, passed explicitly: store, clients, mapping, breakers, lease."""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from bridge.breaker import BreakerBoard
from bridge.config import BridgeConfig
from bridge.keys import OrderRef, Prefix
from bridge.mapping import MappingContext
from bridge.metrics import Metrics
from bridge.order import OrderPayload
from bridge.sap.client import ServiceLayerClient
from bridge.sap.errors import Permanent, SLFailure, Transient
from bridge.shop.client import WooClient
from bridge.store.base import Lease, LedgerRow, Store

T = TypeVar("T")


class BreakerOpen(Exception):
    """The endpoint's breaker is open: give the job back without calling SAP."""

    def __init__(self, endpoint: str, retry_in_s: float) -> None:
        super().__init__(f"breaker open for {endpoint}")
        self.endpoint = endpoint
        self.retry_in_s = retry_in_s


class WaitFor(Exception):
    """Nothing to do until SAP moves on (e.g. a delivered order waits for its invoice
    before the cancel can be a credit note): give the job back until ``retry_in_s``,
    no attempt counted, nothing dead-lettered."""

    def __init__(self, reason: str, retry_in_s: float) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_in_s = retry_in_s


class LeaseTooShort(Exception):
    """A SAP write could outlast the lease (fencing): do not start it; release the job."""


def lease_margin(config: BridgeConfig) -> float:
    """Safety margin before ``lease.expires_at``: no SAP write may still be running then."""
    return min(5.0, config.lease_s / 10)


@dataclass
class WorkerDeps:
    config: BridgeConfig
    store: Store
    sap: ServiceLayerClient
    shop: WooClient
    mapping: MappingContext
    breakers: BreakerBoard
    metrics: Metrics
    rng: random.Random
    worker_id: str
    clock: Callable[[], float] = time.time
    #: called after a SAP document that moves stock was written (the stock sync's
    #: ``nudge`` when it runs in this process)
    on_sap_change: Callable[[], None] | None = None


@dataclass
class StepContext:
    """One job's working set: the lease (fencing token), the order and its ledger."""

    deps: WorkerDeps
    lease: Lease
    order: OrderPayload
    ledger: Mapping[str, LedgerRow]
    raw: Mapping[str, Any] = field(default_factory=dict)
    #: the order's shop and number as keys and events name it (``bridge.keys``)
    ref: OrderRef | None = None

    @property
    def prefix(self) -> Prefix:
        return self.ref.prefix if self.ref is not None else "wc"

    @property
    def store(self) -> Store:
        return self.deps.store

    async def _fence(self, endpoint: str) -> None:
        cfg = self.deps.config
        margin = lease_margin(cfg)

        def short() -> bool:
            ends = self.deps.clock() + cfg.sap_total_timeout_s
            return ends > self.lease.expires_at - margin

        if not short():
            return
        renewed = False
        with contextlib.suppress(Exception):
            renewed = await self.store.renew_lease(self.lease, cfg.lease_s)
        if not renewed or short():
            raise LeaseTooShort(
                f"{endpoint}: lease ends in {self.lease.expires_at - self.deps.clock():.1f}s, "
                f"a call may take {cfg.sap_total_timeout_s}s"
            )

    async def sap_call(
        self, endpoint: str, op: str, idem_key: str | None, call: Callable[[], Awaitable[T]]
    ) -> T:
        """Run one SL call behind its endpoint's breaker and write the audit row.
        A write (any method but GET) starts only if it ends, at the SL total timeout,
        before the lease does (less ``lease_margin``); else one renewal is tried, and if
        that is not enough ``LeaseTooShort`` stops the step (the loop releases the job)."""
        if not endpoint.startswith("GET "):
            await self._fence(endpoint)
        breaker = self.deps.breakers.get(endpoint)
        if not breaker.allow():
            self.deps.metrics.breaker_open.labels(endpoint).set(1)
            raise BreakerOpen(endpoint, breaker.retry_in())
        started = self.deps.clock()
        outcome: str = "ok"
        detail: dict[str, Any] = {}
        try:
            result = await call()
            breaker.record(True)
            return result
        except Permanent as exc:
            breaker.record(True)  # the endpoint answered; the data is wrong
            outcome, detail = exc.kind, {"code": exc.code, "message": exc.message}
            raise
        except Transient as exc:
            breaker.record(False)
            outcome, detail = exc.kind, {"message": exc.message, "status": exc.status}
            raise
        except SLFailure as exc:  # pragma: no cover - every failure is one of the above
            breaker.record(False)
            outcome, detail = exc.kind, {"message": exc.message}
            raise
        finally:
            self.deps.metrics.breaker_open.labels(endpoint).set(
                1 if breaker.state.value == "open" else 0
            )
            method, _, entity = endpoint.partition(" ")
            elapsed = self.deps.clock() - started
            self.deps.metrics.sap_calls.labels(method, entity, outcome).inc()
            self.deps.metrics.sap_latency.labels(method, entity).observe(elapsed)
            await self.store.append_attempt(
                self.lease,
                self.order.id,
                op,
                idem_key,
                outcome,
                {"endpoint": endpoint, **detail},
                elapsed * 1000,
            )
