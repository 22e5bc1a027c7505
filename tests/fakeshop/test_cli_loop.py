"""``fakeshop serve --loop``: uvloop when installed (``auto``), as fakesap and the bridge."""

from __future__ import annotations

import argparse
import asyncio

import pytest

from fakeshop.cli import new_event_loop, register


def _args(*argv: str) -> argparse.Namespace:
    p = argparse.ArgumentParser()
    register(p.add_subparsers(dest="command"))
    return p.parse_args(["fakeshop", "serve", *argv])


def test_default_is_auto() -> None:
    assert _args().loop == "auto"
    assert _args("--loop", "asyncio").loop == "asyncio"
    with pytest.raises(SystemExit):
        _args("--loop", "trio")


def test_asyncio_is_the_stdlib_loop() -> None:
    loop = new_event_loop("asyncio")
    try:
        assert type(loop).__module__.startswith("asyncio")
    finally:
        loop.close()


@pytest.mark.parametrize("choice", ["auto", "uvloop"])
def test_uvloop_when_installed(choice: str) -> None:
    uvloop = pytest.importorskip("uvloop")
    loop = new_event_loop(choice)
    try:
        assert isinstance(loop, uvloop.Loop)
        assert isinstance(loop, asyncio.AbstractEventLoop)
    finally:
        loop.close()
