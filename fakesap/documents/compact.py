"""Keep stored documents small without changing what they are.

A real Service Layer keeps documents in database rows (ORDR/RDR1…), so its memory does
not grow with the number of documents. fakesap keeps them in memory as the dicts it
serves, and a plain dict per line with its own hash table and its own ``Decimal`` objects
costs several KB per order. ``DocumentStore.compact`` rebuilds a committed document with
the same keys, in the same order, with equal values, so every reader (OData queries,
JSON, SQLite, ``/__admin``) sees exactly what it saw before, but:

* every collection row (``DocumentLines``, ``DocumentAdditionalExpenses``,
  ``PaymentInvoices``) becomes a *key-sharing* dict (PEP 412): one shared key table per
  entity set and collection, and per row only its values;
* equal ``Decimal`` amounts in rows are one object (a bounded memo keyed by the exact
  text, so ``2`` and ``2.00`` stay distinct): catalog prices times small quantities
  repeat a lot.

Both are plain ``dict`` objects to every caller; mutating them later (status, open
quantities) is ordinary dict assignment.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

#: at most this many distinct amounts kept in the memo (then new ones are not shared)
DECIMAL_MEMO_SIZE = 65_536
#: CPython 3.11 shares a class's key table for fewer than 30 keys; wider rows stay plain
#: dicts (sharing would only be given up on the first key past the limit)
SHARED_KEYS_MAX = 28
#: header amounts that often repeat (no discount, equal baskets)
HEADER_AMOUNTS = ("DocRate", "DiscountPercent", "TotalDiscount", "VatSum", "DocTotal", "PaidToDate")
#: the collection properties of documents and payments, whose rows are kept compact
COLLECTIONS = ("DocumentLines", "DocumentAdditionalExpenses", "PaymentInvoices")


class DocumentStore:
    """Per emulator: the key-sharing row classes and the memo of amounts."""

    def __init__(self, memo_size: int = DECIMAL_MEMO_SIZE) -> None:
        self._row_classes: dict[tuple[str, str], type] = {}
        self._decimals: dict[str, Decimal] = {}
        #: ids of the memo's own objects (alive as long as the memo, so ids are not reused)
        self._shared_ids: set[int] = set()
        self._memo_size = memo_size

    def _new_row(self, entity_set: str, collection: str) -> dict[str, Any]:
        """An empty dict that shares its key table with the other rows of this collection."""
        key = (entity_set, collection)
        cls = self._row_classes.get(key)
        if cls is None:
            cls = type(f"{entity_set}_{collection}_Row", (), {})
            self._row_classes[key] = cls
        row: dict[str, Any] = cls().__dict__
        return row

    def amount(self, value: Decimal) -> Decimal:
        """The memo's object for an amount with this exact text, else ``value`` itself."""
        if id(value) in self._shared_ids:
            return value
        text = str(value)
        shared = self._decimals.get(text)
        if shared is not None:
            return shared
        if len(self._decimals) < self._memo_size:
            self._decimals[text] = value
            self._shared_ids.add(id(value))
        return value

    def row(self, entity_set: str, collection: str, source: dict[str, Any]) -> dict[str, Any]:
        """A compact copy of one collection row (same keys, order and values)."""
        out = self._new_row(entity_set, collection) if len(source) <= SHARED_KEYS_MAX else {}
        memo = self._decimals
        shared_ids = self._shared_ids
        room = len(memo) < self._memo_size
        # one pass, key by key (``update`` from a dict would copy the source's key table)
        for name, value in source.items():
            if value.__class__ is Decimal and id(value) not in shared_ids:
                text = str(value)
                shared = memo.get(text)
                if shared is not None:
                    value = shared
                elif room:
                    memo[text] = value
                    shared_ids.add(id(value))  # the memo keeps it alive: its id stays its own
            out[name] = value
        return out

    def compact(self, entity_set: str, doc: dict[str, Any]) -> dict[str, Any]:
        """``doc`` with compact collection rows and shared header amounts, in place (the
        header keeps its own dict: it is wider than a shared key table)."""
        amount = self.amount
        for name in HEADER_AMOUNTS:
            value = doc.get(name)
            if value.__class__ is Decimal:
                doc[name] = amount(value)
        row = self.row
        for name in COLLECTIONS:
            rows = doc.get(name)
            if rows:
                # a slice has exactly its length; a list built by appends has spare room
                kept = rows[:]
                for i, r in enumerate(kept):
                    if r.__class__ is dict:
                        kept[i] = row(entity_set, name, r)
                doc[name] = kept
        return doc
