"""``WC_Webhook::log_delivery`` / ``failed_delivery``: success resets the counter; a
failure when the counter is already above ``woocommerce_max_webhook_delivery_failures``
(5) disables the webhook — the 7th consecutive failure. No retry is ever scheduled."""

from __future__ import annotations

from fakeshop.store import Webhook
from fakeshop.webhooks.headers import is_success


def count_delivery(webhook: Webhook, status: int | None, max_failures: int) -> bool:
    """Update the counter for one attempt; True when this attempt disabled the webhook."""
    if status is not None and is_success(status):
        webhook.failure_count = 0
        return False
    if webhook.failure_count > max_failures:
        if webhook.status != "disabled":
            webhook.status = "disabled"
            return True
        return False
    webhook.failure_count += 1
    return False
