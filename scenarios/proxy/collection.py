"""All proxies of one server: create, populate, look up, delete, reset.

Imitates Toxiproxy's ProxyCollection: names are unique; populate keeps a proxy whose
listen and upstream are unchanged and replaces it otherwise; reset re-enables every
proxy and removes every toxic.
"""

from __future__ import annotations

import random
from typing import Any

from scenarios.proxy.errors import ApiError
from scenarios.proxy.proxy import Proxy
from scenarios.proxy.splice import SPLICE_AFTER


def _field(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ApiError.of("bad_request_body", f"{key} must be a string, got {value!r}")
    return value


def _enabled(body: dict[str, Any], default: bool) -> bool:
    value = body.get("enabled", default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise ApiError.of("bad_request_body", f"enabled must be a boolean, got {value!r}")
    return value


class ProxyCollection:
    """The proxies of one Toxiproxy-compatible server, by name."""

    def __init__(self, rng: random.Random, splice_after: int = SPLICE_AFTER) -> None:
        self.rng = rng
        self.splice_after = splice_after
        self.proxies: dict[str, Proxy] = {}

    def get(self, name: str) -> Proxy:
        proxy = self.proxies.get(name)
        if proxy is None:
            raise ApiError.of("proxy_not_found")
        return proxy

    async def create(self, body: Any) -> Proxy:
        if not isinstance(body, dict):
            raise ApiError.of("bad_request_body", "expected a JSON object")
        name, upstream = _field(body, "name"), _field(body, "upstream")
        listen, enabled = _field(body, "listen"), _enabled(body, True)
        if not name:
            raise ApiError.of("missing_field", "name")
        if not upstream:
            raise ApiError.of("missing_field", "upstream")
        if name in self.proxies:
            raise ApiError.of("proxy_exists")
        proxy = Proxy(name, listen, upstream, self.rng, self.splice_after)
        if enabled:
            await proxy.start()
        self.proxies[name] = proxy
        return proxy

    async def populate(self, body: Any) -> list[Proxy]:
        """Create or replace many proxies; raises ApiError carrying those done so far."""
        if not isinstance(body, list) or not all(isinstance(p, dict) for p in body):
            raise ApiError.of("bad_request_body", "expected a JSON array of proxies")
        for index, item in enumerate(body, start=1):
            if not _field(item, "name"):
                raise ApiError.of("missing_field", f"name at proxy {index}")
            if not _field(item, "upstream"):
                raise ApiError.of("missing_field", f"upstream at proxy {index}")
            _field(item, "listen")
            _enabled(item, True)
        done: list[Proxy] = []
        for item in body:
            try:
                done.append(await self._add_or_replace(item))
            except ApiError as exc:
                raise PopulateError(exc, done) from None
        return done

    async def _add_or_replace(self, item: dict[str, Any]) -> Proxy:
        name, listen, upstream = _field(item, "name"), _field(item, "listen"), item["upstream"]
        existing = self.proxies.get(name)
        if existing is not None:
            if not existing.differs(listen, upstream):
                return existing
            existing.stop()
            del self.proxies[name]
        proxy = Proxy(name, listen, upstream, self.rng, self.splice_after)
        if _enabled(item, True):
            await proxy.start()
        self.proxies[name] = proxy
        return proxy

    async def update(self, name: str, body: Any) -> Proxy:
        proxy = self.get(name)
        if not isinstance(body, dict):
            raise ApiError.of("bad_request_body", "expected a JSON object")
        listen = _field(body, "listen") or proxy.listen
        upstream = _field(body, "upstream") or proxy.upstream
        await proxy.update(listen, upstream, _enabled(body, proxy.enabled))
        return proxy

    def remove(self, name: str) -> None:
        self.get(name).stop()
        del self.proxies[name]

    async def reset(self) -> None:
        for proxy in list(self.proxies.values()):
            await proxy.start()
            proxy.reset_toxics()

    def clear(self) -> None:
        for proxy in self.proxies.values():
            proxy.stop()
        self.proxies.clear()


class PopulateError(Exception):
    """A populate that failed part-way: the API error plus the proxies already done."""

    def __init__(self, error: ApiError, done: list[Proxy]) -> None:
        super().__init__(error.message)
        self.error = error
        self.done = done
