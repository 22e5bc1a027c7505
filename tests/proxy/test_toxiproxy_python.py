"""The embedded server driven by the official ``toxiproxy-python`` client (sync, requests).

The server runs on its own loop in a background thread; the client and the sockets are
plain blocking code, as in a user's test suite.
"""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Iterator

import pytest
from toxiproxy import Toxiproxy
from toxiproxy.exceptions import InvalidToxic, NotFound, ProxyExists

from sapchaos.net import free_port
from scenarios.proxy.server import embedded_in_thread


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        try:
            while data := self.request.recv(65536):
                self.request.sendall(data)
        except OSError:
            pass


@pytest.fixture
def echo() -> Iterator[int]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Echo)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


@pytest.fixture
def toxiproxy(loop_name: str) -> Iterator[Toxiproxy]:
    """The server on its own thread, once per event loop (``loop_name`` is parametrised)."""
    with embedded_in_thread(seed=11, loop=loop_name) as server:
        client = Toxiproxy()
        client.update_api_consumer("127.0.0.1", server.port)
        yield client


def connect(listen: str) -> socket.socket:
    host, port = listen.rsplit(":", 1)
    sock = socket.create_connection((host, int(port)), timeout=5)
    return sock


def is_closed(sock: socket.socket) -> bool:
    """True when the peer closed the socket (EOF or reset)."""
    try:
        return sock.recv(10) == b""
    except ConnectionResetError:
        return True


def echo_time(sock: socket.socket, data: bytes = b"ping") -> float:
    started = time.monotonic()
    sock.sendall(data)
    got = b""
    while len(got) < len(data):
        chunk = sock.recv(65536)
        assert chunk, "closed early"
        got += chunk
    assert got == data
    return time.monotonic() - started


def test_create_toxics_and_destroy_toxic(toxiproxy: Toxiproxy, echo: int) -> None:
    assert toxiproxy.running()
    assert toxiproxy.version()
    proxy = toxiproxy.create(upstream=f"127.0.0.1:{echo}", name="py_lat")
    assert proxy.enabled is True and not proxy.listen.endswith(":0")
    assert "py_lat" in toxiproxy.proxies()
    sock = connect(proxy.listen)
    assert echo_time(sock) < 0.3
    proxy.add_toxic(type="latency", attributes={"latency": 300})
    toxics = proxy.toxics()
    assert toxics["latency_downstream"].attributes == {"latency": 300, "jitter": 0}
    assert echo_time(sock) >= 0.3  # the live connection got the new toxic
    assert proxy.destroy_toxic("latency_downstream")
    assert echo_time(sock) < 0.3  # below the 300 ms toxic: it is gone
    sock.close()


def test_down_partitions_then_restores(toxiproxy: Toxiproxy, echo: int) -> None:
    proxy = toxiproxy.create(upstream=f"127.0.0.1:{echo}", name="py_down")
    live = connect(proxy.listen)
    echo_time(live)
    with proxy.down():
        assert toxiproxy.get_proxy("py_down").enabled is False
        with pytest.raises(ConnectionRefusedError):
            connect(proxy.listen)
        assert is_closed(live)
    again = connect(proxy.listen)
    assert echo_time(again) < 1
    again.close()


def test_reset_removes_toxics_and_enables(toxiproxy: Toxiproxy, echo: int) -> None:
    proxy = toxiproxy.create(upstream=f"127.0.0.1:{echo}", name="py_reset")
    proxy.add_toxic(type="timeout", attributes={"timeout": 0})
    proxy.disable()
    assert toxiproxy.reset()
    assert proxy.toxics() == {}
    assert toxiproxy.get_proxy("py_reset").enabled is True
    sock = connect(proxy.listen)
    assert echo_time(sock) < 1
    sock.close()


def test_client_exceptions_map_statuses(toxiproxy: Toxiproxy, echo: int) -> None:
    proxy = toxiproxy.create(upstream=f"127.0.0.1:{echo}", name="py_err")
    with pytest.raises(ProxyExists):
        toxiproxy.create(upstream=f"127.0.0.1:{echo}", name="py_err")
    with pytest.raises(InvalidToxic):
        proxy.add_toxic(type="plague")
    with pytest.raises(NotFound):
        proxy.destroy_toxic("never_added")
    assert proxy.destroy()
    assert toxiproxy.get_proxy("py_err") is None


def test_populate_creates_then_keeps(toxiproxy: Toxiproxy, echo: int) -> None:
    listen = f"127.0.0.1:{free_port()}"
    config = [{"name": "py_pop", "upstream": f"127.0.0.1:{echo}", "listen": listen}]
    created = toxiproxy.populate(config)
    assert [p.name for p in created] == ["py_pop"]
    assert toxiproxy.populate(config) == []  # unchanged: nothing recreated
    sock = connect(listen)
    echo_time(sock)
    sock.close()


def test_limit_data_reset_peer_and_timeout_seen_on_sockets(toxiproxy: Toxiproxy, echo: int) -> None:
    proxy = toxiproxy.create(upstream=f"127.0.0.1:{echo}", name="py_tox")
    proxy.add_toxic(type="limit_data", attributes={"bytes": 100})
    sock = connect(proxy.listen)
    sock.sendall(b"q" * 500)
    got = b""
    while chunk := sock.recv(65536):
        got += chunk
    assert got == b"q" * 100
    sock.close()
    proxy.destroy_toxic("limit_data_downstream")

    proxy.add_toxic(type="reset_peer", attributes={"timeout": 0})
    sock = connect(proxy.listen)
    sock.sendall(b"boom")
    with pytest.raises(ConnectionResetError):
        while sock.recv(65536):
            pass
    sock.close()
    proxy.destroy_toxic("reset_peer_downstream")

    proxy.add_toxic(type="timeout", stream="upstream", attributes={"timeout": 400})
    started = time.monotonic()
    sock = connect(proxy.listen)
    sock.sendall(b"hello?")
    assert sock.recv(100) == b""  # nothing came back, then the proxy closed
    assert time.monotonic() - started >= 0.35
    sock.close()
