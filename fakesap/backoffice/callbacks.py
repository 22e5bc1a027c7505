"""Signed event callbacks from SAP to the integration, with retries and fault rules.

B1 has no webhooks; sites add an event sender (B1if, an add-on, a TransactionNotification
writing to a queue) that POSTs JSON when documents appear. This imitates one: HMAC-signed
bodies (``X-SAPChaos-Signature: base64(HMAC-SHA256(secret, body))``), retried with
exponential backoff, and the fault rules with ``target = "callback"`` can delay, drop,
duplicate or corrupt a delivery.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from fakesap.faults.base import RequestView
from fakesap.faults.engine import FaultEngine
from fakesap.http.wire import dumps_bytes
from sapchaos.logs import get_logger

log = get_logger("fakesap.backoffice.callbacks")


def sign(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@dataclass
class CallbackRecord:
    """One event's delivery history, as ``/__admin/backoffice`` shows it."""

    event: dict[str, Any]
    attempts: list[dict[str, Any]] = field(default_factory=list)
    delivered: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "event_id": self.event["event_id"],
            "type": self.event["type"],
            "doc_entry": self.event["doc_entry"],
            "delivered": self.delivered,
            "attempts": self.attempts,
        }


@dataclass
class CallbackSender:
    url: str
    secret: str
    retries: int
    backoff_s: float
    timeout_s: float
    clock: Any
    engine: FaultEngine | None = None
    records: list[CallbackRecord] = field(default_factory=list)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    http: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self.http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout_s))

    async def stop(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.http is not None:
            await self.http.close()

    def send(self, event: dict[str, Any]) -> None:
        record = CallbackRecord(event)
        self.records.append(record)
        task = asyncio.ensure_future(self._deliver(record))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def _fault_effects(self, event: dict[str, Any]) -> tuple[float, str | None, list[str]]:
        """(delay, outcome effect, rule ids) drawn from the rules with ``target = "callback"``."""
        if self.engine is None:
            return 0.0, None, []
        path = urlsplit(self.url).path or "/"
        view = RequestView(
            "POST", path, "v1", path.lstrip("/"), event.get("entity_set"), None, event
        )
        decision = self.engine.decide(view, "callback")
        if decision is None:
            return 0.0, None, []
        delay = sum(f.rule.fault.callback_delay_s(f.rng()) for f in decision.delays)
        outcome = decision.outcome.rule.fault.callback_effect if decision.outcome else None
        return delay, outcome, [f.rule.id for f in decision.firings]

    async def _deliver(self, record: CallbackRecord) -> None:
        assert self.http is not None
        body = dumps_bytes(record.event)  # SL numbers (Decimal) as JSON numbers
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "fakesap-backoffice/1.0",
            "X-SAPChaos-Event": record.event["type"],
            "X-SAPChaos-Event-Id": record.event["event_id"],
            "X-SAPChaos-Signature": sign(self.secret, body),
        }
        for attempt in range(1, self.retries + 1):
            delay, effect, rules = self._fault_effects(record.event)
            entry: dict[str, Any] = {"attempt": attempt, "rules": rules, "effect": effect}
            record.attempts.append(entry)
            if delay:
                await asyncio.sleep(delay)
            entry["at"] = self.clock()
            if effect == "drop":
                entry["status"], entry["error"] = None, "dropped by fault rule"
            else:
                payload = body[: max(1, len(body) // 2)] if effect == "corrupt" else body
                try:
                    async with self.http.post(
                        self.url,
                        data=payload,
                        headers={**headers, "X-SAPChaos-Attempt": str(attempt)},
                    ) as resp:
                        entry["status"] = resp.status
                        await resp.read()
                        ok = 200 <= resp.status < 300
                except (aiohttp.ClientError, TimeoutError) as exc:
                    entry["status"], entry["error"] = None, type(exc).__name__
                    ok = False
                if ok and effect != "duplicate":
                    record.delivered = True
                    return
                if ok:
                    entry["error"] = "reply lost by fault rule (will resend)"
                    record.delivered = True  # it did arrive; the resend is a duplicate
            if attempt < self.retries:
                await asyncio.sleep(self.backoff_s * 2 ** (attempt - 1))
        log.warning("callback_gave_up", event_type=record.event["type"], attempts=self.retries)
