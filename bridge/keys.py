"""Idempotency keys and correlation ids, named after the shop an order came from.

The Service Layer has no idempotency header, so integrations write their own key into a
user-defined field (``U_IdemKey``) and the bridge's ledger. The key names the shop
(``wc`` = WooCommerce, ``mg`` = Magento), the shop's order id and the effect:
``wc:1000:order``, ``mg:1000:refund:7``. Correlation ids name the order for people and
logs: ``wc:{order_id}`` (WooCommerce shows the id) and ``mg:{increment_id}`` (the number
Magento shows, as Magento's own events carry it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

__all__ = [
    "PREFIXES",
    "SHOP_NAMES",
    "SOURCE_PREFIX",
    "OrderRef",
    "Prefix",
    "correlation_id",
    "key_cancel",
    "key_delivery",
    "key_invoice",
    "key_note",
    "key_order",
    "key_payment",
    "key_prefix",
    "key_refund",
    "key_skip",
    "ledger_prefix",
    "order_ref",
    "parse_order_key",
]

Prefix = Literal["wc", "mg"]
PREFIXES: tuple[Prefix, ...] = get_args(Prefix)

#: snapshot/inbox ``source`` → key prefix: ``rest`` is an authoritative WooCommerce fetch
#: (refresher, reconciler), ``magento-rest`` a Magento ``/rest/V1`` read (reconciler,
#: catch-up after a lost MQTT session), ``reconcile`` what older reconcilers wrote
SOURCE_PREFIX: Mapping[str, Prefix] = {
    "woocommerce": "wc",
    "rest": "wc",
    "reconcile": "wc",
    "magento": "mg",
    "magento-rest": "mg",
}

#: how SAP documents name the shop (``Comments``)
SHOP_NAMES: Mapping[Prefix, str] = {"wc": "WooCommerce", "mg": "Magento"}


def key_prefix(source: str | None) -> Prefix:
    """The key prefix of an order that came from ``source``; unknown sources are WooCommerce
    (the bridge's webhook ingress is the default path)."""
    return SOURCE_PREFIX.get(source or "", "wc")


def key_order(prefix: Prefix, order_id: int) -> str:
    return f"{prefix}:{order_id}:order"


def key_payment(prefix: Prefix, order_id: int) -> str:
    return f"{prefix}:{order_id}:payment"


def key_cancel(prefix: Prefix, order_id: int) -> str:
    return f"{prefix}:{order_id}:cancel"


def key_skip(prefix: Prefix, order_id: int) -> str:
    return f"{prefix}:{order_id}:skip"


def key_delivery(prefix: Prefix, order_id: int) -> str:
    return f"{prefix}:{order_id}:delivery"


def key_invoice(prefix: Prefix, order_id: int) -> str:
    return f"{prefix}:{order_id}:invoice"


def key_refund(prefix: Prefix, order_id: int, refund_id: int | str) -> str:
    return f"{prefix}:{order_id}:refund:{refund_id}"


def key_note(prefix: Prefix, order_id: int, what: str) -> str:
    return f"{prefix}:{order_id}:note:{what}"


def correlation_id(prefix: Prefix, order_id: int, number: str | None = None) -> str:
    """``wc:{order_id}``; ``mg:{increment_id}`` when the Magento number is known."""
    if prefix == "mg" and number:
        return f"mg:{number}"
    return f"{prefix}:{order_id}"


def parse_order_key(key: Any) -> tuple[Prefix, int] | None:
    """``"mg:12:order"`` → ``("mg", 12)``; None for anything that is not our order key."""
    parts = str(key or "").split(":")
    if len(parts) == 3 and parts[2] == "order" and parts[1].isdigit():
        for prefix in PREFIXES:
            if parts[0] == prefix:
                return prefix, int(parts[1])
    return None


def ledger_prefix(idem_keys: Iterable[str]) -> Prefix | None:
    """The prefix an order's existing ledger keys use (None if it has none yet). Once an
    order has keys, its prefix never changes, whatever later snapshots say."""
    for key in idem_keys:
        head = key.split(":", 1)[0]
        for prefix in PREFIXES:
            if head == prefix:
                return prefix
    return None


@dataclass(frozen=True)
class OrderRef:
    """One shop order as keys and logs name it: id, key prefix, number (for people)."""

    order_id: int
    prefix: Prefix = "wc"
    number: str | None = None

    @property
    def correlation_id(self) -> str:
        return correlation_id(self.prefix, self.order_id, self.number)


def order_ref(
    order_id: int,
    source: str | None,
    payload: Mapping[str, Any] | None = None,
    idem_keys: Iterable[str] = (),
) -> OrderRef:
    """The order's reference: the prefix of its existing ledger keys if any (sticky), else
    the one its snapshot source implies; the number from the snapshot payload."""
    prefix = ledger_prefix(idem_keys) or key_prefix(source)
    number = None if payload is None else payload.get("number")
    return OrderRef(order_id, prefix, None if number in (None, "") else str(number))
