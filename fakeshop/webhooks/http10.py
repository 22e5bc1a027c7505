"""A lean HTTP/1.0 POST for webhook deliveries, on a bare asyncio protocol.

WordPress sends each webhook with ``wp_safe_remote_request``: a new connection per request,
HTTP/1.0 without ``Connection: keep-alive`` (so the receiver closes after answering), no
redirects followed. That is one write and one read per connection, which does not need a
general HTTP client: this module writes the same request bytes the shared aiohttp session
wrote before (``Host``, the caller's headers in order, aiohttp's ``Accept`` and
``Accept-Encoding``, ``Content-Length``) and reads the answer until the receiver closes the
connection or ``Content-Length`` bytes have arrived. Only the status is used (success is
2xx/300–302, :mod:`fakeshop.webhooks.failures`); the body is kept raw, never decoded.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from typing import cast

from aiohttp import ClientRequest
from yarl import URL

#: the headers aiohttp adds to every request (the bytes on the wire stay what they were)
AUTO_HEADERS = "".join(f"{k}: {v}\r\n" for k, v in ClientRequest.DEFAULT_HEADERS.items())


class DeliveryHTTPError(OSError):
    """The receiver broke the exchange: closed before a status line, or answered garbage."""


@dataclass(frozen=True)
class Target:
    """A delivery URL taken apart once: where to connect and the request's first lines."""

    host: str
    port: int
    tls: bool
    head: str  # "POST <path> HTTP/1.0\r\nHost: …\r\n"

    @classmethod
    def parse(cls, url: str) -> Target | None:
        """None for URLs this client leaves to aiohttp (credentials, other schemes)."""
        u = URL(url)
        if u.scheme not in ("http", "https") or not u.raw_host or u.port is None:
            return None
        if u.user is not None or u.password is not None:
            return None
        host = u.raw_host
        head = f"POST {u.raw_path_qs} HTTP/1.0\r\nHost: {u.host_port_subcomponent}\r\n"
        return cls(host, u.port, u.scheme == "https", head)


def request_bytes(target: Target, body: bytes, headers: dict[str, str]) -> bytes:
    lines = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    head = f"{target.head}{lines}{AUTO_HEADERS}Content-Length: {len(body)}\r\n\r\n"
    return head.encode("latin-1") + body


class _Exchange(asyncio.Protocol):
    """Writes the request on connect; resolves ``done`` with the raw answer."""

    def __init__(self, request: bytes, done: asyncio.Future[bytes]) -> None:
        self.request = request
        self.done = done
        self.buf = bytearray()
        self.need: int | None = None  # total bytes expected once Content-Length is known
        self.transport: asyncio.BaseTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # a TCP or TLS transport of whichever loop runs (uvloop's are not asyncio.Transport)
        self.transport = transport
        try:
            cast(asyncio.WriteTransport, transport).write(self.request)
        except Exception as exc:  # fail the delivery now, not at the 60 s timeout
            if not self.done.done():
                self.done.set_exception(exc)
            transport.close()

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if self.need is None:
            self.need = _expected_size(self.buf)
        if self.need is not None and len(self.buf) >= self.need:
            self._finish()

    def eof_received(self) -> bool:
        self._finish()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            if exc is not None:
                self.done.set_exception(exc)
            else:
                self.done.set_result(bytes(self.buf))

    def _finish(self) -> None:
        if not self.done.done():
            self.done.set_result(bytes(self.buf))
        if self.transport is not None:
            self.transport.close()


def _expected_size(buf: bytearray) -> int | None:
    """Header length + Content-Length once the header block is complete, else None."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None
    for line in bytes(buf[:end]).split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            try:
                return end + 4 + int(value.strip())
            except ValueError:
                return None
    return None


def parse_answer(raw: bytes) -> tuple[int, bytes]:
    """Status code and body of a raw HTTP answer."""
    end = raw.find(b"\r\n\r\n")
    if end < 0:
        if not raw:
            raise DeliveryHTTPError("Server disconnected")
        raise DeliveryHTTPError(f"incomplete answer: {raw[:60]!r}")
    status_line = raw[: raw.find(b"\r\n")]
    parts = status_line.split(None, 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit():
        raise DeliveryHTTPError(f"bad status line: {status_line[:60]!r}")
    return int(parts[1]), raw[end + 4 :]


class Http10Client:
    """New connection per delivery, at most ``limit`` open at once (0: no limit)."""

    def __init__(self, limit: int) -> None:
        self._slots = asyncio.Semaphore(limit) if limit > 0 else None
        self._targets: dict[str, Target | None] = {}
        self._tls: ssl.SSLContext | None = None

    def target(self, url: str) -> Target | None:
        if url not in self._targets:
            if len(self._targets) > 1000:  # a shop has a handful of delivery URLs
                self._targets.clear()
            self._targets[url] = Target.parse(url)
        return self._targets[url]

    def _tls_context(self) -> ssl.SSLContext:
        """No certificate verification (``sslverify`` off, as with the aiohttp session)."""
        if self._tls is None:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            self._tls = ctx
        return self._tls

    async def post(self, target: Target, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        """One POST; raises ``OSError`` (connect, reset, bad answer) like a transport error."""
        if self._slots is None:
            return await self._post(target, body, headers)
        async with self._slots:
            return await self._post(target, body, headers)

    async def _post(
        self, target: Target, body: bytes, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[bytes] = loop.create_future()
        request = request_bytes(target, body, headers)
        tls = self._tls_context() if target.tls else None
        transport, _ = await loop.create_connection(
            lambda: _Exchange(request, done),
            target.host,
            target.port,
            ssl=tls,
            server_hostname=target.host if tls else None,
        )
        try:
            raw = await done
        finally:
            transport.close()
        return parse_answer(raw)
