"""The contract: how the oracle recognises a bridge's work in SAP and in the shop.

A bridge under test is judged from outside, so the oracle must be told how that bridge
names things. The defaults are the reference bridge's (and the architecture's) choices:

* a SAP document names its shop order in the UDF ``U_IdemKey`` as ``wc:{id}:order``;
  another bridge may use ``NumAtCard`` (``{number}``: the shop's order number) or any
  other field and pattern;
* an acknowledgement is an order note matching ``SAP sales order (\\d+) created`` (the
  group captures the DocNum), or, with ``ack_meta_key``, an order meta entry whose value
  is the DocNum;
* which shop states must reach SAP: on creation (``sync_when = "created"``) or only once
  paid (``"paid"``), per ``sapchaos.policy``;
* the SAP document type: ``Orders`` (sales order) or ``Invoices`` (a bridge that books an
  A/R invoice directly, as ``create_invoice_once`` does);
* a dead letter shows in the shop as a note matching ``dlq_note_regex`` (the reference
  bridge's compensation note); a foreign bridge that does not compensate can leave it
  empty, and DLQ entries are then counted from nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, fields
from typing import Any

DOCUMENT_TYPES = ("Orders", "Invoices")
SYNC_WHEN = ("created", "paid")


class ContractError(ValueError):
    """A contract value is unusable; the message names the field."""


@dataclass(frozen=True)
class Contract:
    #: the SAP field that names the shop order (a ``U_`` UDF, or ``NumAtCard``)
    key_field: str = "U_IdemKey"
    #: the value that field holds: ``{prefix}``, ``{id}`` (order id), ``{number}`` (order number)
    key_pattern: str = "{prefix}:{id}:order"
    #: the shop's key prefix (``wc`` WooCommerce, ``mg`` Magento)
    prefix: str = "wc"
    #: keys of the other effects (reference-bridge style; matched only when key_field holds them)
    invoice_key_pattern: str = "{prefix}:{id}:invoice"
    refund_key_pattern: str = "{prefix}:{id}:refund:{refund}"
    #: acknowledgement note: a regex whose first group (or group ``docnum``) is the DocNum
    ack_note_regex: str = r"SAP sales order (\d+) created"
    #: or an order meta key whose value is the DocNum (checked besides the note when set)
    ack_meta_key: str | None = None
    #: ``created``: every standing order must reach SAP; ``paid``: only once paid
    sync_when: str = "created"
    #: the document the bridge books for an order
    document_type: str = "Orders"
    #: a dead-lettered order's compensation note (empty: the bridge leaves none)
    dlq_note_regex: str = r"dead letter (\d+)"

    def __post_init__(self) -> None:
        if self.document_type not in DOCUMENT_TYPES:
            raise ContractError(f"document_type must be one of {', '.join(DOCUMENT_TYPES)}")
        if self.sync_when not in SYNC_WHEN:
            raise ContractError(f"sync_when must be one of {', '.join(SYNC_WHEN)}")
        if not self.key_field or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", self.key_field):
            raise ContractError("key_field must be a SAP field name such as U_IdemKey or NumAtCard")
        for name in ("key_pattern", "invoice_key_pattern", "refund_key_pattern"):
            pattern = getattr(self, name)
            try:
                pattern.format(prefix="wc", id=1, number="1", refund=1)
            except (KeyError, IndexError, ValueError) as exc:
                raise ContractError(f"{name}: unknown placeholder or bad braces ({exc})") from None
        if "{id}" not in self.key_pattern and "{number}" not in self.key_pattern:
            raise ContractError("key_pattern must contain {id} or {number}")
        for name in ("ack_note_regex", "dlq_note_regex"):
            try:
                compiled = re.compile(getattr(self, name))
            except re.error as exc:
                raise ContractError(f"{name} is not a valid regular expression: {exc}") from None
            if name == "ack_note_regex" and compiled.groups < 1:
                raise ContractError("ack_note_regex needs a group capturing the DocNum")

    # -- matching ------------------------------------------------------------------------
    def order_key(self, order_id: int, number: str | None = None) -> str:
        return self.key_pattern.format(
            prefix=self.prefix, id=order_id, number=number if number is not None else order_id
        )

    def invoice_key(self, order_id: int) -> str:
        return self.invoice_key_pattern.format(prefix=self.prefix, id=order_id, number=order_id)

    def refund_key(self, order_id: int, refund: int | str) -> str:
        return self.refund_key_pattern.format(
            prefix=self.prefix, id=order_id, number=order_id, refund=refund
        )

    def ack_docnum(self, text: str) -> int | None:
        m = re.search(self.ack_note_regex, text)
        if not m:
            return None
        raw = m.groupdict().get("docnum") or m.group(1)
        try:
            return int(raw)
        except (TypeError, ValueError):
            return None

    def is_dlq_note(self, text: str) -> bool:
        return bool(self.dlq_note_regex) and re.search(self.dlq_note_regex, text) is not None

    # -- (de)serialisation ---------------------------------------------------------------
    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> Contract:
        """Build from a dict (TOML/JSON); an unknown key is a ``ContractError``."""
        if not isinstance(data, dict):
            raise ContractError("a contract must be a table/object")
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ContractError(
                f"unknown contract key(s) {', '.join(unknown)}; known: {', '.join(sorted(names))}"
            )
        for key, value in data.items():
            if key == "ack_meta_key":
                if value is not None and not isinstance(value, str):
                    raise ContractError("ack_meta_key must be a string")
            elif not isinstance(value, str):
                raise ContractError(f"{key} must be a string")
        return cls(**data)

    @classmethod
    def from_file(cls, path: str) -> Contract:
        """A JSON or TOML file holding the contract's keys."""
        import tomllib
        from pathlib import Path

        text = Path(path).read_text("utf-8")
        try:
            data = json.loads(text) if path.endswith(".json") else tomllib.loads(text)
        except (ValueError, tomllib.TOMLDecodeError) as exc:
            raise ContractError(f"{path}: {exc}") from None
        return cls.from_mapping(data)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


__all__ = ["DOCUMENT_TYPES", "SYNC_WHEN", "Contract", "ContractError"]
