"""Liveness and readiness, as Kubernetes probes and load balancers use them.

``/livez`` says the process runs and its event loop answers. ``/readyz`` says this instance
can do its job right now: every dependency its roles need is probed in the background
(store always; the Service Layer session for worker/poller; the MQTT broker for relay and
subscriber, and the subscriber's catch-up after a lost session) and the answer names each
one with its last error. A probe that does not answer within ``timeout_s`` counts as a
failure, so a black-holed link makes the instance not ready within
``interval_s + timeout_s``, and the first successful probe after the heal makes it ready
again. Requests themselves never wait on a probe: ``/readyz`` reads the last results.

Besides the active probes, callers report what they see (``note_failure``): a webhook
whose store commit failed marks the store down at once, instead of a second later.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sapchaos.logs import get_logger

__all__ = ["Check", "CheckState", "Readiness"]

log = get_logger("bridge.health")

Probe = Callable[[], Awaitable[None]]


@dataclass
class Check:
    """One named dependency. ``probe`` raises (or times out) when it is unavailable.
    ``required``: whether a failure makes the instance not ready (a check that is not
    required is still reported). ``every_s``: probe at most this often (SAP probes are
    real calls, so they run less often than the store's ``SELECT 1``)."""

    name: str
    probe: Probe
    required: bool = True
    every_s: float = 0.0


@dataclass
class CheckState:
    """What is known about one check: ``ok`` (None = never probed), the last error, and
    when it last passed, failed and changed."""

    ok: bool | None = None
    last_error: str | None = None
    last_ok_at: float | None = None
    last_failure_at: float | None = None
    changed_at: float | None = None
    checked_at: float = 0.0

    def as_json(self, required: bool) -> dict[str, Any]:
        return {
            "ok": bool(self.ok),
            "required": required,
            "last_error": self.last_error,
            "last_ok_at": self.last_ok_at,
            "last_failure_at": self.last_failure_at,
            "since": self.changed_at,
        }


@dataclass
class Readiness:
    """The registered checks and their last results; ``run(stop)`` probes them."""

    checks: dict[str, Check] = field(default_factory=dict)
    interval_s: float = 1.0
    timeout_s: float = 2.0
    clock: Callable[[], float] = time.time
    states: dict[str, CheckState] = field(default_factory=dict)
    running: bool = False
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    def add(self, check: Check) -> None:
        self.checks[check.name] = check
        self.states.setdefault(check.name, CheckState())

    def _set(self, name: str, ok: bool, error: str | None) -> None:
        st = self.states.setdefault(name, CheckState())
        now = self.clock()
        if st.ok is not ok:
            st.changed_at = now
            if ok:
                log.info("dependency_ready", check=name)
            else:
                log.warning("dependency_unavailable", check=name, error=(error or "")[:300])
        st.ok = ok
        st.checked_at = now
        if ok:
            st.last_ok_at = now
        else:
            st.last_error = error
            st.last_failure_at = now

    def note_failure(self, name: str, error: str) -> None:
        """Passive signal: a caller saw ``name`` fail (e.g. a webhook's store commit)."""
        if name in self.checks:
            self._set(name, False, error)

    def note_success(self, name: str) -> None:
        """Passive signal: a caller saw ``name`` work."""
        if name in self.checks:
            self._set(name, True, None)

    async def _probe(self, check: Check) -> None:
        try:
            await asyncio.wait_for(check.probe(), self.timeout_s)
        except TimeoutError:
            self._set(check.name, False, f"no answer within {self.timeout_s:g} s")
        except Exception as exc:
            self._set(check.name, False, f"{type(exc).__name__}: {exc}"[:300])
        else:
            self._set(check.name, True, None)

    async def probe_all(self, *, force: bool = False) -> None:
        """Probe every check that is due (all of them with ``force``), concurrently."""
        async with self._lock:
            now = self.clock()
            due = [
                c
                for c in self.checks.values()
                if force
                or self.states[c.name].ok is not True
                or now - self.states[c.name].checked_at >= c.every_s
            ]
            await asyncio.gather(*(self._probe(c) for c in due))

    async def run(self, stop: asyncio.Event) -> None:
        """Probe every ``interval_s`` until ``stop`` is set."""
        self.running = True
        try:
            while not stop.is_set():
                await self.probe_all()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.interval_s)
        finally:
            self.running = False

    def ready(self) -> bool:
        return all(self.states[c.name].ok is True for c in self.checks.values() if c.required)

    def report(self) -> dict[str, Any]:
        """``{"status": "ready"|"not_ready", "checks": {name: {...}}}``."""
        return {
            "status": "ready" if self.ready() else "not_ready",
            "checks": {
                name: self.states[name].as_json(check.required)
                for name, check in self.checks.items()
            },
        }


def role_warnings(roles: tuple[str, ...], reconcile_interval_s: float) -> list[str]:
    """Why a role set can lose orders with no path to heal them (``bridge serve`` prints
    each line as a warning). Another instance on the same store may run the missing role,
    so these are warnings, not errors."""
    present = set(roles)
    heals = bool(present & {"poller", "reconciler"}) and reconcile_interval_s > 0
    out: list[str] = []
    if "ingress" in present and not heals:
        out.append(
            "roles have ingress but no reconciliation (role reconciler or poller with "
            "reconcile_interval_s > 0): WooCommerce never retries a failed delivery, so an "
            "order whose webhook is lost never reaches SAP unless another instance reconciles"
        )
    if "subscriber" in present and not heals:
        out.append(
            "roles have subscriber but no periodic reconciliation (role reconciler): a lost "
            "MQTT session is caught up at reconnect, but events the shop dropped or a broker "
            "lost unnoticed are healed only by the reconciler"
        )
    if present & {"ingress", "subscriber"} and "worker" not in present:
        out.append("no worker role: accepted orders wait until another instance runs workers")
    return out
