"""The reconcile steps, one small unit each, registered by name in ``STEPS``.

Every SAP effect follows the same discipline real integrations need because the Service
Layer has no idempotency header: record intent in the ledger, and if an earlier attempt's
outcome is unknown (intent or ambiguous) look the key up in SAP before acting again.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from bridge.contract import build_document
from bridge.contract.partners import PartnerPolicy, resolve_card_code
from bridge.keys import correlation_id, key_invoice, key_order, key_skip
from bridge.mapping import MappingError
from bridge.sap.errors import Ambiguous, DuplicateRefused, NotFound, Permanent
from bridge.store.base import LedgerRow, OutboxEvent
from bridge.worker.deps import StepContext, WaitFor
from bridge.worker.plan import Step
from sapchaos.logs import get_logger

#: what a step returns: the order's ledger as its last write left it (the loop plans the
#: next step from it), or None when the loop must read it again
Ledger = list[LedgerRow] | None

log = get_logger("bridge.worker")

ORDER_SELECT = "DocEntry,DocNum,U_IdemKey,Cancelled,DocumentStatus,DocumentLines"


#: SL code of "Cannot cancel document; it is closed or has follow-up documents"
CANNOT_CANCEL = "-4006"


def wait_s(ctx: StepContext) -> float:
    """How long a waiting job sleeps before looking again (the poller's ``request_sync``
    wakes it sooner when the awaited document shows up)."""
    return min(300.0, max(1.0, 12 * ctx.deps.config.poll_interval_s))


class StepFailed(Permanent):
    """A permanent failure raised by a step itself (mapping, partial document)."""


#: namespace of the bridge's deterministic event ids
EVENT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://sapchaos/bridge/events")


def event_id_for(idem_key: str, type_: str) -> str:
    """``uuid5(EVENT_NAMESPACE, "{idem_key}|{type}")``: the same logical event gets the same
    id whoever observes it (poller, SAP callback, a retried step); the outbox keeps one."""
    return str(uuid.uuid5(EVENT_NAMESPACE, f"{idem_key}|{type_}"))


def order_event(
    order_id: int,
    type_: str,
    event_key: str | None = None,
    /,
    *,
    correlation: str | None = None,
    **payload: Any,
) -> OutboxEvent:
    """An outbox event (``order.confirmed`` …) with the order's correlation id
    (``bridge.keys.correlation_id``; default ``wc:{id}``) and a deterministic id
    derived from ``event_key`` (usually the ledger key whose outcome it reports; without
    one, a random id — only for events that have no logical identity)."""
    return OutboxEvent(
        event_id=str(uuid.uuid4()) if event_key is None else event_id_for(event_key, type_),
        type=type_,
        correlation_id=correlation or correlation_id("wc", order_id),
        payload={"order_id": order_id, **payload},
    )


def event(ctx: StepContext, type_: str, key: str, /, **payload: Any) -> OutboxEvent:
    """The step's outcome event; its id derives from the step's key (``event_id_for``)."""
    cid = correlation_id(ctx.prefix, ctx.order.id, ctx.order.order_number)
    return order_event(
        ctx.order.id,
        type_,
        key,
        correlation=cid,
        number=ctx.order.order_number,
        **payload,
    )


async def _lookup(ctx: StepContext, entity_set: str, idem_key: str) -> dict[str, Any] | None:
    """``GET {entity_set}?$filter=U_IdemKey eq '...'``: the document an earlier try created."""
    found = await ctx.sap_call(
        f"GET {entity_set}",
        "lookup",
        idem_key,
        lambda: ctx.deps.sap.find_by_udf(entity_set, "U_IdemKey", idem_key),
    )
    # a cancelled document under our key (e.g. a partial one we cancelled) does not count
    live = [d for d in found if d.get("Cancelled") != "tYES"]
    if len(live) > 1:
        log.warning("duplicate_documents_in_sap", idem_key=idem_key, count=len(live))
    return min(live, key=lambda d: int(d.get("DocEntry", 0))) if live else None


async def _complete_partial(
    ctx: StepContext, doc: dict[str, Any], desired: dict[str, Any], entity_set: str = "Orders"
) -> None:
    """A header without all its lines is completed by PATCH (missing lines appended);
    if SAP refuses the completion, the partial document is cancelled, never left."""
    have: dict[str, Decimal] = {}
    for line in doc.get("DocumentLines") or []:
        code = str(line.get("ItemCode"))
        have[code] = have.get(code, Decimal(0)) + Decimal(str(line.get("Quantity", 0)))
    missing = []
    for line in desired["DocumentLines"]:
        code = line["ItemCode"]
        if have.get(code, Decimal(0)) >= Decimal(line["Quantity"]):
            have[code] -= Decimal(line["Quantity"])
            continue
        missing.append(line)
    if not missing:
        return
    entry = int(doc["DocEntry"])
    log.warning("partial_document", doc_entry=entry, missing=len(missing))
    try:
        await ctx.sap_call(
            f"PATCH {entity_set}",
            "complete_partial",
            str(desired.get("U_IdemKey") or key_order(ctx.prefix, ctx.order.id)),
            lambda: ctx.deps.sap.patch(entity_set, entry, {"DocumentLines": missing}),
        )
    except Permanent as exc:
        await ctx.sap_call(
            f"POST {entity_set}",
            "cancel_partial",
            str(desired.get("U_IdemKey") or key_order(ctx.prefix, ctx.order.id)),
            lambda: ctx.deps.sap.action(entity_set, entry, "Cancel"),
        )
        raise StepFailed(
            exc.code, f"partial SAP order {doc.get('DocNum')} cancelled: {exc.message}", exc.status
        ) from exc


async def _partner(ctx: StepContext, key: str) -> str | None:
    """The partner resolved in SAP (``partner_policy = "sap"``), created once if missing."""
    cfg = ctx.deps.config
    policy = PartnerPolicy(
        cfg.partner_policy,
        cfg.guest_partner,
        cfg.guest_card_code,
        cfg.partner_customer_udf,
        ctx.deps.mapping.national_id_key,
    )

    def call(endpoint: str, op: str, fn: Callable[[], Awaitable[Any]]) -> Awaitable[Any]:
        return ctx.sap_call(endpoint, op, key, fn)

    return await resolve_card_code(ctx.deps.sap, call, ctx.prefix, ctx.order, ctx.raw, policy)


async def create_order(ctx: StepContext, step: Step) -> Ledger:
    """Create the SAP sales order exactly once (``wc:{id}:order`` / ``mg:{id}:order``),
    or with ``entity_set`` Invoices the A/R invoice of a paid order (``wc:{id}:invoice``)."""
    key = step.idem_key
    entity = str(step.params.get("entity_set", "Orders"))
    document = "invoice" if entity == "Invoices" else "order"
    try:
        # the configured contract version, totals-checked with SAP's rules before writing
        desired = build_document(ctx.order, ctx.deps.mapping, ctx.prefix, document=document)
    except MappingError as exc:
        raise StepFailed("mapping", str(exc)) from exc
    card = await _partner(ctx, key)
    if card:
        desired["CardCode"] = card
    row = await ctx.store.record_intent(ctx.lease, key, ctx.order.id, step.name, entity)
    doc: dict[str, Any] | None = None
    if not row.fresh:
        # any earlier try (intent, ambiguous, done, failed, skipped …) may have committed
        doc = await _lookup(ctx, entity, key)
    if doc is None:
        try:
            doc = await ctx.sap_call(
                f"POST {entity}", step.name, key, lambda: ctx.deps.sap.create(entity, desired)
            )
        except Ambiguous as exc:
            await ctx.store.mark_ambiguous(ctx.lease, key, exc.message)
            raise
        except Permanent as exc:
            if isinstance(exc, DuplicateRefused) or not row.fresh:
                # the SAP-side guard saw our key, or a late commit of an earlier try
                # is what SAP refuses: adopt the document before dead-lettering
                doc = await _lookup(ctx, entity, key)
            if doc is None:
                if not isinstance(exc, DuplicateRefused):
                    await ctx.store.mark_failed(ctx.lease, key, str(exc))
                raise
    if len(doc.get("DocumentLines") or []) < len(desired["DocumentLines"]):
        await _complete_partial(ctx, doc, desired, entity)
    entry, num = int(doc["DocEntry"]), int(doc["DocNum"])
    events = [event(ctx, "order.confirmed", key, doc_entry=entry, doc_num=num, idem_key=key)]
    if entity == "Invoices":
        events.append(event(ctx, "order.invoiced", key, doc_entry=entry, doc_num=num, idem_key=key))
    ledger = await ctx.store.mark_done(ctx.lease, key, entry, num, events)
    log.info("sap_order_created", doc_entry=entry, doc_num=num, idem_key=key)
    if ctx.deps.on_sap_change is not None:
        ctx.deps.on_sap_change()  # committed stock changed: the stock sync may push now
    return ledger


async def confirm_to_shop(ctx: StepContext, step: Step) -> Ledger:
    """Order note naming the SAP DocNum (what the shop's staff and the oracle read)."""
    primary = str(step.params.get("primary") or key_order(ctx.prefix, ctx.order.id))
    row = ctx.ledger[primary]
    what = "A/R invoice" if step.params.get("entity_set") == "Invoices" else "sales order"
    await ctx.store.record_intent(ctx.lease, step.idem_key, ctx.order.id, "shop_note", "shop")
    note = (
        f"SAP {what} {row.target_docnum} created (DocEntry {row.target_docentry}, key {primary})."
    )
    await ctx.deps.shop.add_note(ctx.order.id, note)
    return await ctx.store.mark_done(ctx.lease, step.idem_key, None, None)


async def skip_order(ctx: StepContext, step: Step) -> Ledger:
    """Cancelled before it reached SAP: create nothing (after checking an earlier try did not)."""
    okey = step.idem_key  # the order's primary key (``{p}:{id}:invoice`` in invoice mode)
    entity = str(step.params.get("entity_set", "Orders"))
    prior = ctx.ledger.get(okey)
    if prior is not None:
        doc = await _lookup(ctx, entity, okey)
        if doc is not None:
            # it did reach SAP: adopt it; the next step cancels it
            return await ctx.store.mark_done(
                ctx.lease, okey, int(doc["DocEntry"]), int(doc["DocNum"])
            )
        # a miss does not prove an ambiguous try never commits (late commit): the order
        # key keeps its status, so a restore looks it up again before creating
    skey = key_skip(ctx.prefix, ctx.order.id)
    await ctx.store.record_intent(ctx.lease, skey, ctx.order.id, "skip_order", "Orders")
    what = "A/R invoice" if entity == "Invoices" else "sales order"
    await ctx.deps.shop.add_note(
        ctx.order.id,
        f"Order {ctx.order.status} before it reached SAP: no SAP {what} was created (key {okey}).",
    )
    return await ctx.store.mark_done(
        ctx.lease,
        skey,
        None,
        None,
        [event(ctx, "order.canceled", skey, sap_doc_num=None, skipped=True)],
    )


async def record_payment(ctx: StepContext, step: Step) -> Ledger:
    """Write the shop's payment reference onto the SAP order (PATCH is idempotent)."""
    row = ctx.ledger[key_order(ctx.prefix, ctx.order.id)]
    entry = int(row.target_docentry or 0)
    await ctx.store.record_intent(
        ctx.lease, step.idem_key, ctx.order.id, "record_payment", "Orders"
    )
    changes = {
        "U_TransactionId": ctx.order.transaction_id[:100],
        "U_DatePaid": (ctx.order.date_paid_gmt or "")[:10],
    }
    await ctx.sap_call(
        "PATCH Orders",
        "record_payment",
        step.idem_key,
        lambda: ctx.deps.sap.patch("Orders", entry, changes),
    )
    return await ctx.store.mark_done(
        ctx.lease,
        step.idem_key,
        entry,
        row.target_docnum,
        [
            event(
                ctx,
                "payment.captured",
                step.idem_key,
                doc_entry=entry,
                transaction_id=ctx.order.transaction_id,
            )
        ],
    )


async def cancel_order(ctx: StepContext, step: Step) -> Ledger:
    """``POST Orders(n)/Cancel`` when the shop cancels before delivery (never a delete)."""
    row = ctx.ledger[key_order(ctx.prefix, ctx.order.id)]
    entry = int(row.target_docentry or 0)
    await ctx.store.record_intent(ctx.lease, step.idem_key, ctx.order.id, "cancel_order", "Orders")
    current = await ctx.sap_call(
        "GET Orders",
        "read_order",
        step.idem_key,
        lambda: ctx.deps.sap.get("Orders", entry, "DocEntry,DocNum,Cancelled,DocumentStatus"),
    )
    if current.get("Cancelled") != "tYES":
        if current.get("DocumentStatus") == "bost_Close":
            # delivered (closed by its delivery): SAP cannot cancel it; the cancel becomes
            # a credit note once the invoice is known
            raise WaitFor(f"SAP order {row.target_docnum} is closed (delivered)", wait_s(ctx))
        try:
            await ctx.sap_call(
                "POST Orders",
                "cancel_order",
                step.idem_key,
                lambda: ctx.deps.sap.action("Orders", entry, "Cancel"),
            )
        except Ambiguous as exc:
            await ctx.store.mark_ambiguous(ctx.lease, step.idem_key, exc.message)
            raise
        except Permanent as exc:
            if exc.code != CANNOT_CANCEL:
                raise
            # "has follow-up documents": a delivery we have not seen yet; never undo the
            # customer's cancel — wait for the invoice and credit it
            raise WaitFor(f"SAP refused the cancel: {exc}", wait_s(ctx)) from exc
    await ctx.deps.shop.add_note(
        ctx.order.id,
        f"SAP sales order {row.target_docnum} cancelled (DocEntry {entry}, key {step.idem_key}).",
    )
    return await ctx.store.mark_done(
        ctx.lease,
        step.idem_key,
        entry,
        row.target_docnum,
        [event(ctx, "order.canceled", step.idem_key, doc_entry=entry, doc_num=row.target_docnum)],
    )


async def await_invoice(ctx: StepContext, step: Step) -> None:
    """A cancelled order SAP has already delivered: nothing can be cancelled; wait (job
    released, no attempt counted) until the poller sees the invoice, then credit it."""
    raise WaitFor(f"delivered, waiting for the invoice ({step.idem_key})", wait_s(ctx))


async def credit_note(ctx: StepContext, step: Step) -> Ledger:
    """A refund or cancel after invoicing: a credit note based on the invoice's lines."""
    inv = ctx.ledger[key_invoice(ctx.prefix, ctx.order.id)]
    inv_entry = int(inv.target_docentry or 0)
    row = await ctx.store.record_intent(
        ctx.lease, step.idem_key, ctx.order.id, "credit_note", "CreditNotes"
    )
    if not row.fresh and row.status in ("intent", "ambiguous", "done"):
        found = await _lookup(ctx, "CreditNotes", step.idem_key)
        if found is not None:
            return await ctx.store.mark_done(
                ctx.lease, step.idem_key, int(found["DocEntry"]), int(found["DocNum"])
            )
    invoice = await ctx.sap_call(
        "GET Invoices",
        "read_invoice",
        step.idem_key,
        lambda: ctx.deps.sap.get("Invoices", inv_entry),
    )
    lines = [
        {
            "BaseType": 13,
            "BaseEntry": inv_entry,
            "BaseLine": line.get("LineNum", i),
            "Quantity": line.get("Quantity"),
        }
        for i, line in enumerate(invoice.get("DocumentLines") or [])
    ]
    if not step.params.get("full", True):
        refund = next(r for r in ctx.order.refunds if r.id == step.params.get("refund_id"))
        if abs(refund.total) < abs(ctx.order.total):
            lines = await _refund_lines(ctx, refund.id, inv_entry, invoice)
    body = {
        "CardCode": invoice.get("CardCode"),
        "DocDate": ctx.order.modified.date().isoformat(),
        "NumAtCard": ctx.order.order_number,
        "U_IdemKey": step.idem_key,
        "DocumentLines": lines,
    }
    try:
        doc = await ctx.sap_call(
            "POST CreditNotes",
            "credit_note",
            step.idem_key,
            lambda: ctx.deps.sap.create("CreditNotes", body),
        )
    except DuplicateRefused:
        doc = await _lookup(ctx, "CreditNotes", step.idem_key) or {}
        if not doc:
            raise
    except Ambiguous as exc:
        await ctx.store.mark_ambiguous(ctx.lease, step.idem_key, exc.message)
        raise
    entry, num = int(doc["DocEntry"]), int(doc["DocNum"])
    await ctx.deps.shop.add_note(
        ctx.order.id, f"SAP credit note {num} created (DocEntry {entry}, key {step.idem_key})."
    )
    return await ctx.store.mark_done(
        ctx.lease,
        step.idem_key,
        entry,
        num,
        [
            event(
                ctx,
                "order.refunded",
                step.idem_key,
                doc_entry=entry,
                doc_num=num,
                idem_key=step.idem_key,
            )
        ],
    )


async def _refund_lines(
    ctx: StepContext, refund_id: int, inv_entry: int, invoice: dict[str, Any]
) -> list[dict[str, Any]]:
    """A partial refund's credit-note lines: each refunded order line copies the matching
    invoice line with the refunded quantity. WooCommerce gives refund lines ids of their
    own and points back with meta ``_refunded_item_id``; that is matched first, then a
    line with the order item's own id, then the refund line's sku."""
    detail = await ctx.deps.shop.request("GET", f"orders/{ctx.order.id}/refunds/{refund_id}")
    sku_of = {item.id: item.sku for item in ctx.order.line_items}
    open_qty = {
        int(line.get("LineNum", i)): Decimal(str(line.get("Quantity", 0)))
        for i, line in enumerate(invoice.get("DocumentLines") or [])
    }
    item_of = {
        int(line.get("LineNum", i)): str(line.get("ItemCode"))
        for i, line in enumerate(invoice.get("DocumentLines") or [])
    }
    out: list[dict[str, Any]] = []
    for li in (detail or {}).get("line_items") or []:
        qty = Decimal(abs(int(li.get("quantity") or 0)))
        sku = _refunded_sku(li, sku_of)
        if not qty or sku is None:
            continue
        for line_num, code in item_of.items():
            if code == sku and open_qty[line_num] >= qty:
                open_qty[line_num] -= qty
                out.append(
                    {"BaseType": 13, "BaseEntry": inv_entry, "BaseLine": line_num, "Quantity": qty}
                )
                break
        else:
            raise StepFailed(
                "partial_refund", f"refund {refund_id}: no invoice line left for {sku} x {qty}"
            )
    if not out:
        raise StepFailed(
            "partial_refund",
            f"partial refund {refund_id} has no refunded lines (amount only); "
            "book the credit note in SAP and replay",
        )
    return out


def _refunded_sku(line: dict[str, Any], sku_of: dict[int, str]) -> str | None:
    """The sku of the order item a refund line refunds (see ``_refund_lines``)."""
    for meta in line.get("meta_data") or []:
        if isinstance(meta, dict) and meta.get("key") == "_refunded_item_id":
            try:
                found = sku_of.get(int(str(meta.get("value"))))
            except ValueError:
                found = None
            if found is not None:
                return found
    try:
        own = sku_of.get(int(line.get("id") or 0))
    except (TypeError, ValueError):
        own = None
    if own is not None:
        return own
    sku = line.get("sku")
    return str(sku) if sku and str(sku) in sku_of.values() else None


StepFn = Callable[[StepContext, Step], Awaitable[Ledger]]

#: every reconcile step by name (the planner names them, the loop runs them)
STEPS: dict[str, StepFn] = {
    "create_order": create_order,
    "create_invoice": create_order,
    "confirm_to_shop": confirm_to_shop,
    "skip_order": skip_order,
    "record_payment": record_payment,
    "cancel_order": cancel_order,
    "credit_note": credit_note,
    "await_invoice": await_invoice,
}

__all__ = ["STEPS", "NotFound", "Step", "StepFailed", "event", "order_event"]
