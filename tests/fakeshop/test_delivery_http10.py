"""The lean HTTP/1.0 delivery client: the same request bytes the aiohttp session sent, one
connection per delivery, answers read to Content-Length or close, transport failures and
timeouts reported as failures (status None), the connection limit kept."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from fakeshop.https import self_signed, server_context
from fakeshop.webhooks.http10 import Http10Client, Target
from fakeshop.webhooks.sender import SendResult, new_session, post

HEADERS = {
    "Content-Type": "application/json",
    "User-Agent": "WooCommerce/9.4.2 Hookshot (WordPress/6.7.1)",
    "X-WC-Webhook-Topic": "order.created",
}
Answer = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    size = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            size = int(line.split(b":", 1)[1])
    return head + await reader.readexactly(size)


class Server:
    """A raw TCP receiver: records request bytes, answers with a script."""

    def __init__(self) -> None:
        self.requests: list[bytes] = []
        self.open = 0
        self.most_open = 0
        self.answer: Answer = self.ok
        self.server: asyncio.Server | None = None

    async def ok(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nok")

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.open += 1
        self.most_open = max(self.most_open, self.open)
        try:
            self.requests.append(await _read_request(reader))
            await self.answer(reader, writer)
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.open -= 1
            writer.close()

    def url(self, path: str = "/hook", scheme: str = "http") -> str:
        assert self.server is not None
        port = self.server.sockets[0].getsockname()[1]
        return f"{scheme}://127.0.0.1:{port}{path}"


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    srv = Server()
    srv.server = await asyncio.start_server(srv.handle, "127.0.0.1", 0)
    yield srv
    srv.server.close()


async def _send(url: str, lean: bool, timeout_s: float = 10.0, limit: int = 10) -> SendResult:
    session = new_session(limit)
    try:
        client = Http10Client(limit) if lean else None
        return await post(session, url, b'{"id":1}', HEADERS, timeout_s, client)
    finally:
        await session.close()


async def test_same_request_bytes_as_the_aiohttp_session(server: Server) -> None:
    url = server.url("/hook?x=1&y=a b&z=%2F")
    old = await _send(url, lean=False)
    new = await _send(url, lean=True)
    assert old.status == new.status == 200 and old.error is new.error is None
    assert server.requests[0] == server.requests[1]
    assert server.requests[1].startswith(b"POST /hook?x=1&y=a+b&z=/ HTTP/1.0\r\nHost: ")
    assert new.body == "ok"


async def test_answer_with_content_length_on_an_open_connection(server: Server) -> None:
    async def keep_open(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 202 Accepted\r\nContent-Length: 5\r\n\r\nqueue")
        await writer.drain()
        await asyncio.sleep(5)  # the client must not wait for the close

    server.answer = keep_open
    got = await asyncio.wait_for(_send(server.url(), lean=True), 3)
    assert got == SendResult(202, None, "queue")


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"HTTP/1.0 500 Internal Server Error\r\n\r\nboom", 500),
        (b"HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n", 302),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", 200),
    ],
)
async def test_status_of_the_answer(server: Server, raw: bytes, status: int) -> None:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(raw)

    server.answer = answer
    got = await _send(server.url(), lean=True)
    assert got.status == status and got.error is None
    assert len(server.requests) == 1  # redirects are not followed


@pytest.mark.parametrize("raw", [b"", b"garbage\r\n\r\n", b"HTTP/1.0 2"])
async def test_broken_answers_are_transport_failures(server: Server, raw: bytes) -> None:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(raw)

    server.answer = answer
    got = await _send(server.url(), lean=True)
    assert got.status is None and got.error


async def test_refused_connection_is_a_failure() -> None:
    probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()
    got = await _send(f"http://127.0.0.1:{port}/hook", lean=True)
    assert got.status is None and got.error and got.error.startswith("ConnectionRefusedError")


async def test_timeout_reads_like_curl(server: Server) -> None:
    async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(5)

    server.answer = hang
    got = await _send(server.url(), lean=True, timeout_s=0.2)
    assert got == SendResult(None, "cURL error 28: Operation timed out after 200 milliseconds", "")


async def test_connection_limit(server: Server) -> None:
    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(0.05)
        writer.write(b"HTTP/1.0 200 OK\r\n\r\n")

    server.answer = slow
    session = new_session(2)
    client = Http10Client(2)
    try:
        got = await asyncio.gather(
            *(post(session, server.url(), b"{}", HEADERS, 10, client) for _ in range(6))
        )
    finally:
        await session.close()
    assert [g.status for g in got] == [200] * 6
    assert server.most_open == 2


def test_urls_left_to_aiohttp() -> None:
    assert Target.parse("http://user:pw@127.0.0.1:9/hook") is None
    assert Target.parse("ftp://127.0.0.1/hook") is None
    t = Target.parse("https://[::1]/hook#frag")
    assert t is not None and t.tls and t.port == 443
    assert t.head == "POST /hook HTTP/1.0\r\nHost: [::1]\r\n"


async def test_credentials_in_the_url_still_go_through_aiohttp(server: Server) -> None:
    got = await _send(server.url().replace("http://", "http://user:pw@"), lean=True)
    assert got.status == 200
    assert b"\r\nAuthorization: Basic dXNlcjpwdw==\r\n" in server.requests[0]


async def test_https_without_certificate_verification(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    srv = Server()
    srv.server = await asyncio.start_server(
        srv.handle, "127.0.0.1", 0, ssl=server_context(cert, key)
    )
    try:
        got = await _send(srv.url(scheme="https"), lean=True)
    finally:
        srv.server.close()
    assert got.status == 200 and got.error is None
    assert srv.requests[0].startswith(b"POST /hook HTTP/1.0\r\n")


def test_on_uvloop() -> None:
    """``fakeshop serve`` runs on uvloop when it is installed: its transports are not
    ``asyncio.Transport`` subclasses."""
    uvloop = pytest.importorskip("uvloop")

    async def main() -> tuple[SendResult, list[bytes]]:
        srv = Server()
        srv.server = await asyncio.start_server(srv.handle, "127.0.0.1", 0)
        try:
            return await asyncio.wait_for(_send(srv.url(), lean=True), 5), srv.requests
        finally:
            srv.server.close()

    got, requests = uvloop.run(main())
    assert got == SendResult(200, None, "ok")
    assert requests[0].startswith(b"POST /hook HTTP/1.0\r\n")
