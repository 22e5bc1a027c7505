"""One proxy: a listener, its live connections, its toxics, enable/disable.

Imitates Toxiproxy's Proxy: enabling binds the listen address (port 0 → the real port
is reported from then on); disabling closes the listener *and* every live connection
(a partition); toxic changes reach live connections at once.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

from sapchaos.logs import get_logger
from scenarios.proxy.addresses import (
    LISTEN_BACKLOG,
    bind_socket,
    bound_address,
    normalize_listen,
    split_hostport,
)
from scenarios.proxy.connection import Connection
from scenarios.proxy.errors import ApiError
from scenarios.proxy.splice import SPLICE_AFTER
from scenarios.proxy.toxic_set import ToxicEntry, ToxicSet


class Proxy:
    """A named TCP proxy from ``listen`` to ``upstream``."""

    def __init__(
        self,
        name: str,
        listen: str,
        upstream: str,
        rng: random.Random,
        splice_after: int = SPLICE_AFTER,
    ) -> None:
        self.name = name
        self.splice_after = splice_after
        self.listen = listen
        self.upstream = upstream
        self.enabled = False
        self.rng = rng
        self.toxics = ToxicSet()
        self.connections: set[Connection] = set()
        self._server: asyncio.Server | None = None
        self.log = get_logger("proxy").bind(proxy=name)

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "listen": self.listen,
            "upstream": self.upstream,
            "enabled": self.enabled,
            "toxics": self.toxics.as_json(),
        }

    # listener -----------------------------------------------------------------------
    async def start(self) -> None:
        """Bind and accept; raises a 500 ApiError with the OS text when binding fails."""
        if self.enabled:
            return
        sock = bind_socket(self.listen)
        loop = asyncio.get_running_loop()
        # create_server listens again: without backlog= it would shrink the queue to 100
        self._server = await loop.create_server(
            self._new_connection, sock=sock, backlog=LISTEN_BACKLOG
        )
        self.listen = bound_address(sock)
        self.enabled = True
        self.log.info("proxy_started", listen=self.listen, upstream=self.upstream)

    def stop(self) -> None:
        """Close the listener and drop every live connection."""
        if not self.enabled:
            return
        self.enabled = False
        if self._server is not None:
            self._server.close()
            self._server = None
        for conn in list(self.connections):
            conn.close()
        self.connections.clear()
        self.log.info("proxy_stopped")

    def _new_connection(self) -> asyncio.Protocol:
        try:
            host, port = split_hostport(self.upstream)
        except ApiError:
            host, port = self.upstream, 0
        conn = Connection(
            (host, port),
            self.toxics,
            self.rng,
            self.connections.discard,
            self.log,
            self.splice_after,
        )
        self.connections.add(conn)
        return conn.client

    def differs(self, listen: str, upstream: str) -> bool:
        """Toxiproxy restarts a proxy when the resolved listen or the upstream changed."""
        return normalize_listen(listen) != self.listen or upstream != self.upstream

    async def update(self, listen: str, upstream: str, enabled: bool) -> None:
        if self.differs(listen, upstream):
            was_enabled = self.enabled
            self.stop()
            self.listen = listen
            self.upstream = upstream
            if was_enabled and enabled:
                await self.start()
                return
        if enabled and not self.enabled:
            await self.start()
        elif not enabled and self.enabled:
            self.stop()

    # toxics on live connections -------------------------------------------------------
    def add_toxic(self, body: Any) -> ToxicEntry:
        entry = self.toxics.create(body)
        for conn in list(self.connections):
            link = conn.link(entry.stream)
            if link is not None:
                link.add(entry)
        return entry

    def update_toxic(self, name: str, body: Any) -> ToxicEntry:
        entry = self.toxics.updated(name, body)
        for conn in list(self.connections):
            link = conn.link(entry.stream)
            if link is not None:
                link.update(entry)
        return entry

    def remove_toxic(self, name: str) -> None:
        entry = self.toxics.remove(name)
        for conn in list(self.connections):
            link = conn.link(entry.stream)
            if link is not None:
                link.remove(entry.name)

    def reset_toxics(self) -> None:
        for entry in list(self.toxics):
            self.remove_toxic(entry.name)
