"""What the oracle reads: the emulators' ground truth, as plain data.

``shop_orders`` is fakeshop's ``GET /__admin/orders``, ``shop_received`` its
``GET /__admin/received``, ``sap_documents`` fakesap's ``GET /__admin/documents``
(formats in ``docs/contracts.md``). Nothing here comes from the bridge.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

#: the bridge's confirmation note names the SAP DocNum; the oracle recognises it by this
CONFIRMATION_NOTE = re.compile(r"SAP sales order (\d+) created")


def parse_ts(text: str) -> datetime:
    """Parse the ground-truth timestamps (ISO 8601 UTC, ``Z`` suffix allowed)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def order_key(order_id: int | str) -> str:
    """The idempotency key of the SAP sales order for a shop order."""
    return f"wc:{order_id}:order"


@dataclass(frozen=True)
class Histories:
    shop_orders: list[dict[str, Any]]
    shop_received: list[dict[str, Any]]
    sap_documents: list[dict[str, Any]]
    deliveries: list[dict[str, Any]] = field(default_factory=list)

    def orders_by_id(self) -> dict[int, dict[str, Any]]:
        return {int(o["id"]): o for o in self.shop_orders}

    def sap_orders_by_key(self) -> dict[str, list[dict[str, Any]]]:
        """SAP sales orders grouped by their ``U_IdemKey``."""
        out: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for rec in self.sap_documents:
            if rec.get("entity_set") != "Orders":
                continue
            key = (rec.get("document") or {}).get("U_IdemKey")
            if key:
                out[str(key)].append(rec)
        return out

    def confirmation_notes(self) -> dict[int, list[tuple[datetime, int]]]:
        """Per shop order: (time received, DocNum named) of every confirmation note."""
        out: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
        for rec in self.shop_received:
            if rec.get("kind") != "note":
                continue
            text = str((rec.get("data") or {}).get("note", ""))
            m = CONFIRMATION_NOTE.search(text)
            if m:
                out[int(rec["order_id"])].append((parse_ts(str(rec["at"])), int(m.group(1))))
        for notes in out.values():
            notes.sort()
        return out
