"""The worker loop: claim leases, reconcile each order with SAP, and settle the job.

Leases are how several bridge processes share one store without double work: a claim
expires later than any SAP call can last, the lease is renewed while the job runs, every
store write checks the fencing token, and a worker whose lease lapsed stops at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

from bridge.keys import OrderRef, key_order, order_ref
from bridge.order import ValidationError, parse_order, validation_reason
from bridge.retry import decide
from bridge.sap.errors import Permanent, SLFailure, Transient
from bridge.shop.client import ShopError
from bridge.store.base import Claimed, DeadLetter, Lease, LedgerRow, Snapshot
from bridge.store.errors import LeaseLost
from bridge.worker.deps import (
    BreakerOpen,
    LeaseTooShort,
    StepContext,
    WaitFor,
    WorkerDeps,
    lease_margin,
)
from bridge.worker.plan import Step, next_step
from bridge.worker.steps import STEPS, order_event
from sapchaos.logs import correlated, get_logger

log = get_logger("bridge.worker")

#: a job never runs more steps than this in one claim (guards against a planning loop)
MAX_STEPS_PER_CLAIM = 12
#: step → the Service Layer endpoint it writes a ledger intent for before calling; the loop
#: asks that endpoint's breaker first (``Breaker.admits``), so no intent precedes a refusal
INTENT_ENDPOINTS = {"create_order": "POST Orders", "create_invoice": "POST Invoices"}


@dataclass
class Worker:
    """One worker task: ``run()`` until ``stop`` is set."""

    deps: WorkerDeps
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    processed: int = 0
    #: leases this worker holds right now (by job id); ``release_all`` gives them back
    active: dict[int, Lease] = field(default_factory=dict)

    async def run(self) -> None:
        cfg = self.deps.config
        signal = getattr(self.deps.store, "job_signal", None)
        while not self.stop.is_set():
            mark = signal.mark() if signal is not None else 0
            try:
                # the snapshot and ledger come with the claim (one transaction)
                claims = await self.deps.store.claim_work(
                    self.deps.worker_id, cfg.batch_size, cfg.lease_s, now=self.deps.clock()
                )
            except Exception as exc:  # store unreachable: keep the worker alive, try again
                log.warning("claim_failed", error=f"{type(exc).__name__}: {exc}"[:200])
                await self._idle(max(1.0, cfg.idle_poll_s))
                continue
            if not claims:
                if signal is not None:
                    # woken by the commit that makes a job runnable; idle_poll_s bounds the
                    # wait for work that other processes (or a retry's run_at) make due
                    await signal.wait(mark, cfg.idle_poll_s)
                else:
                    await self._idle(cfg.idle_poll_s)
                continue
            await asyncio.gather(*(self.process(c) for c in claims))

    async def _idle(self, delay: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stop.wait(), delay)

    async def process(self, claim: Claimed) -> None:
        """Run one claimed job with a lease keeper beside it; stop if the lease is lost."""
        lease = claim.lease
        # which shop the order came from is known once its snapshot is read; until then
        # (and if reading fails) it is named like a WooCommerce order
        named = [OrderRef(lease.order_id)]
        self.active[lease.job_id] = lease
        interrupted = False  # cancelled from outside (stop): keep it for ``release_all``
        work = asyncio.create_task(self._claimed(claim, named))
        keeper = asyncio.create_task(self._keep_lease(lease, work))
        try:
            await work
        except LeaseLost as exc:
            with correlated(named[0].correlation_id):
                log.warning("lease_lost", job_id=lease.job_id, reason=exc.reason)
        except asyncio.CancelledError:
            if not self.stop.is_set() and keeper.done():
                with correlated(named[0].correlation_id):
                    log.warning("lease_lapsed_stopped", job_id=lease.job_id)
            else:
                interrupted = True
                raise
        except Exception as exc:  # store hiccup or a bug: never kill the worker; retry later
            ref = named[0]
            with correlated(ref.correlation_id):
                log.exception("job_failed_unexpectedly", job_id=lease.job_id)
                try:
                    await self._retry(
                        lease, Transient(f"internal error: {exc!r}"), "unexpected", ref
                    )
                except Exception:
                    log.warning("job_retry_not_recorded", job_id=lease.job_id)
                    await self._give_back_when_store_answers(lease)
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
            if not interrupted:
                self.active.pop(lease.job_id, None)  # settled (or lost) by the work itself
        self.processed += 1

    async def _give_back_when_store_answers(self, lease: Lease) -> None:
        """The store failed while this claim was being settled (its outcome is not
        recorded): give the claim back (pending, due now) as soon as the store answers
        again, instead of leaving the job to wait for its lease to lapse. Tried until just
        before the lease would lapse; fencing makes a give-back that races a new claim a
        no-op (``LeaseLost``)."""
        cfg = self.deps.config
        deadline = lease.expires_at - lease_margin(cfg)
        delay = 0.2
        while self.deps.clock() < deadline and not self.stop.is_set():
            await self._idle(min(delay, max(0.0, deadline - self.deps.clock())))
            try:
                await self.deps.store.release_job(lease)
            except LeaseLost:
                return
            except Exception:
                delay = min(delay * 2, 2.0)
                continue
            log.info("job_released_after_store_outage", job_id=lease.job_id)
            return

    async def release_all(self) -> int:
        """Graceful stop: give back every claim whose work was interrupted (pending now,
        no attempt counted), so a restart need not wait ``lease_s``. Returns how many."""
        released = 0
        for lease in list(self.active.values()):
            try:
                await self.deps.store.release_job(lease)
                released += 1
            except Exception as exc:  # lost meanwhile, or store down: the lease expires
                log.info("release_on_stop_failed", job_id=lease.job_id, error=str(exc)[:200])
        self.active.clear()
        return released

    async def _claimed(self, claim: Claimed, named: list[OrderRef]) -> None:
        """With the snapshot and ledger read in the claiming transaction, name the order
        (``named[0]``; its key prefix is sticky once the ledger has keys), and reconcile
        under its correlation id."""
        lease, snap, rows = claim.lease, claim.snapshot, claim.ledger
        if snap is not None:
            named[0] = order_ref(
                lease.order_id, snap.source, snap.payload, (r.idem_key for r in rows)
            )
        ref = named[0]
        with correlated(ref.correlation_id):
            await self._reconcile(lease, snap, ref, rows)

    async def _keep_lease(self, lease: Lease, work: asyncio.Task[None]) -> None:
        """Renew every ``lease_s/3``. A renewal the store refuses cancels the work at once;
        one that fails (store unreachable) is retried about every second, and the work is
        cancelled at ``expires_at - lease_margin`` if none succeeded by then — before
        another worker can claim the job."""
        cfg = self.deps.config
        clock = self.deps.clock
        margin = lease_margin(cfg)
        every = cfg.lease_s / 3
        while True:
            deadline = lease.expires_at - margin
            await asyncio.sleep(max(0.0, min(every, deadline - clock())))
            ok: bool | None
            try:
                ok = await asyncio.wait_for(
                    self.deps.store.renew_lease(lease, cfg.lease_s),
                    max(0.05, lease.expires_at - margin - clock()),
                )
            except Exception:
                ok = None  # unknown: retry soon, but never past the deadline
            if ok:
                every = cfg.lease_s / 3
                continue
            if ok is False or clock() >= lease.expires_at - margin:
                work.cancel()  # a worker whose lease lapsed (or is about to) stops
                return
            every = min(1.0, cfg.lease_s / 10)

    async def _reconcile(
        self, lease: Lease, snap: Snapshot | None, ref: OrderRef, rows: list[LedgerRow]
    ) -> None:
        store = self.deps.store
        if snap is None:
            await store.complete_job(lease)
            return
        try:
            order = parse_order(snap.payload)
        except ValidationError as exc:
            await self._dead(
                lease,
                "validate",
                key_order(ref.prefix, lease.order_id),
                "invalid",
                validation_reason(exc),
                ref=ref,
            )
            return
        after: list[LedgerRow] | None = rows
        for _ in range(MAX_STEPS_PER_CLAIM):
            # the ledger as the last step's final write left it, or read again
            rows = after if after is not None else await store.ledger_for_order(order.id)
            ledger = {row.idem_key: row for row in rows}
            step = next_step(order, ledger, ref.prefix, self.deps.config.sap_document)
            if step is None:
                await store.complete_job(lease)
                return
            endpoint = INTENT_ENDPOINTS.get(step.name)
            if endpoint is not None and not self.deps.breakers.get(endpoint).admits():
                # open breaker: give the job back before the step writes its ledger intent
                # (an intent makes the next try pay a lookup in SAP first)
                self.deps.metrics.retries.labels("breaker_open").inc()
                retry_in = self.deps.breakers.get(endpoint).retry_in()
                await store.release_job(lease, self.deps.clock() + max(retry_in, 0.05))
                return
            ctx = StepContext(self.deps, lease, order, ledger, snap.payload, ref)
            try:
                after = await STEPS[step.name](ctx, step)
                self.deps.metrics.steps.labels(step.name, "ok").inc()
            except BreakerOpen as exc:
                self.deps.metrics.retries.labels("breaker_open").inc()
                await store.release_job(lease, self.deps.clock() + max(exc.retry_in_s, 0.05))
                return
            except WaitFor as exc:
                self.deps.metrics.steps.labels(step.name, "wait").inc()
                log.info("job_waits", step=step.name, reason=exc.reason[:200])
                await store.release_job(lease, self.deps.clock() + exc.retry_in_s)
                return
            except LeaseTooShort as exc:
                self.deps.metrics.steps.labels(step.name, "lease_short").inc()
                log.warning("lease_too_short", step=step.name, reason=str(exc)[:200])
                await store.release_job(lease)
                return
            except Permanent as exc:
                self.deps.metrics.steps.labels(step.name, "permanent").inc()
                await self._dead(
                    lease, step.name, step.idem_key, exc.code, exc.message, step, ref=ref
                )
                return
            except Transient as exc:
                self.deps.metrics.steps.labels(step.name, exc.kind).inc()
                await self._retry(lease, exc, step.name, ref)
                return
            except ShopError as exc:
                self.deps.metrics.steps.labels(step.name, "shop_error").inc()
                if exc.transient:
                    await self._retry(lease, Transient(str(exc), exc.status), step.name, ref)
                else:
                    await self._dead(
                        lease,
                        step.name,
                        step.idem_key,
                        f"shop:{exc.code}",
                        exc.message,
                        step,
                        ref=ref,
                    )
                return
        await self._retry(lease, Transient("too many steps in one claim"), "loop", ref)

    async def _retry(self, lease: Lease, exc: SLFailure, where: str, ref: OrderRef) -> None:
        now = self.deps.clock()
        retry_after = exc.retry_after_s if isinstance(exc, Transient) else None
        decision = decide(
            self.deps.config.retry,
            lease.attempts,
            now - lease.first_attempt_at,
            self.deps.rng,
            retry_after,
        )
        if not decision.retry:
            await self._dead(
                lease,
                where,
                key_order(ref.prefix, lease.order_id),
                "retries_exhausted",
                f"{decision.reason}; last error: {exc.message}",
                ref=ref,
            )
            return
        self.deps.metrics.retries.labels(exc.kind).inc()
        log.info(
            "job_retry",
            step=where,
            attempt=lease.attempts,
            delay_s=round(decision.delay_s, 3),
            error=exc.message[:200],
        )
        await self.deps.store.retry_job(
            lease, now + decision.delay_s, f"{where}: {exc.message}"[:500]
        )

    async def _dead(
        self,
        lease: Lease,
        op: str,
        idem_key: str,
        code: str,
        message: str,
        step: Step | None = None,
        *,
        ref: OrderRef,
    ) -> None:
        """Dead-letter the job, then compensate: a note and ``order.failed``; the shop order
        is set ``on-hold`` only when SAP refused to create it (``create_order``). Any
        other step (cancel, refund, payment …) must not move the order away from the
        customer's status (a cancelled order stays cancelled)."""
        store = self.deps.store
        dlq_id = await store.dead_letter(
            lease,
            DeadLetter(
                op=op,
                idem_key=idem_key,
                code=str(code),
                message=message,
                payload={"step": step.name if step else op, "attempts": lease.attempts},
            ),
        )
        self.deps.metrics.dead_letters.inc()
        log.warning(
            "dead_letter", op=op, idem_key=idem_key, code=code, message=message[:300], dlq_id=dlq_id
        )
        snap_order_id = lease.order_id
        note = (
            f"SAP refused {op} for key {idem_key}: SL {code}: {message} "
            f"(dead letter {dlq_id}; fix the data and replay it)."
        )
        hold = op == "create_order"
        for attempt in range(3):
            try:
                if hold:
                    await self.deps.shop.update_order(snap_order_id, {"status": "on-hold"})
                    hold = False  # do not repeat it when only the note failed
                await self.deps.shop.add_note(snap_order_id, note[:1000])
                break
            except ShopError as exc:
                log.warning("compensation_failed", attempt=attempt + 1, error=str(exc)[:200])
                await asyncio.sleep(0.2 * (attempt + 1))
        await store.enqueue_events(
            [
                order_event(
                    lease.order_id,
                    "order.failed",
                    f"{idem_key}|dead:{dlq_id}",
                    correlation=ref.correlation_id,
                    op=op,
                    idem_key=idem_key,
                    code=str(code),
                    message=message[:500],
                    dead_letter_id=dlq_id,
                )
            ]
        )


__all__ = ["Worker"]
