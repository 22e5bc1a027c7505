"""``line_reject``: a document with one bad line is refused as a whole.

Imitates the SL's atomic document add: when one line fails validation (item frozen, no
stock, bad VAT group), nothing is created and the error names the line, e.g.
``[RDR1.ItemCode][line: 2]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from aiohttp import web

from fakesap.errors import ERRORS, SLError
from fakesap.faults.base import (
    FaultBase,
    FaultContext,
    FaultParamError,
    Handler,
    Params,
    Phase,
    RequestView,
)
from fakesap.faults.documents import (
    document_lines,
    is_document_create,
    is_document_patch,
    line_table,
)
from fakesap.faults.wire import sl_error

#: SL errors a refused line can carry (names in ``fakesap.errors.ERRORS``)
LINE_ERRORS = (
    "item_inactive",
    "invalid_item",
    "item_not_sales",
    "negative_inventory",
    "invalid_vat_group",
    "invalid_warehouse",
)


def line_error(name: str, entity_set: str | None, line_no: int, line: Mapping[str, Any]) -> SLError:
    """The SL error naming line ``line_no`` (1-based, as the SL's ``[line: N]``)."""
    return SLError.of(
        name,
        table=line_table(entity_set),
        line=line_no,
        item_code=line.get("ItemCode", ""),
        vat_group=line.get("VatGroup", ""),
        warehouse=line.get("WarehouseCode", ""),
    )


class LineReject(FaultBase):
    """Refuse documents whose lines carry one of ``skus`` or, per line, with ``line_probability``."""

    kind: ClassVar[str] = "line_reject"
    phase: ClassVar[Phase] = "outcome"

    def __init__(self, raw: Mapping[str, Any]) -> None:
        p = Params(self.kind, raw, {"skus", "line_probability", "error"})
        self.skus = frozenset(p.strings("skus"))
        self.line_probability = p.required_number("line_probability", 0.0, maximum=1.0)
        self.error = p.choice("error", "item_inactive", LINE_ERRORS)
        if not self.skus and self.line_probability == 0.0:
            raise FaultParamError("line_reject: give skus, line_probability, or both")
        assert all(name in ERRORS for name in LINE_ERRORS)

    def applies(self, view: RequestView) -> bool:
        if not (is_document_create(view) or is_document_patch(view)):
            return False
        lines = document_lines(view)
        if self.line_probability > 0:
            return bool(lines)
        return any(line.get("ItemCode") in self.skus for line in lines)

    async def apply(self, ctx: FaultContext, call_next: Handler) -> web.StreamResponse:
        lines = document_lines(ctx.view)
        for index, line in enumerate(lines, start=1):
            hit = line.get("ItemCode") in self.skus
            # one draw per line whether or not the sku matched: replays stay aligned
            if self.line_probability > 0 and ctx.rng.random() < self.line_probability:
                hit = True
            if hit:
                err = line_error(self.error, ctx.view.entity_set, index, line)
                ctx.info.update(line=index, item_code=line.get("ItemCode"), code=err.code)
                return sl_error(err.status, err.code, err.message, ctx.view.version)
        ctx.info["line"] = None  # no line drawn: the document goes through
        return await call_next(ctx.request)
