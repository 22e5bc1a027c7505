"""The bridge under test, for the sapchaos fixtures.

By default the suite runs shopbridge in-process as an aiohttp application (fast); tests
marked ``as_process`` run it as ``python -m shopbridge`` in its own process group, so
the harness can ``kill -9`` it; ``without_lookup`` turns off the lookup-before-create
(to show on purpose what the oracle says about a bridge without it).
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest
from aiohttp import web
from shopbridge.app import create_app
from shopbridge.settings import Settings

from sapchaos.testing import Bridge, BridgeEnv

HERE = Path(__file__).resolve().parent.parent


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "as_process: run shopbridge as a child process")
    config.addinivalue_line("markers", "without_lookup: no key lookup before a retried create")


@pytest.fixture
def sapchaos_bridge(request: pytest.FixtureRequest) -> Bridge:
    lookup = request.node.get_closest_marker("without_lookup") is None
    if request.node.get_closest_marker("as_process"):
        flag = "" if lookup else "SHOPBRIDGE_LOOKUP_BEFORE_CREATE=0 "
        cmd = (
            f"cd {shlex.quote(str(HERE))} && {flag}exec {shlex.quote(sys.executable)} -m shopbridge"
        )
        return Bridge(cmd.replace("{", "{{").replace("}", "}}"))

    def factory(env: BridgeEnv) -> web.Application:
        settings = Settings.from_env(env.environ())
        if not lookup:
            settings = Settings(**{**settings.__dict__, "lookup_before_create": False})
        return create_app(settings)

    return Bridge(factory)
