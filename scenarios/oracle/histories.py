"""What the oracle reads: the emulators' ground truth, as plain data.

``shop_orders`` is fakeshop's ``GET /__admin/orders``, ``shop_received`` its
``GET /__admin/received``, ``sap_documents`` fakesap's ``GET /__admin/documents``,
``deliveries`` fakeshop's ``GET /__admin/deliveries``, ``fault_decisions`` fakesap's
``GET /__admin/faults/history`` (what the fault engine decided, request by request), and
``bridge_log`` the lines of the bridge's log file (only read for personal data),
``webhooks`` fakeshop's ``GET /__admin/webhooks``.
Nothing here asks the bridge how it did.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from scenarios.oracle.contract import Contract

DEFAULT_CONTRACT = Contract()
#: the kinds of ``received`` entries that carry a text a bridge wrote (Woo notes, Magento comments)
NOTE_KINDS = {"note": "note", "comment": "comment"}


def parse_ts(text: str) -> datetime:
    """Parse the ground-truth timestamps (ISO 8601 UTC, ``Z`` suffix allowed)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def order_key(order_id: int | str) -> str:
    """The reference bridge's idempotency key of the SAP sales order for a shop order."""
    return f"wc:{order_id}:order"


def money(value: Any) -> Decimal | None:
    """A money value as Decimal rounded to the cent, or None when absent/not a number."""
    if value is None or isinstance(value, bool):
        return None
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    if not d.is_finite():
        return None
    return d.quantize(Decimal("0.01"))


def is_cancelled(doc: dict[str, Any]) -> bool:
    return (doc.get("document") or {}).get("Cancelled") == "tYES"


@dataclass(frozen=True)
class Histories:
    shop_orders: list[dict[str, Any]]
    shop_received: list[dict[str, Any]]
    sap_documents: list[dict[str, Any]]
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    fault_decisions: list[dict[str, Any]] = field(default_factory=list)
    bridge_log: list[str] = field(default_factory=list)
    #: fakeshop's ``GET /__admin/webhooks`` (status and failure counter at the end)
    webhooks: list[dict[str, Any]] = field(default_factory=list)
    #: stock (invariant ``stock_drift``): fakesap's items with their warehouse info, the
    #: shop's products, and the stock rule under test (None: stock sync not tested)
    sap_items: list[dict[str, Any]] = field(default_factory=list)
    shop_products: list[dict[str, Any]] = field(default_factory=list)
    stock_rule: dict[str, Any] | None = None

    def orders_by_id(self) -> dict[int, dict[str, Any]]:
        return {int(o["id"]): o for o in self.shop_orders}

    def docs(self, entity_set: str) -> list[dict[str, Any]]:
        return [d for d in self.sap_documents if d.get("entity_set") == entity_set]

    def docs_by_field(self, entity_set: str, key_field: str) -> dict[str, list[dict[str, Any]]]:
        """SAP documents of ``entity_set`` grouped by the value of ``key_field``."""
        out: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for rec in self.docs(entity_set):
            key = (rec.get("document") or {}).get(key_field)
            if key not in (None, ""):
                out[str(key)].append(rec)
        return out

    def expected_keys(self, c: Contract = DEFAULT_CONTRACT) -> dict[str, int]:
        """The key each shop order's SAP document must carry → the shop order id."""
        out: dict[str, int] = {}
        for oid, rec in self.orders_by_id().items():
            number = str((rec.get("order") or {}).get("number") or oid)
            out[c.order_key(oid, number)] = oid
        return out

    def sap_orders_by_order(
        self, c: Contract = DEFAULT_CONTRACT
    ) -> dict[int, list[dict[str, Any]]]:
        """Per shop order id, the SAP documents (the contract's type) that name it."""
        keys = self.expected_keys(c)
        out: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for key, docs in self.docs_by_field(c.document_type, c.key_field).items():
            if key in keys:
                out[keys[key]].extend(docs)
        return out

    def sap_orders_by_key(self) -> dict[str, list[dict[str, Any]]]:
        """SAP sales orders grouped by their ``U_IdemKey`` (the default contract)."""
        return self.docs_by_field("Orders", "U_IdemKey")

    def notes(self) -> dict[int, list[tuple[datetime, str]]]:
        """Per shop order: (time received, text) of every note/comment a client wrote."""
        out: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
        for rec in self.shop_received:
            kind = NOTE_KINDS.get(str(rec.get("kind")))
            if kind is None or rec.get("order_id") is None:
                continue
            text = str((rec.get("data") or {}).get(kind, ""))
            out[int(rec["order_id"])].append((parse_ts(str(rec["at"])), text))
        for notes in out.values():
            notes.sort()
        return out

    def confirmation_notes(
        self, c: Contract = DEFAULT_CONTRACT
    ) -> dict[int, list[tuple[datetime, int]]]:
        """Per shop order: (time received, DocNum named) of every acknowledgement."""
        out: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
        for oid, notes in self.notes().items():
            for at, text in notes:
                docnum = c.ack_docnum(text)
                if docnum is not None:
                    out[oid].append((at, docnum))
        if c.ack_meta_key:
            for rec in self.shop_received:
                if rec.get("kind") != "meta" or rec.get("order_id") is None:
                    continue
                for meta in (rec.get("data") or {}).get("meta_data") or []:
                    if isinstance(meta, dict) and meta.get("key") == c.ack_meta_key:
                        try:
                            docnum = int(str(meta.get("value")))
                        except ValueError:
                            continue
                        out[int(rec["order_id"])].append((parse_ts(str(rec["at"])), docnum))
        for got in out.values():
            got.sort()
        return dict(out)

    def dlq_orders(self, c: Contract = DEFAULT_CONTRACT) -> dict[int, list[str]]:
        """Per shop order: the compensation notes that say the bridge dead-lettered it."""
        out: dict[int, list[str]] = defaultdict(list)
        for oid, notes in self.notes().items():
            for _at, text in notes:
                if c.is_dlq_note(text):
                    out[oid].append(text)
        return dict(out)
