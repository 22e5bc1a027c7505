"""Small networking helpers shared by the servers and the test fixtures."""

from __future__ import annotations

import random
import socket
from pathlib import Path

#: where Linux keeps the range it draws outgoing connections' source ports from
EPHEMERAL_RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")
#: the lowest port handed out below the ephemeral range (above the usual service ports)
LOW_PORT_FLOOR = 20000
#: a range narrower than this leaves too little room to spread callers apart
MIN_SPAN = 2000


def ephemeral_range(path: Path = EPHEMERAL_RANGE_FILE) -> tuple[int, int] | None:
    """The kernel's ephemeral port range, or None where it cannot be read (not Linux)."""
    try:
        low, high = path.read_text("ascii").split()[:2]
        return int(low), int(high)
    except (OSError, ValueError):
        return None


def _bindable(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
        return True


def free_port(
    host: str = "127.0.0.1",
    rng: random.Random | None = None,
    range_file: Path = EPHEMERAL_RANGE_FILE,
) -> int:
    """A TCP port nothing listens on, for a server the caller starts next.

    Asking the OS for port 0 returns a port from the *ephemeral* range, the same pool every
    outgoing connection on the machine draws its source port from: on a busy machine (a
    chaos run beside the tests opens thousands of connections) one of them can take the
    port between this check and the caller's bind, and the server fails with "address
    already in use". So the port comes from below the ephemeral range, where only
    listeners live, at a random place so concurrent callers rarely meet; the OS's port 0
    is the fallback where that range is unknown or too small.
    """
    eph = ephemeral_range(range_file)
    if eph is not None and eph[0] - LOW_PORT_FLOOR >= MIN_SPAN:
        # ports only, never chaos or order data: an unseeded RNG is right here
        pick = rng or random.SystemRandom()
        for _ in range(64):
            port = pick.randrange(LOW_PORT_FLOOR, eph[0])
            if _bindable(host, port):
                return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])
