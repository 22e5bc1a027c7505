"""Facts about SL marketing documents the document faults need: line table names and
which requests carry document lines."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from fakesap.faults.base import Handler, RequestView

#: entity set -> (header table, line table), as SL error texts name them
TABLES: dict[str, tuple[str, str]] = {
    "Orders": ("ORDR", "RDR1"),
    "DeliveryNotes": ("ODLN", "DLN1"),
    "Invoices": ("OINV", "INV1"),
    "CreditNotes": ("ORIN", "RIN1"),
    "Returns": ("ORDN", "RDN1"),
    "Drafts": ("ODRF", "DRF1"),
    "Quotations": ("OQUT", "QUT1"),
    "PurchaseOrders": ("OPOR", "POR1"),
}


def line_table(entity_set: str | None) -> str:
    return TABLES.get(entity_set or "", ("ORDR", "RDR1"))[1]


def document_lines(view: RequestView) -> list[dict[str, Any]]:
    """The ``DocumentLines`` of a request body, or [] when there are none."""
    body = view.body
    if not isinstance(body, dict):
        return []
    lines = body.get("DocumentLines")
    if not isinstance(lines, list):
        return []
    return [line for line in lines if isinstance(line, dict)]


def is_document_create(view: RequestView) -> bool:
    """``POST /Orders`` (not an action such as ``Orders(1)/Cancel``)."""
    return (
        view.method == "POST"
        and view.entity_set in TABLES
        and view.key is None
        and "/" not in view.resource
    )


def is_document_patch(view: RequestView) -> bool:
    """``PATCH /Orders(1)``: how header-first clients add lines later."""
    return (
        view.method == "PATCH"
        and view.entity_set in TABLES
        and view.key is not None
        and "/" not in view.resource
    )


async def call_handler(call_next: Handler, request: web.Request) -> web.StreamResponse:
    """Call the real handler; an ``HTTPException`` it raises is returned as the reply."""
    try:
        return await call_next(request)
    except web.HTTPException as exc:
        return exc
