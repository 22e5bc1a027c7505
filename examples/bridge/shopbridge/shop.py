"""The shop side: webhook signatures in, order notes out (the official WooCommerce client)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
from typing import Any

from woocommerce import API


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    """WooCommerce signs the raw body: base64(HMAC-SHA256(secret, body))."""
    if not header:
        return False
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return hmac.compare_digest(base64.b64encode(digest).decode(), header)


class Shop:
    def __init__(self, url: str, key: str, secret: str) -> None:
        self.api = API(
            url=url, consumer_key=key, consumer_secret=secret, version="wc/v3", timeout=10
        )

    async def get_order(self, order_id: int) -> dict[str, Any]:
        """The order as the shop has it now (webhooks are only notifications)."""

        def get() -> dict[str, Any]:
            resp = self.api.get(f"orders/{order_id}")
            if resp.status_code == 404:  # deleted for good: it will not be fulfilled
                return {"id": order_id, "status": "trash"}
            resp.raise_for_status()
            order: dict[str, Any] = resp.json()
            return order

        return await asyncio.to_thread(get)

    async def add_note(self, order_id: int, text: str) -> None:
        def post() -> None:
            resp = self.api.post(f"orders/{order_id}/notes", {"note": text})
            resp.raise_for_status()

        await asyncio.to_thread(post)
