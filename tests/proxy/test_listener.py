"""The proxy's listener queues as many pending connections as Toxiproxy's (4096)."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from scenarios.proxy.addresses import LISTEN_BACKLOG
from tests.proxy.conftest import Target

SOMAXCONN = int(Path("/proc/sys/net/core/somaxconn").read_text())


@pytest.mark.skipif(shutil.which("ss") is None, reason="needs ss (iproute2) to read the backlog")
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
