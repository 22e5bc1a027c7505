"""WooCommerce REST v3 client: the few calls a bridge makes back to the shop.

The bridge reads an order when it needs the authoritative version (a tie or an older
webhook), writes order notes (confirmation, failure, shipment), and sets status/meta
(``on-hold`` on a permanent SAP refusal, ``completed`` once invoiced).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import aiohttp

from bridge.shop.oauth import basic_header, oauth_params
from sapchaos.logs import correlation_id


class ShopError(Exception):
    """A failed shop call in WooCommerce's error shape (``code``, ``message``, status)."""

    def __init__(self, status: int | None, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message

    @property
    def transient(self) -> bool:
        return self.status is None or self.status >= 500 or self.status in (408, 429)


@dataclass
class WooClient:
    """Async WooCommerce client (``/wp-json/wc/v3``) with OAuth 1.0a (http) or Basic (https)."""

    base_url: str
    consumer_key: str
    consumer_secret: str = field(repr=False)
    timeout_s: float = 15.0
    clock: Callable[[], float] = time.time
    #: aiohttp ``ssl=``: True verifies certificates (``bridge.tls.client_ssl`` decides)
    ssl: Any = field(default=True, repr=False)
    _session: aiohttp.ClientSession | None = field(default=None, init=False, repr=False)

    async def __aenter__(self) -> WooClient:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def start(self) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout_s),
                connector=aiohttp.TCPConnector(ssl=self.ssl),
            )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _url(self, path: str) -> str:
        return f"{self.base_url.rstrip('/')}/wp-json/wc/v3/{path.lstrip('/')}"

    async def request(
        self, method: str, path: str, body: Any = None, query: dict[str, str] | None = None
    ) -> Any:
        await self.start()
        assert self._session is not None
        url = self._url(path)
        if query:
            url += "?" + urlencode(query)
        headers = {"Accept": "application/json"}
        if url.startswith("https://"):
            headers["Authorization"] = basic_header(self.consumer_key, self.consumer_secret)
        else:
            params = oauth_params(
                method, url, self.consumer_key, self.consumer_secret, int(self.clock())
            )
            url = url.split("?", 1)[0] + "?" + urlencode(params)
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json;charset=utf-8"
        cid = correlation_id.get()
        if cid is not None:  # the order this call is for, as the bridge's logs name it
            headers["X-Correlation-ID"] = cid
        try:
            async with self._session.request(method, url, data=data, headers=headers) as resp:
                raw = await resp.read()
                status = resp.status
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise ShopError(None, "transport", f"{type(exc).__name__}: {exc}") from exc
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        if status >= 400:
            if isinstance(parsed, dict):
                raise ShopError(status, str(parsed.get("code", "")), str(parsed.get("message", "")))
            raise ShopError(status, "http_error", raw[:200].decode("utf-8", "replace"))
        return parsed

    async def get_order(self, order_id: int) -> dict[str, Any]:
        data = await self.request("GET", f"orders/{order_id}")
        return data if isinstance(data, dict) else {}

    async def add_note(
        self, order_id: int, note: str, customer_note: bool = False
    ) -> dict[str, Any]:
        data = await self.request(
            "POST", f"orders/{order_id}/notes", {"note": note, "customer_note": customer_note}
        )
        return data if isinstance(data, dict) else {}

    async def list_notes(self, order_id: int) -> list[dict[str, Any]]:
        data = await self.request("GET", f"orders/{order_id}/notes")
        return data if isinstance(data, list) else []

    async def update_order(self, order_id: int, changes: dict[str, Any]) -> dict[str, Any]:
        """``PUT orders/{id}``: a partial update (``status``, ``meta_data``…)."""
        data = await self.request("PUT", f"orders/{order_id}", changes)
        return data if isinstance(data, dict) else {}

    async def set_status(self, order_id: int, status: str) -> dict[str, Any]:
        return await self.update_order(order_id, {"status": status})
