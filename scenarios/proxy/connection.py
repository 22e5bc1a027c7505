"""One proxied TCP connection: the client socket, the upstream socket, two links.

Toxiproxy accepts a client, dials the upstream, and joins them with an upstream link
(client→server) and a downstream link (server→client). A close on either side travels
through that side's toxics and then closes the other side; a reset closes both with RST.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from scenarios.proxy.link import Link
from scenarios.proxy.splice import AVAILABLE as SPLICE_AVAILABLE
from scenarios.proxy.splice import SPLICE_AFTER
from scenarios.proxy.toxic_set import ToxicSet

if TYPE_CHECKING:
    import random


#: bytes a client may send before its upstream connection is up; past this, reading
#: pauses until the link exists (the bytes are kept, never dropped)
EARLY_LIMIT = 256 * 1024
#: transport write buffer: above it the destination says pause_writing and the source
#: socket stops being read, so the kernel's receive window pushes back on the sender
WRITE_HIGH_WATER = 256 * 1024
NEVER = sys.maxsize


class Side(asyncio.Protocol):
    """asyncio protocol for one socket; copies bytes straight to ``direct`` when set.

    Bytes that arrive before this socket's link exists (a client that speaks first,
    while the upstream is still being dialled) are kept in ``early`` and fed into the
    link, in order, once it is built. Pausing in ``connection_made`` is not enough:
    uvloop starts reading right after ``connection_made`` returns, whatever it asked.
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.transport: asyncio.Transport | None = None
        self.direct: asyncio.Transport | None = None
        self.inbound: Link | None = None  # link reading from this socket
        self.outbound: Link | None = None  # link writing to this socket
        self.early: list[bytes] = []
        self.early_size = 0
        self.until_splice = conn.splice_after or NEVER
        self.lost = False
        self._paused = False

    # asyncio callbacks --------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses
        self.transport.set_write_buffer_limits(high=WRITE_HIGH_WATER)
        self.conn.side_made(self)

    def data_received(self, data: bytes) -> None:
        direct = self.direct
        if direct is not None:
            direct.write(data)
            self.until_splice -= len(data)
            if self.until_splice <= 0 and self.inbound is not None:
                self.inbound.try_splice()  # a bulk transfer: move it in the kernel
        elif self.inbound is not None:
            self.inbound.feed(data)
        else:
            self.early.append(data)
            self.early_size += len(data)
            if self.early_size >= EARLY_LIMIT:
                self.pause_reading()

    def take_early(self) -> list[bytes]:
        """The bytes received before the link existed, oldest first (emptied)."""
        early, self.early, self.early_size = self.early, [], 0
        return early

    def eof_received(self) -> bool:
        return False  # like Toxiproxy, a FIN from a peer ends the whole connection

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self.direct = None
        self.conn.side_lost(self)

    def pause_writing(self) -> None:
        if self.outbound is not None:
            self.outbound.set_dest_paused(True)

    def resume_writing(self) -> None:
        if self.outbound is not None:
            self.outbound.set_dest_paused(False)

    # used by links ------------------------------------------------------------------
    def write(self, data: bytes) -> None:
        if not self.lost and self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def stop_splicing(self) -> None:
        """Close the splice pumps on this socket (their duplicate descriptors would keep
        it open: no FIN, no RST)."""
        for link in (self.inbound, self.outbound):
            if link is not None:
                link.stop_splice(resume=False)

    def close(self) -> None:
        self.stop_splicing()
        if self.outbound is not None:
            self.outbound.source.direct = None
        if self.transport is not None:
            self.transport.close()

    def abort(self, reset: bool = False) -> None:
        transport = self.transport
        if transport is None or self.lost:
            return
        self.stop_splicing()
        if reset:
            sock = transport.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()

    @property
    def reading_paused(self) -> bool:
        """Reading is held by backpressure (not by a splice pump, which reads instead)."""
        return self._paused

    def pause_reading(self) -> None:
        if self.transport is not None and not self._paused and not self.transport.is_closing():
            self._paused = True
            self.transport.pause_reading()

    def resume_reading(self) -> None:
        if self.transport is not None and self._paused and not self.transport.is_closing():
            self._paused = False
            if self.inbound is None or self.inbound.pump is None:  # a pump reads instead
                self.transport.resume_reading()


class Connection:
    """A client accepted by a proxy, joined to a fresh upstream connection."""

    def __init__(
        self,
        upstream: tuple[str, int],
        toxics: ToxicSet,
        rng: random.Random,
        on_done: Callable[[Connection], None],
        log: Any,
        splice_after: int = SPLICE_AFTER,
    ) -> None:
        self.splice_after = splice_after if SPLICE_AVAILABLE else 0
        self.upstream_addr = upstream
        self.toxics = toxics
        self.rng = rng
        self.on_done = on_done
        self.log = log
        self.client = Side(self)
        self.upstream: Side | None = None
        self.links: dict[str, Link] = {}
        self.closed = False
        self._dial: asyncio.Task[None] | None = None

    # lifecycle ----------------------------------------------------------------------
    def side_made(self, side: Side) -> None:
        if side is self.client:
            # the client may speak at once: its bytes wait in ``side.early``
            self._dial = asyncio.get_running_loop().create_task(self._connect_upstream())
        elif self.closed:
            side.abort()
        else:
            self.side_joined(side)

    async def _connect_upstream(self) -> None:
        host, port = self.upstream_addr
        loop = asyncio.get_running_loop()
        try:
            await loop.create_connection(lambda: Side(self), host, port)
        except OSError as exc:
            self.log.warning("upstream_unreachable", upstream=f"{host}:{port}", error=str(exc))
            self.client.close()
            if self.client.lost:
                self._finish()

    def side_joined(self, upstream: Side) -> None:
        self.upstream = upstream
        up = Link("upstream", self.client, upstream, self.rng)
        down = Link("downstream", upstream, self.client, self.rng)
        self.client.inbound = up
        self.client.outbound = down
        upstream.inbound = down
        upstream.outbound = up
        self.links = {"upstream": up, "downstream": down}
        for entry in self.toxics:
            self.links[entry.stream].add(entry)
        for data in self.client.take_early():
            up.feed(data)
        if self.client.lost:
            up.feed_end()
        else:
            self.client.resume_reading()

    def side_lost(self, side: Side) -> None:
        side.stop_splicing()
        if side.outbound is not None:
            side.outbound.source.direct = None
        if side.inbound is not None:
            side.inbound.feed_end()
        elif side is self.client and self.upstream is None:
            if self.client.early:
                return  # said something, then closed: deliver it once the upstream is up
            if self._dial is not None:
                self._dial.cancel()
            self._finish()
            return
        other = self.upstream if side is self.client else self.client
        if other is None or other.lost:
            self._finish()

    def _finish(self) -> None:
        if self.closed:
            return
        self.closed = True
        for link in self.links.values():
            link.stop()
        self.on_done(self)

    # called by the proxy ------------------------------------------------------------
    def link(self, stream: str) -> Link | None:
        return self.links.get(stream)

    def reset(self) -> None:
        """Close both sockets with SO_LINGER 0 so each peer sees a TCP RST."""
        self.client.abort(reset=True)
        if self.upstream is not None:
            self.upstream.abort(reset=True)

    def close(self) -> None:
        """Drop the connection now (proxy disabled or deleted)."""
        if self._dial is not None and self.upstream is None:
            self._dial.cancel()
        self.client.abort()
        if self.upstream is not None:
            self.upstream.abort()
        self._finish()
