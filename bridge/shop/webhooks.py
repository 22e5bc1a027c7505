"""Create the bridge's webhooks in the shop, idempotently (``sapchaos bridge subscribe``).

What a WooCommerce admin does by hand under Settings → Advanced → Webhooks, through the
REST API (``/wp-json/wc/v3/webhooks``): one webhook per topic, pointing at the bridge's
delivery URL, signed with the bridge's secret, status ``active``. WooCommerce never
returns a webhook's secret on a read, so an existing active webhook with the same topic and
delivery URL is left alone (``--force`` rewrites its secret); a paused or disabled one
(WooCommerce disables a webhook after a run of failed deliveries) is re-activated.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from bridge.shop.client import WooClient

__all__ = [
    "DEFAULT_TOPICS",
    "WebhookAction",
    "ensure_webhooks",
    "list_webhooks",
    "parse_topics",
    "webhook_name",
]

#: what the bridge listens to (``order.deleted`` is recorded as ``ignored_topic``)
DEFAULT_TOPICS = ("order.created", "order.updated", "order.deleted", "order.restored")
_TOPIC = re.compile(r"^(order|product|customer|coupon)\.(created|updated|deleted|restored)$")
PAGE = 100


@dataclass(frozen=True)
class WebhookAction:
    """What was done for one topic: ``created``, ``updated`` (re-activated / secret
    rewritten), ``unchanged``, or ``duplicate`` (another webhook with the same topic and
    URL that is left as it is)."""

    topic: str
    action: str
    id: int
    status: str
    delivery_url: str

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def parse_topics(text: str) -> tuple[str, ...]:
    """``"order.created, order.updated"`` → topics; ValueError naming a bad one."""
    topics = tuple(dict.fromkeys(t.strip().lower() for t in text.split(",") if t.strip()))
    if not topics:
        raise ValueError("no topics given")
    bad = [t for t in topics if not _TOPIC.match(t)]
    if bad:
        raise ValueError(
            f"invalid webhook topic(s) {', '.join(bad)}: use resource.event, e.g. order.created"
        )
    return topics


def webhook_name(topic: str) -> str:
    return f"sapchaos bridge {topic}"


async def list_webhooks(shop: WooClient) -> list[dict[str, Any]]:
    """Every webhook of the shop (``GET webhooks?per_page=100``, page by page)."""
    out: list[dict[str, Any]] = []
    page = 1
    while True:
        chunk = await shop.request(
            "GET", "webhooks", query={"per_page": str(PAGE), "page": str(page)}
        )
        rows = [w for w in chunk or [] if isinstance(w, dict)]
        out.extend(rows)
        if len(rows) < PAGE:
            return out
        page += 1


async def ensure_webhooks(
    shop: WooClient,
    delivery_url: str,
    secret: str,
    topics: Sequence[str] = DEFAULT_TOPICS,
    *,
    force: bool = False,
) -> list[WebhookAction]:
    """One active webhook per topic pointing at ``delivery_url``; returns what was done.
    Running it twice changes nothing the second time."""
    existing = await list_webhooks(shop)
    actions: list[WebhookAction] = []
    for topic in topics:
        same = sorted(
            (
                w
                for w in existing
                if str(w.get("topic", "")).lower() == topic
                and str(w.get("delivery_url", "")) == delivery_url
            ),
            key=lambda w: int(w.get("id", 0)),
        )
        if not same:
            created = await shop.request(
                "POST",
                "webhooks",
                {
                    "name": webhook_name(topic),
                    "topic": topic,
                    "delivery_url": delivery_url,
                    "secret": secret,
                    "status": "active",
                },
            )
            actions.append(_action(topic, "created", created, delivery_url))
            continue
        keep, *extra = same
        if force or str(keep.get("status")) != "active":
            updated = await shop.request(
                "PUT", f"webhooks/{int(keep['id'])}", {"secret": secret, "status": "active"}
            )
            actions.append(_action(topic, "updated", updated, delivery_url))
        else:
            actions.append(_action(topic, "unchanged", keep, delivery_url))
        actions.extend(_action(topic, "duplicate", w, delivery_url) for w in extra)
    return actions


def _action(topic: str, action: str, hook: Any, delivery_url: str) -> WebhookAction:
    hook = hook if isinstance(hook, dict) else {}
    return WebhookAction(
        topic, action, int(hook.get("id", 0)), str(hook.get("status", "")), delivery_url
    )
