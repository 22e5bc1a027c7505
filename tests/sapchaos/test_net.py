"""``free_port`` hands out ports below the kernel's ephemeral range, where no outgoing
connection can take the port before the caller binds it."""

from __future__ import annotations

import random
import socket
from pathlib import Path

from sapchaos.net import LOW_PORT_FLOOR, ephemeral_range, free_port


def _range_file(tmp_path: Path, text: str, name: str = "ip_local_port_range") -> Path:
    f = tmp_path / name
    f.write_text(text)
    return f


def test_ports_come_from_below_the_ephemeral_range(tmp_path: Path) -> None:
    f = _range_file(tmp_path, "32768\t60999\n")
    ports = {free_port(range_file=f, rng=random.Random(i)) for i in range(50)}
    assert all(LOW_PORT_FLOOR <= p < 32768 for p in ports)
    assert len(ports) > 40  # spread out, so concurrent callers rarely meet


def test_a_port_something_listens_on_is_skipped(tmp_path: Path) -> None:
    f = _range_file(tmp_path, "32768 60999")
    first = free_port(range_file=f, rng=random.Random(7))
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", first))
        busy.listen()
        again = free_port(range_file=f, rng=random.Random(7))  # same draws: first is busy
        assert again != first
        with socket.socket() as s:
            s.bind(("127.0.0.1", again))


def test_falls_back_to_the_os_where_the_range_is_unknown_or_low(tmp_path: Path) -> None:
    assert ephemeral_range(tmp_path / "missing") is None
    low = _range_file(tmp_path, "1024 65535", "low")
    garbage = _range_file(tmp_path, "garbage", "garbage")
    for f in (tmp_path / "missing", low, garbage):
        port = free_port(range_file=f)
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))
