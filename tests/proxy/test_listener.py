"""Socket settings: the listener queues as many pending connections as Toxiproxy's
(4096); proxied sockets send small writes at once (TCP_NODELAY)."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
from pathlib import Path

import pytest

from scenarios.proxy.addresses import LISTEN_BACKLOG
from scenarios.proxy.server import EmbeddedToxiproxy
from tests.proxy.conftest import Target, round_trip

SOMAXCONN = int(Path("/proc/sys/net/core/somaxconn").read_text())


@pytest.mark.skipif(
    shutil.which("ss") is None and not os.environ.get("CI"),
    reason="needs ss (iproute2) to read the backlog; CI installs it",
)
async def test_listen_backlog_is_toxiproxys(target: Target, echo_port: int) -> None:
    _, _, port = await target.proxy(echo_port)
    proc = await asyncio.create_subprocess_exec(
        "ss", "-ltnH", f"sport = :{port}", stdout=asyncio.subprocess.PIPE
    )
    out, _ = await proc.communicate()
    fields = out.decode().split()
    assert fields[0] == "LISTEN", out
    # for a listener, ss prints the accept-queue limit as Send-Q (capped by somaxconn)
    assert int(fields[2]) == min(LISTEN_BACKLOG, SOMAXCONN)
    assert LISTEN_BACKLOG == 4096


async def test_both_sockets_of_a_proxied_connection_have_nodelay(echo_port: int) -> None:
    """Small writes leave at once on both hops (no Nagle delay added by the proxy)."""
    async with EmbeddedToxiproxy("127.0.0.1", 0) as server:
        proxy = await server.collection.create(
            {"name": "nd", "listen": "127.0.0.1:0", "upstream": f"127.0.0.1:{echo_port}"}
        )
        host, port = proxy.listen.rsplit(":", 1)
        reader, writer = await asyncio.open_connection(host, int(port))
        await round_trip(reader, writer)
        (conn,) = proxy.connections
        assert conn.upstream is not None
        for side in (conn.client, conn.upstream):
            assert side.transport is not None
            sock = side.transport.get_extra_info("socket")
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        writer.close()
