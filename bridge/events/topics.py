"""Topic layout of the bridge's outcome events and of the Magento shop events it consumes.

One table, ``EVENT_TYPES``: every event type the bridge publishes, with what it means and
which component emits it. Topics are ``{prefix}/{type}`` (``sapchaos/v1/bridge/events/
order.confirmed``), the same shape fakeshop's Magento mode uses (``shop/v1/magento/events/
order.created``), so ``{prefix}/#`` subscribes to everything.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "EVENT_TYPES",
    "MAGENTO_EVENT_TYPES",
    "EventType",
    "event_topic",
    "magento_subscription",
    "type_from_topic",
]


@dataclass(frozen=True)
class EventType:
    name: str
    meaning: str
    emitted_by: str


#: every bridge outcome event, by name (the relay publishes each to ``{prefix}/{name}``)
EVENT_TYPES: dict[str, EventType] = {
    e.name: e
    for e in (
        EventType("order.confirmed", "SAP sales order created for the shop order", "worker"),
        EventType(
            "payment.captured", "shop payment reference written onto the SAP order", "worker"
        ),
        EventType("order.shipped", "SAP delivery note observed for the order", "poller"),
        EventType("order.invoiced", "SAP A/R invoice observed for the order", "poller"),
        EventType("order.canceled", "SAP order cancelled, or never created (skipped)", "worker"),
        EventType("order.refunded", "SAP credit note created for a refund", "worker"),
        EventType("order.failed", "the order's sync was dead-lettered", "worker"),
    )
}

#: what fakeshop's Magento mode publishes (shop/v1/magento/events/{type})
MAGENTO_EVENT_TYPES = ("order.created", "payment.captured", "order.canceled", "order.refunded")


def event_topic(prefix: str, event_type: str) -> str:
    """``{prefix}/{type}``; the type is kept verbatim (dots are legal in MQTT topics)."""
    return f"{prefix.rstrip('/')}/{event_type}"


def type_from_topic(prefix: str, topic: str) -> str | None:
    """The event type of a topic under ``prefix`` (None if it is not under it)."""
    root = prefix.rstrip("/") + "/"
    if not topic.startswith(root):
        return None
    rest = topic[len(root) :]
    return rest if rest and "/" not in rest else None


def magento_subscription(prefix: str, shared_group: str = "") -> str:
    """The subscriber's topic filter: ``{prefix}/+``, or ``$share/{group}/{prefix}/+``."""
    base = f"{prefix.rstrip('/')}/+"
    return f"$share/{shared_group}/{base}" if shared_group else base
