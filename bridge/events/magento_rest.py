"""Magento 2 REST client for reconciliation: ``GET /rest/V1/orders`` by ``updated_at``.

It reads what the bus may have lost, the way integrations poll Magento when events go
missing: ``searchCriteria`` filtered on ``updated_at >= since``, sorted by ``updated_at``
ascending, paged with ``pageSize``/``currentPage``, with the integration's bearer token.
Magento clamps a page past the end to the last page (it never answers an empty page), so
paging stops on ``total_count``. Failures raise ``ShopError`` like the WooCommerce client's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import aiohttp

from bridge.shop.client import ShopError

__all__ = ["MagentoRestClient", "keyset_filter", "updated_filter"]

_SC = "searchCriteria"


def updated_filter(since: str, page: int, page_size: int) -> dict[str, str]:
    """The query string of "orders updated at or after ``since`` (``YYYY-MM-DD HH:MM:SS``,
    UTC), oldest first, page ``page``"."""
    f = f"{_SC}[filter_groups][0][filters][0]"
    return {
        f"{f}[field]": "updated_at",
        f"{f}[value]": since,
        f"{f}[condition_type]": "gteq",
        f"{_SC}[sortOrders][0][field]": "updated_at",
        f"{_SC}[sortOrders][0][direction]": "ASC",
        f"{_SC}[pageSize]": str(page_size),
        f"{_SC}[currentPage]": str(page),
    }


def keyset_filter(second: str, exclude: frozenset[int], page_size: int) -> dict[str, str]:
    """The query string of "the first ``page_size`` orders updated at or after ``second``
    whose ``entity_id`` is not in ``exclude``, sorted by ``updated_at`` then ``entity_id``"
    (the reconciler's keyset read: always ``currentPage=1``; filter groups AND)."""
    q = updated_filter(second, 1, page_size)
    q[f"{_SC}[sortOrders][1][field]"] = "entity_id"
    q[f"{_SC}[sortOrders][1][direction]"] = "ASC"
    if exclude:
        f = f"{_SC}[filter_groups][1][filters][0]"
        q[f"{f}[field]"] = "entity_id"
        q[f"{f}[value]"] = ",".join(str(i) for i in sorted(exclude))
        q[f"{f}[condition_type]"] = "nin"
    return q


@dataclass
class MagentoRestClient:
    """``base_url`` is the store's site URL (``/rest/V1`` is appended); ``token`` the
    integration's access token."""

    base_url: str
    token: str
    timeout_s: float = 15.0
    _session: aiohttp.ClientSession | None = field(default=None, init=False, repr=False)

    async def start(self) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout_s)
            )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def get(self, path: str, query: dict[str, str] | None = None) -> Any:
        await self.start()
        assert self._session is not None
        url = f"{self.base_url.rstrip('/')}/rest/V1/{path.lstrip('/')}"
        if query:
            url += "?" + urlencode(query)
        headers = {"Accept": "application/json", "Authorization": f"Bearer {self.token}"}
        try:
            async with self._session.get(url, headers=headers) as resp:
                raw = await resp.read()
                status = resp.status
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise ShopError(None, "transport", f"{type(exc).__name__}: {exc}") from exc
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        if status >= 400:
            message = parsed.get("message", "") if isinstance(parsed, dict) else raw[:200]
            raise ShopError(status, "magento_error", str(message))
        return parsed

    async def orders_updated_since(
        self, since: str, page: int, page_size: int = 100
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of orders updated at or after ``since``; returns (items, total_count)."""
        data = await self.get("orders", updated_filter(since, page, page_size))
        if not isinstance(data, dict):
            raise ShopError(200, "magento_error", "orders search did not return an object")
        items = [o for o in data.get("items") or [] if isinstance(o, dict)]
        return items, int(data.get("total_count") or 0)

    async def orders_keyset(
        self, second: str, exclude: frozenset[int], page_size: int = 100
    ) -> list[dict[str, Any]]:
        """The first page of orders updated at or after ``second`` minus ``exclude``."""
        data = await self.get("orders", keyset_filter(second, exclude, page_size))
        if not isinstance(data, dict):
            raise ShopError(200, "magento_error", "orders search did not return an object")
        return [o for o in data.get("items") or [] if isinstance(o, dict)]
