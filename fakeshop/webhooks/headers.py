"""The headers ``WC_Webhook::deliver`` sets on every delivery."""

from __future__ import annotations


def user_agent(wc_version: str, wp_version: str) -> str:
    return f"WooCommerce/{wc_version} Hookshot (WordPress/{wp_version})"


def delivery_headers(
    *,
    source: str,
    topic: str,
    webhook_id: int,
    delivery_id: str,
    signature: str,
    ua: str,
) -> dict[str, str]:
    resource, _, event = topic.partition(".")
    return {
        "Content-Type": "application/json",
        "User-Agent": ua,
        "X-WC-Webhook-Source": source,
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": resource,
        "X-WC-Webhook-Event": event,
        "X-WC-Webhook-Signature": signature,
        "X-WC-Webhook-ID": str(webhook_id),
        "X-WC-Webhook-Delivery-ID": delivery_id,
    }


def is_success(status: int) -> bool:
    """``log_delivery``: 200 ≤ code < 303 counts as delivered (so 301/302 do, unfollowed)."""
    return 200 <= status < 303
