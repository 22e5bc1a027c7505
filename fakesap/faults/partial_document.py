"""``partial_document``: a line added later by PATCH is refused; the header stays.

Imitates "header first, lines later" clients: the document header was created by an
earlier call, the PATCH adding lines fails with an SL line error, and a partial document
now exists in SAP until the client completes or cancels it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from aiohttp import web

from fakesap.faults.base import FaultBase, FaultContext, Handler, Params, Phase, RequestView
from fakesap.faults.documents import document_lines, is_document_patch
from fakesap.faults.line_reject import LINE_ERRORS, line_error
from fakesap.faults.wire import sl_error


def parse_key(raw: str | None) -> Any:
    if raw is None:
        return None
    text = raw.strip()
    if text.startswith("'") and text.endswith("'"):
        return text[1:-1].replace("''", "'")
    try:
        return int(text)
    except ValueError:
        return text


class PartialDocument(FaultBase):
    """Refuse a ``PATCH Entity(key)`` that adds ``DocumentLines`` (naming the ``line``
    chosen: ``first`` | ``last`` | ``random`` of the new lines)."""

    kind: ClassVar[str] = "partial_document"
    phase: ClassVar[Phase] = "outcome"

    def __init__(self, raw: Mapping[str, Any]) -> None:
        p = Params(self.kind, raw, {"line", "error"})
        self.line = p.choice("line", "first", ("first", "last", "random"))
        self.error = p.choice("error", "item_inactive", LINE_ERRORS)

    def applies(self, view: RequestView) -> bool:
        return is_document_patch(view) and bool(document_lines(view))

    async def apply(self, ctx: FaultContext, call_next: Handler) -> web.StreamResponse:
        view = ctx.view
        lines = document_lines(view)
        try:
            existing = ctx.state.get_entity(view.entity_set, parse_key(view.key))
        except Exception:  # unknown document: let the real handler answer its 404
            ctx.info["line"] = None
            return await call_next(ctx.request)
        known = {line.get("LineNum") for line in existing.get("DocumentLines") or []}
        new = [
            (i, line)
            for i, line in enumerate(lines)
            if line.get("LineNum") not in known or line.get("LineNum") is None
        ]
        if not new:
            ctx.info["line"] = None
            return await call_next(ctx.request)
        pick = {"first": 0, "last": len(new) - 1}.get(self.line)
        position = ctx.rng.randrange(len(new)) if pick is None else pick
        _, line = new[position]
        line_no = len(known) + position + 1  # new lines are appended after the existing ones
        err = line_error(self.error, view.entity_set, line_no, line)
        ctx.info.update(line=line_no, item_code=line.get("ItemCode"), code=err.code)
        return sl_error(err.status, err.code, err.message, view.version)
