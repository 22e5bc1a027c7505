"""The envelope of every bridge outcome event on MQTT, as a pydantic v2 model, and the
JSON Schema generated from it (kept in ``docs/schemas/bridge-event.schema.json``).

Like CloudEvents-style envelopes integration teams put on a bus: a unique ``event_id`` for
consumer-side dedup, the event ``type``, when it happened, a ``correlation_id`` that ties
it to the shop order (``wc:{order_id}``), and type-specific ``data``.
Regenerate the file with ``python -m bridge.events schema > docs/schemas/bridge-event.schema.json``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from bridge.store.base import OutboxEvent

__all__ = [
    "BRIDGE_EVENT",
    "SCHEMA_ID",
    "SCHEMA_VERSION",
    "SOURCE",
    "BridgeEvent",
    "OffSchema",
    "encode_event",
    "iso_utc_ms",
    "json_schema",
    "to_envelope",
]

SCHEMA_VERSION: Final = 1
SOURCE: Final = "sapchaos-bridge"
SCHEMA_ID = "https://sapchaos.dev/schemas/bridge-event.schema.json"
ISO_MS = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"


def iso_utc_ms(ts: float) -> str:
    """Epoch seconds → ``2026-11-23T20:11:19.123Z`` (the project's timestamp form)."""
    dt = datetime.fromtimestamp(ts, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


class _Data(BaseModel):
    # producers may add fields; consumers must ignore what they do not know
    model_config = ConfigDict(extra="allow", frozen=True)


class ConfirmedData(_Data):
    """The SAP sales order (``Orders``) created for the shop order."""

    doc_entry: int = Field(description="SAP DocEntry of the sales order")
    doc_num: int = Field(description="SAP DocNum (the number people see)")
    idem_key: str = Field(description="idempotency key written on the document (U_IdemKey)")


class PaymentData(_Data):
    """The shop's payment reference was written onto the SAP sales order."""

    doc_entry: int
    transaction_id: str = ""


class ShippedData(_Data):
    """An SAP delivery note (``DeliveryNotes``) based on the order."""

    doc_entry: int
    doc_num: int
    tracking: str | None = Field(default=None, description="carrier tracking number, if known")


class InvoicedData(_Data):
    """An SAP A/R invoice (``Invoices``) based on the order."""

    doc_entry: int
    doc_num: int


class CanceledData(_Data):
    """The SAP order was cancelled; ``skipped`` = it never reached SAP (nothing to cancel)."""

    doc_entry: int | None = None
    doc_num: int | None = None
    skipped: bool = False


class RefundedData(_Data):
    """An SAP credit note (``CreditNotes``) for a refund or a cancel after invoicing."""

    doc_entry: int
    doc_num: int
    idem_key: str


class FailedData(_Data):
    """The order's sync was dead-lettered: the SL error and the DLQ row to replay."""

    op: str
    idem_key: str
    code: str = Field(description="SL error code (or a bridge code such as 'mapping')")
    message: str
    dead_letter_id: int | None = None


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: uuid.UUID = Field(description="unique per event; consumers dedup by it")
    occurred_at: str = Field(pattern=ISO_MS, description="ISO 8601 UTC with milliseconds")
    correlation_id: str = Field(
        pattern=r"^(wc|mg):[^\s]+$",
        description="the shop order: wc:{order_id} (WooCommerce) or mg:{increment_id} (Magento)",
    )
    order_id: int = Field(gt=0, description="the shop order id")
    order_number: str | None = Field(default=None, description="the shop order number")
    source: Literal["sapchaos-bridge"] = SOURCE
    schema_version: Literal[1] = SCHEMA_VERSION


class OrderConfirmed(_Envelope):
    type: Literal["order.confirmed"]
    data: ConfirmedData


class PaymentCaptured(_Envelope):
    type: Literal["payment.captured"]
    data: PaymentData


class OrderShipped(_Envelope):
    type: Literal["order.shipped"]
    data: ShippedData


class OrderInvoiced(_Envelope):
    type: Literal["order.invoiced"]
    data: InvoicedData


class OrderCanceled(_Envelope):
    type: Literal["order.canceled"]
    data: CanceledData


class OrderRefunded(_Envelope):
    type: Literal["order.refunded"]
    data: RefundedData


class OrderFailed(_Envelope):
    type: Literal["order.failed"]
    data: FailedData


BridgeEvent = Annotated[
    OrderConfirmed
    | PaymentCaptured
    | OrderShipped
    | OrderInvoiced
    | OrderCanceled
    | OrderRefunded
    | OrderFailed,
    Field(discriminator="type"),
]
BRIDGE_EVENT: TypeAdapter[Any] = TypeAdapter(BridgeEvent)


class OffSchema(ValueError):
    """An outbox event that does not fit the schema (a bridge bug, never a reason to drop it)."""


def _order_id(event: OutboxEvent) -> int:
    raw = event.payload.get("order_id")
    if raw is None and ":" in event.correlation_id:
        raw = event.correlation_id.split(":", 1)[1]
    try:
        return int(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0


def to_envelope(event: OutboxEvent, now: float) -> tuple[dict[str, Any], str | None]:
    """The wire form of an outbox event, and None or why it is off-schema.

    An off-schema event is still returned in the same envelope shape (data passed through)
    so the relay can publish it: losing an event is worse than an unexpected field.
    """
    payload: Mapping[str, Any] = event.payload
    data = {k: v for k, v in payload.items() if k not in ("order_id", "number")}
    if event.type == "order.canceled" and "sap_doc_num" in data:
        data.setdefault("doc_num", data.pop("sap_doc_num"))
    number = payload.get("number")
    envelope: dict[str, Any] = {
        "event_id": event.event_id,
        "type": event.type,
        "occurred_at": iso_utc_ms(event.created_at if event.created_at is not None else now),
        "correlation_id": event.correlation_id,
        "order_id": _order_id(event),
        "order_number": None if number is None else str(number),
        "source": SOURCE,
        "schema_version": SCHEMA_VERSION,
        "data": data,
    }
    try:
        model = BRIDGE_EVENT.validate_python(envelope)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(x) for x in first.get("loc", ()))
        return envelope, f"{loc}: {first.get('msg', '')}"
    dumped: dict[str, Any] = BRIDGE_EVENT.dump_python(model, mode="json")
    return {k: dumped[k] for k in envelope}, None  # wire order: event_id, type, …, data


def encode_event(envelope: Mapping[str, Any]) -> bytes:
    """Compact UTF-8 JSON (what goes on the wire)."""
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode()


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the envelope, generated from the model."""
    schema = BRIDGE_EVENT.json_schema(ref_template="#/$defs/{model}")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "sapchaos bridge event",
        "description": (
            "An outcome event the sapchaos bridge publishes to MQTT (QoS 1) on "
            "{prefix}/{type}. Delivered at least once: dedup by event_id."
        ),
        **schema,
    }


def schema_text() -> str:
    """The committed file's exact text (sorted keys, 2-space indent, trailing newline)."""
    return json.dumps(json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
