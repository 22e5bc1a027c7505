"""Zero-copy forwarding for a link with no toxics: ``splice(2)`` through a pipe (Linux).

Toxiproxy copies every byte through user space; a bulk stream then costs two copies per
byte in the proxy. Once a direction with no toxic has carried ``SPLICE_AFTER`` bytes (a
bulk transfer, not a request/response exchange), the link stops its source transport
from reading and moves bytes socket → pipe → socket inside the kernel. Adding a toxic
ends splicing at once: bytes already in the pipe are read out and go through the new
toxic first, so nothing is lost or reordered and the toxic applies to the very next byte.

The pump works on duplicates of the sockets' descriptors (the transports keep theirs);
every way the connection can end closes the duplicates first, so a close still sends
its FIN and a reset its RST.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from typing import TYPE_CHECKING

try:
    import fcntl
except ImportError:  # Windows: no fcntl, and no splice either
    fcntl = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from scenarios.proxy.link import Link

#: bytes a direction must carry before it is spliced (0 disables splicing)
SPLICE_AFTER = 1024 * 1024
PIPE_SIZE = 1024 * 1024
ROUNDS_PER_WAKEUP = 8
_F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)  # Linux ≥ 2.6.35
_MOVE = getattr(os, "SPLICE_F_MOVE", 1) | getattr(os, "SPLICE_F_NONBLOCK", 2)
AVAILABLE = hasattr(os, "splice") and fcntl is not None


class SplicePump:
    """Moves one direction's bytes from ``link.source`` to ``link.dest`` in the kernel."""

    def __init__(self, link: Link, src_fd: int, dst_fd: int) -> None:
        self.link = link
        self.loop = asyncio.get_running_loop()
        self.src = os.dup(src_fd)
        self.dst = os.dup(dst_fd)
        self.pipe_r, self.pipe_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        with contextlib.suppress(OSError):  # capped by /proc/sys/fs/pipe-max-size
            fcntl.fcntl(self.pipe_w, _F_SETPIPE_SZ, PIPE_SIZE)
        self.in_pipe = 0
        self.closed = False
        self.loop.add_reader(self.src, self._readable)

    # the pump ----------------------------------------------------------------------------
    def _readable(self) -> None:
        # several rounds per wake-up (bounded, so other connections get their turn):
        # each epoll round trip costs more than a splice that finds data waiting
        for _ in range(ROUNDS_PER_WAKEUP):
            try:
                n = os.splice(self.src, self.pipe_w, PIPE_SIZE, flags=_MOVE)
            except BlockingIOError:
                return
            except OSError as exc:
                self.link.splice_failed(exc, source=True)
                return
            if n == 0:
                self.link.splice_eof()
                return
            self.in_pipe += n
            self._drain()
            if self.in_pipe or self.closed:
                return  # destination full (now waiting for it) or the link stopped

    def _drain(self) -> None:
        while self.in_pipe > 0:
            try:
                n = os.splice(self.pipe_r, self.dst, self.in_pipe, flags=_MOVE)
            except BlockingIOError:
                # destination is full: stop reading the source until it drains (the
                # source's kernel buffer then fills and TCP pushes back on the sender)
                self.loop.remove_reader(self.src)
                self.loop.add_writer(self.dst, self._writable)
                return
            except OSError as exc:
                self.link.splice_failed(exc, source=False)
                return
            self.in_pipe -= n

    def _writable(self) -> None:
        self._drain()
        if self.in_pipe == 0 and not self.closed:
            self.loop.remove_writer(self.dst)
            self.loop.add_reader(self.src, self._readable)

    # leaving -----------------------------------------------------------------------------
    def stop(self) -> bytes:
        """Stop pumping; return the bytes read from the source but not yet written."""
        if self.closed:
            return b""
        self.closed = True
        self.loop.remove_reader(self.src)
        self.loop.remove_writer(self.dst)
        left = bytearray()
        while self.in_pipe > 0:
            try:
                chunk = os.read(self.pipe_r, self.in_pipe)
            except OSError:
                break
            if not chunk:
                break
            left += chunk
            self.in_pipe -= len(chunk)
        for fd in (self.src, self.dst, self.pipe_r, self.pipe_w):
            with contextlib.suppress(OSError):
                os.close(fd)
        return bytes(left)
