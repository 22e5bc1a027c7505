"""A small Service Layer client: session login, one retry after a 401, OData lookups."""

from __future__ import annotations

from typing import Any

import aiohttp


class SapError(Exception):
    """SAP answered with an error. ``retryable`` tells the worker whether to try again."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"SAP {status}: {message}")
        self.status = status
        self.retryable = status >= 500 or status in (401, 408, 429)


class ServiceLayer:
    def __init__(self, url: str, company: str, user: str, password: str) -> None:
        self.url = url
        self.login_body = {"CompanyDB": company, "UserName": user, "Password": password}
        self.http = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=10), cookie_jar=aiohttp.CookieJar(unsafe=True)
        )
        self.logged_in = False

    async def close(self) -> None:
        await self.http.close()

    async def login(self) -> None:
        async with self.http.post(f"{self.url}/Login", json=self.login_body) as resp:
            if resp.status != 200:
                raise SapError(resp.status, await resp.text())
        self.logged_in = True

    async def call(self, method: str, path: str, body: Any = None) -> Any:
        if not self.logged_in:
            await self.login()
        for attempt in (1, 2):
            async with self.http.request(method, f"{self.url}/{path}", json=body) as resp:
                if resp.status == 401 and attempt == 1:  # session expired: log in again
                    await self.login()
                    continue
                if resp.status >= 400:
                    try:
                        message = (await resp.json(content_type=None))["error"]["message"]
                    except (ValueError, KeyError, TypeError):
                        message = (await resp.text())[:200]
                    raise SapError(resp.status, str(message))
                return await resp.json(content_type=None) if resp.status != 204 else None
        raise SapError(401, "login did not stick")

    async def find_order(self, key: str) -> dict[str, Any] | None:
        """The live sales order carrying our idempotency key, if SAP has one."""
        query = (
            f"Orders?$filter=U_IdemKey eq '{key}' and Cancelled eq 'tNO'&$select=DocEntry,DocNum"
        )
        found = await self.call("GET", query)
        rows = found.get("value", [])
        return rows[0] if rows else None

    async def create_order(self, body: dict[str, Any]) -> dict[str, Any]:
        created: dict[str, Any] = await self.call("POST", "Orders", body)
        return created

    async def cancel_order(self, doc_entry: int) -> None:
        """Cancel once: a retry after a lost reply finds it cancelled already."""
        doc = await self.call("GET", f"Orders({doc_entry})?$select=DocEntry,Cancelled")
        if doc.get("Cancelled") != "tYES":
            await self.call("POST", f"Orders({doc_entry})/Cancel")
