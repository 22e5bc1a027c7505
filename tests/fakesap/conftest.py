"""Fixtures for the fakesap core suites: a real fakesap on a free port per test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from fakesap.app import create_app
from fakesap.backend import FakeSap
from fakesap.config import FakeSapConfig

from .sl_client import SL

StartSL = Callable[..., Awaitable[SL]]


class FakeClock:
    """A controllable wall clock (seconds), starting at 2026-11-23T10:00:00Z."""

    def __init__(self, t: float = 1_795_428_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def start_sl() -> AsyncIterator[StartSL]:
    """``await start_sl(config=None, state=None, login=True, version="v1") -> SL``."""
    servers: list[TestServer] = []
    sessions: list[aiohttp.ClientSession] = []

    async def start(
        config: FakeSapConfig | None = None,
        *,
        state: FakeSap | None = None,
        login: bool = True,
        version: str = "v1",
        **config_fields: Any,
    ) -> SL:
        if config is None:
            config = state.config if state is not None else FakeSapConfig(**config_fields)
        server = TestServer(create_app(config, state=state))
        await server.start_server()
        servers.append(server)
        http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        sessions.append(http)
        sl = SL(server, http, version)
        if login:
            r = await sl.login()
            assert r.status == 200, r
        return sl

    yield start
    for http in sessions:
        await http.close()
    for server in servers:
        await server.close()


@pytest.fixture
async def sl(start_sl: StartSL) -> SL:
    """A logged-in v1 client on a fresh fakesap with the U_IdemKey uniqueness guard off."""
    return await start_sl()
