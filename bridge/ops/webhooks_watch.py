"""Is the shop still delivering to us? WooCommerce disables a webhook after repeated
delivery failures (status ``disabled``, ``paused`` by hand) and says nothing more: the
bridge then only hears of orders through its reconciler. The dashboard shows how many of
the bridge's webhooks are not active: from the runtime's ``WebhookWatcher`` when it runs
(``bridge.shop.watcher``, which also re-activates them), else read here from
``GET /wp-json/wc/v3/webhooks`` at most every ``interval_s`` (a scrape never waits for the
shop longer than ``timeout_s``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bridge.shop.client import ShopError, WooClient
from bridge.shop.watcher import WebhookWatcher
from bridge.shop.webhooks import list_webhooks


@dataclass
class WebhookWatch:
    shop: WooClient
    delivery_url: str
    interval_s: float = 30.0
    timeout_s: float = 2.0
    clock: Callable[[], float] = time.monotonic
    _last: dict[str, Any] | None = field(default=None, init=False)
    _at: float = field(default=-1e18, init=False)

    def ours(self, hook: dict[str, Any]) -> bool:
        """The bridge's webhooks: delivering to its URL, or named by ``bridge subscribe``."""
        return hook.get("delivery_url") == self.delivery_url or str(
            hook.get("name", "")
        ).startswith("sapchaos bridge ")

    async def status(self) -> dict[str, Any]:
        now = self.clock()
        if self._last is not None and now - self._at < self.interval_s:
            return self._last
        self._at = now
        try:
            hooks = await asyncio.wait_for(list_webhooks(self.shop), self.timeout_s)
        except (ShopError, TimeoutError) as exc:
            previous = self._last or {"total": None, "disabled": None, "not_active": []}
            self._last = previous | {"error": f"{type(exc).__name__}: {exc}"[:200]}
            return self._last
        mine = [h for h in hooks if self.ours(h)]
        not_active = [
            {"id": h.get("id"), "topic": h.get("topic"), "status": h.get("status")}
            for h in mine
            if h.get("status") != "active"
        ]
        self._last = {
            "total": len(mine),
            "disabled": len(not_active),
            "not_active": not_active,
            "error": None,
        }
        return self._last


def watcher_status(watcher: WebhookWatcher) -> dict[str, Any]:
    """The same shape from the watcher's last check (no extra call to the shop)."""
    stats = watcher.stats()
    topics: dict[str, str] = stats["topics"]
    not_active = [{"id": None, "topic": t, "status": s} for t, s in topics.items() if s != "active"]
    return {
        "total": len(topics) if stats["checks"] else None,
        "disabled": len(not_active) if stats["checks"] else None,
        "not_active": not_active,
        "reactivated": stats["reactivated"],
        "error": stats["last_error"],
    }
