"""A small async client for scenario code: the same calls against the embedded proxy or
a real Toxiproxy at any URL (``http://toxiproxy:8474`` in docker-compose)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Any

import aiohttp


class ToxiproxyError(Exception):
    """An error answer from the server, with Toxiproxy's status and message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


class ToxiproxyClient:
    """Drives any Toxiproxy v2 HTTP API. Use as ``async with ToxiproxyClient(url) as c``."""

    def __init__(self, url: str, session: aiohttp.ClientSession | None = None) -> None:
        self.url = url.rstrip("/")
        self._session = session
        self._owns_session = session is None

    async def __aenter__(self) -> ToxiproxyClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    async def _call(self, method: str, path: str, body: Any = None) -> Any:
        if self._session is None:
            self._session = aiohttp.ClientSession(headers={"User-Agent": "sapchaos-proxy"})
        async with self._session.request(method, self.url + path, json=body) as resp:
            text = await resp.text()
            if resp.status >= 400:
                try:
                    message = str((await resp.json(content_type=None))["error"])
                except (ValueError, KeyError, TypeError):
                    message = text.strip()
                raise ToxiproxyError(resp.status, message)
            if resp.status == 204 or not text:
                return None
            return await resp.json(content_type=None)

    # server ----------------------------------------------------------------------------
    async def version(self) -> str:
        if self._session is None:
            self._session = aiohttp.ClientSession(headers={"User-Agent": "sapchaos-proxy"})
        async with self._session.get(self.url + "/version") as resp:
            return (await resp.text()).strip()

    async def reset(self) -> None:
        """Enable every proxy and remove every toxic."""
        await self._call("POST", "/reset")

    # proxies ---------------------------------------------------------------------------
    async def proxies(self) -> dict[str, dict[str, Any]]:
        result: dict[str, dict[str, Any]] = await self._call("GET", "/proxies")
        return result

    async def create(
        self, name: str, upstream: str, listen: str = "127.0.0.1:0", enabled: bool = True
    ) -> dict[str, Any]:
        body = {"name": name, "upstream": upstream, "listen": listen, "enabled": enabled}
        result: dict[str, Any] = await self._call("POST", "/proxies", body)
        return result

    async def populate(self, proxies: list[dict[str, Any]]) -> list[dict[str, Any]]:
        result = await self._call("POST", "/populate", proxies)
        if isinstance(result, dict):  # v2: {"proxies": [...]}; v1: a bare array
            result = result.get("proxies") or []
        return list(result)

    async def get(self, name: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("GET", f"/proxies/{name}")
        return result

    async def update(self, name: str, **fields: Any) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("POST", f"/proxies/{name}", fields)
        return result

    async def delete(self, name: str) -> None:
        await self._call("DELETE", f"/proxies/{name}")

    async def disable(self, name: str) -> dict[str, Any]:
        """Take the proxy down: listener closed, live connections dropped."""
        return await self.update(name, enabled=False)

    async def enable(self, name: str) -> dict[str, Any]:
        return await self.update(name, enabled=True)

    @asynccontextmanager
    async def down(self, name: str) -> AsyncIterator[None]:
        """A partition for the duration of the block."""
        await self.disable(name)
        try:
            yield
        finally:
            await self.enable(name)

    # toxics ----------------------------------------------------------------------------
    async def toxics(self, proxy: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self._call("GET", f"/proxies/{proxy}/toxics")
        return result

    async def add_toxic(
        self,
        proxy: str,
        type: str,
        *,
        stream: str = "downstream",
        name: str | None = None,
        toxicity: float = 1.0,
        **attributes: int,
    ) -> dict[str, Any]:
        body = {
            "name": name or f"{type}_{stream}",
            "type": type,
            "stream": stream,
            "toxicity": toxicity,
            "attributes": attributes,
        }
        result: dict[str, Any] = await self._call("POST", f"/proxies/{proxy}/toxics", body)
        return result

    async def update_toxic(
        self, proxy: str, name: str, *, toxicity: float | None = None, **attributes: int
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"attributes": attributes}
        if toxicity is not None:
            body["toxicity"] = toxicity
        result: dict[str, Any] = await self._call("POST", f"/proxies/{proxy}/toxics/{name}", body)
        return result

    async def remove_toxic(self, proxy: str, name: str) -> None:
        await self._call("DELETE", f"/proxies/{proxy}/toxics/{name}")
