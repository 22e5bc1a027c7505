"""What ops views show of an order, a dead letter or a quarantined request, per role.

The read-only role sees personal data masked exactly as the logs mask it
(``sapchaos.logs``: names, e-mails, phones, addresses → ``J***n``), in the snapshot, the
dead letter's request body and the quarantined body; operators see it whole (they fix
master data in SAP from it).
"""

from __future__ import annotations

import base64
import dataclasses
import json
import re
from collections.abc import Mapping
from typing import Any

from bridge.keys import order_ref
from bridge.store.base import AuditEntry, DeadLetterRow, QuarantineEntry, Store
from sapchaos.logs import PII_KEYS, mask

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


def mask_personal(value: Any) -> Any:
    """Mask personal data anywhere in a JSON value (known keys, and e-mail addresses
    inside any string, such as an SL error message naming a partner)."""
    if isinstance(value, Mapping):
        return {k: (mask(v) if k in PII_KEYS else mask_personal(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_personal(v) for v in value]
    if isinstance(value, str):
        return _EMAIL.sub(lambda m: mask(m.group(0)), value) if "@" in value else value
    return value


def masked_text(body: bytes) -> tuple[str, bool]:
    """A body for a read-only reader: JSON with personal data masked, or ``(notice, False)``
    when it is not JSON (nothing to mask reliably, so nothing is shown)."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        return f"[{len(body)} bytes, not JSON: hidden for the read-only role]", False
    return json.dumps(mask_personal(data), ensure_ascii=False), True


def quarantine_json(
    q: QuarantineEntry, with_body: bool = False, masked: bool = False
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": q.id,
        "kind": q.kind,
        "source": q.source,
        "topic": q.topic,
        "reason": mask_personal(q.reason) if masked else q.reason,
        "received_at": q.received_at,
        "headers": dict(q.headers),
        "size": len(q.body),
    }
    if with_body:
        if masked:
            out["body"], _ = masked_text(q.body)
        else:
            try:
                out["body"] = q.body.decode("utf-8")
            except UnicodeDecodeError:
                out["body_base64"] = base64.b64encode(q.body).decode()
    return out


def dlq_json(d: DeadLetterRow, masked: bool = False) -> dict[str, Any]:
    out = dataclasses.asdict(d)
    if masked:
        out["payload"] = mask_personal(out["payload"])
        out["message"] = mask_personal(out["message"])
    return out


def audit_json(e: AuditEntry) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "at": e.at,
        "actor": e.actor,
        "role": e.role,
        "action": e.action,
        "target": e.target,
        "order_id": e.order_id,
        "detail": e.detail,
        "hash": e.hash,
    }


def parse_order_query(text: str) -> int | None:
    """``1234``, ``#1234``, ``wc:1234`` or ``wc:1234:order`` → 1234; None otherwise (a
    Magento number is resolved by ``resolve_order``)."""
    t = text.strip().lstrip("#")
    if ":" in t:
        parts = t.split(":")
        t = parts[1] if len(parts) >= 2 and parts[0] == "wc" else ""
    if not t.isdigit() or not 0 < int(t) < 2**63:
        return None
    return int(t)


async def resolve_order(store: Store, text: str) -> int | None:
    """The order id a person typed: a WooCommerce id or number (``parse_order_query``), or
    a Magento increment id (``mg:000000123`` or ``000000123``), found through the
    correlation id of the events the bridge sent for it."""
    t = text.strip().lstrip("#")
    number = t[3:] if t.startswith("mg:") else (t if t.startswith("0") and t.isdigit() else "")
    if number:
        for e in await store.events_for(f"mg:{number}", 1):
            order_id = e.payload.get("order_id")
            if isinstance(order_id, int):
                return order_id
        return None
    return parse_order_query(t)


async def order_view(store: Store, order_id: int, masked: bool) -> dict[str, Any] | None:
    """Everything the bridge knows of one order; None if it never heard of it."""
    snap = await store.get_snapshot(order_id)
    job = await store.get_job(order_id)
    ledger = await store.ledger_for_order(order_id)
    if snap is None and job is None and not ledger:
        return None
    ref = order_ref(
        order_id,
        None if snap is None else snap.source,
        None if snap is None else snap.payload,
        [row.idem_key for row in ledger],
    )
    attempts = await store.list_attempts(order_id)
    dead = await store.dead_letters_for(order_id)
    audit = await store.list_audit(order_id=order_id)
    events = await store.events_for(ref.correlation_id)
    snapshot = None
    if snap is not None:
        payload = mask_personal(snap.payload) if masked else snap.payload
        snapshot = {
            "version": snap.version,
            "source": snap.source,
            "date_modified_gmt": snap.date_modified_gmt,
            "updated_at": snap.updated_at,
            "status": snap.payload.get("status"),
            "number": snap.payload.get("number") or snap.payload.get("increment_id"),
            "total": snap.payload.get("total") or snap.payload.get("grand_total"),
            "payload": payload,
        }
    view = {
        "order_id": order_id,
        "correlation_id": ref.correlation_id,
        "snapshot": snapshot,
        "job": None if job is None else dataclasses.asdict(job),
        "ledger": [dataclasses.asdict(r) | {"fresh": None} for r in ledger],
        "sap_documents": [
            {
                "op": r.op,
                "entity": r.target_entity,
                "docentry": r.target_docentry,
                "docnum": r.target_docnum,
            }
            for r in ledger
            if r.target_docentry is not None or r.target_docnum is not None
        ],
        "attempts": [
            dataclasses.asdict(a) | ({"detail": mask_personal(a.detail)} if masked else {})
            for a in attempts
        ],
        "dead_letters": [dlq_json(d, masked) for d in dead],
        "audit": [audit_json(e) for e in audit],
        "events": [
            {
                "event_id": e.event_id,
                "type": e.type,
                "created_at": e.created_at,
                "published_at": e.published_at,
            }
            for e in events
        ],
    }
    # errors and details quote SAP and the shop (a partner's e-mail in an SL message…)
    return mask_personal(view) if masked else view
