"""The one written policy for which shop order states need a SAP document.

Shared by the reference bridge (``bridge.worker.plan``) and the oracle
(``scenarios.oracle``), so the project's own bridge and its judge cannot disagree about
what "lost" means. It imitates how a WooCommerce → SAP Business One integration is
usually specified:

* ``pending``, ``processing``, ``on-hold``, ``completed`` (and Magento's ``new``,
  ``processing``, ``holded``, ``complete``): the order stands, so SAP must hold a sales
  order for it (**SYNC**).
* ``cancelled``, ``failed``, ``refunded``, ``trash`` (Magento: ``canceled``, ``closed``):
  the order will not be fulfilled (**END**). If it never reached SAP, the bridge creates
  nothing ("cancelled before sync is just a state"); if it did, the SAP order must end
  cancelled, or be reversed by credit notes once invoiced.
* anything else (``checkout-draft``, ``auto-draft``, unknown custom statuses): not yet an
  order SAP cares about (**WAIT**): nothing is required and nothing is wrong.

``paid_only`` (a bridge that syncs only once the order is paid) moves unpaid
``pending``/``on-hold`` orders to WAIT: the oracle's contract can select it for a
foreign bridge with that rule.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class Need(StrEnum):
    SYNC = "sync"  # a live SAP sales order must exist
    END = "end"  # no live SAP order: none, cancelled, or credited in full
    WAIT = "wait"  # nothing required yet


#: shop statuses (WooCommerce and Magento) for which a SAP sales order must exist
SYNC_STATUSES = frozenset(
    {"pending", "processing", "on-hold", "completed", "new", "holded", "complete"}
)
#: shop statuses that mean "this order will not be fulfilled"
END_STATUSES = frozenset({"cancelled", "failed", "refunded", "trash", "canceled", "closed"})
#: statuses a paid-only bridge still waits on while the order is unpaid
UNPAID_WAIT_STATUSES = frozenset({"pending", "on-hold", "new", "holded"})


def need(status: str, *, paid: bool = True, paid_only: bool = False) -> Need:
    """What SAP must show for a shop order in ``status`` (see the module docstring)."""
    s = status.strip().lower()
    if s in END_STATUSES:
        return Need.END
    if s in SYNC_STATUSES:
        if paid_only and not paid and s in UNPAID_WAIT_STATUSES:
            return Need.WAIT
        return Need.SYNC
    return Need.WAIT


def is_paid(order: dict[str, Any]) -> bool:
    """WooCommerce marks payment with ``date_paid(_gmt)``; gateways add ``transaction_id``."""
    return bool(order.get("date_paid_gmt") or order.get("date_paid") or order.get("transaction_id"))


def order_need(order: dict[str, Any], *, paid_only: bool = False) -> Need:
    """``need`` for a shop order as the REST API returns it."""
    return need(str(order.get("status", "")), paid=is_paid(order), paid_only=paid_only)


__all__ = [
    "END_STATUSES",
    "SYNC_STATUSES",
    "UNPAID_WAIT_STATUSES",
    "Need",
    "is_paid",
    "need",
    "order_need",
]
