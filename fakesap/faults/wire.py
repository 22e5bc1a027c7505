"""Wire-level helpers the faults share: SL error replies, killed connections, waiting
for a client to give up."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import struct

from aiohttp import web

from fakesap.errors import ODataVersion, error_body

#: how often a held request checks whether its client has hung up
DISCONNECT_POLL_S = 0.05


def sl_error(
    status: int,
    code: int,
    message: str,
    version: ODataVersion,
    headers: dict[str, str] | None = None,
) -> web.Response:
    """An error reply in the Service Layer's own JSON shape for this OData version."""
    body = json.dumps(error_body(code, message, version), ensure_ascii=False)
    return web.Response(
        status=status,
        text=body,
        content_type="application/json",
        charset="utf-8",
        headers=headers,
    )


def client_gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


async def wait_for_disconnect(request: web.Request, limit_s: float | None) -> bool:
    """Hold until the client closes the connection (True) or ``limit_s`` passes (False)."""
    loop = asyncio.get_running_loop()
    deadline = None if limit_s is None else loop.time() + limit_s
    while not client_gone(request):
        if deadline is not None and loop.time() >= deadline:
            return False
        await asyncio.sleep(DISCONNECT_POLL_S)
    return True


def abort_connection(request: web.Request) -> None:
    """Close the TCP connection with an RST (SO_LINGER 0), as a crashing peer or a
    load balancer killing the flow does; the client sees a connection error, no reply."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
