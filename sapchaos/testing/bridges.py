"""The bridge under test, however a team runs it: a shell command, an aiohttp application
(or a factory of one), or — by default — sapchaos's reference bridge.

A test suite names it by overriding the ``sapchaos_bridge`` fixture. Each kind is one small
adapter with the same four actions (start, stop, kill, restart) so the stack drives them
alike; a command gets the placeholders and ``SAPCHAOS_*`` variables of ``--bridge-cmd``
(``scenarios.bridge_process``), an application reads the same values from
``app[BRIDGE_ENV]`` in its ``on_startup`` hooks.
"""

from __future__ import annotations

import inspect
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from aiohttp import web

from bridge.config import BridgeConfig
from bridge.runtime import BridgeRuntime
from sapchaos import defaults
from sapchaos.testing.servers import ServedApp, serve_app
from scenarios.bridge_process import BridgeEnv, BridgeProcess

#: where an application bridge finds its settings: ``request.app[BRIDGE_ENV].sap_url``
BRIDGE_ENV: web.AppKey[BridgeEnv] = web.AppKey("sapchaos_bridge_env", BridgeEnv)

AppFactory = Callable[[BridgeEnv], web.Application | Awaitable[web.Application]]
BridgeTarget = str | web.Application | AppFactory | None

#: the WooCommerce topics subscribed for the bridge by default
DEFAULT_TOPICS = ("order.created", "order.updated", "order.deleted", "order.restored")


@dataclass(frozen=True)
class Bridge:
    """How to run the bridge under test and where the shop delivers to it.

    ``target``: a shell command (placeholders ``{sap_url}``, ``{bridge_port}`` … as with
    ``--bridge-cmd``), an ``aiohttp.web.Application``, a callable ``(BridgeEnv) ->
    Application`` (sync or async), or None for the reference bridge.
    """

    target: BridgeTarget = None
    #: path on the bridge that receives WooCommerce webhooks
    webhook_path: str = defaults.WEBHOOK_PATH
    topics: tuple[str, ...] = DEFAULT_TOPICS
    ready_timeout_s: float = 30.0
    #: reference bridge only: ``BridgeConfig`` fields to change (e.g. ``{"workers": 2}``)
    overrides: dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        if self.target is None:
            return "reference"
        if isinstance(self.target, str):
            return "command"
        if isinstance(self.target, web.Application) or callable(self.target):
            return "app"
        raise TypeError(
            "sapchaos_bridge must return a shell command (str), an aiohttp Application, a "
            f"callable returning one, a sapchaos.testing.Bridge or None; got {self.target!r}"
        )


def as_bridge(value: Bridge | BridgeTarget) -> Bridge:
    bridge = value if isinstance(value, Bridge) else Bridge(target=value)
    _ = bridge.kind  # validate early, with the message above
    return bridge


class RunningBridge(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def kill(self) -> None: ...
    async def restart(self) -> None: ...

    @property
    def running(self) -> bool: ...


class ReferenceBridge:
    """sapchaos's own bridge in the server thread (fast: no interpreter start per test)."""

    def __init__(self, env: BridgeEnv, overrides: dict[str, Any], seed: int) -> None:
        self.env = env
        self.seed = seed
        self.config = BridgeConfig(
            store_dsn=f"sqlite:///{env.state_dir / 'bridge.sqlite'}",
            sap_base_url=env.sap_url,
            sap_company=env.sap_company,
            sap_user=env.sap_user,
            sap_password=env.sap_password,
            sap_total_timeout_s=10.0,
            lease_s=20.0,
            shop_base_url=env.shop_url,
            shop_consumer_key=env.shop_key,
            shop_consumer_secret=env.shop_secret,
            webhook_secrets=(env.webhook_secret,),
            guest_card_code=env.card_code,
            host="127.0.0.1",
            port=env.bridge_port,
            workers=4,
        ).replace(**overrides)
        self.runtime: BridgeRuntime | None = None

    @property
    def running(self) -> bool:
        return self.runtime is not None

    async def start(self) -> None:
        runtime = BridgeRuntime(self.config, seed=self.seed)
        await runtime.start()
        self.runtime = runtime

    async def stop(self) -> None:
        if self.runtime is not None:
            runtime, self.runtime = self.runtime, None
            await runtime.stop()

    async def kill(self) -> None:
        await self.stop()  # in-process: the nearest to kill -9 that leaves no task behind

    async def restart(self) -> None:
        await self.kill()
        await self.start()


class AppBridge:
    """A team's aiohttp application, served on ``bridge_port`` in the server thread."""

    def __init__(self, target: web.Application | AppFactory, env: BridgeEnv) -> None:
        self.target = target
        self.env = env
        self.served: ServedApp | None = None
        self._used_instance = False

    @property
    def running(self) -> bool:
        return self.served is not None

    async def _app(self) -> web.Application:
        if isinstance(self.target, web.Application):
            if self._used_instance:
                raise RuntimeError(
                    "an aiohttp Application cannot be started twice; let sapchaos_bridge "
                    "return a factory (a callable taking the BridgeEnv) to restart it"
                )
            self._used_instance = True
            app = self.target
        else:
            made = self.target(self.env)
            app = await made if inspect.isawaitable(made) else made
            if not isinstance(app, web.Application):
                raise TypeError(f"the bridge factory returned {app!r}, not an aiohttp Application")
        app[BRIDGE_ENV] = self.env
        return app

    async def start(self) -> None:
        self.served = await serve_app(await self._app(), self.env.bridge_port)

    async def stop(self) -> None:
        if self.served is not None:
            served, self.served = self.served, None
            await served.runner.cleanup()

    async def kill(self) -> None:
        await self.stop()

    async def restart(self) -> None:
        await self.stop()
        await self.start()


class CommandBridge:
    """Any bridge as a child process group (``scenarios.bridge_process``)."""

    def __init__(self, cmd: str, env: BridgeEnv, log_path: Path, ready_timeout_s: float) -> None:
        self.process = BridgeProcess(cmd, env, log_path, ready_timeout_s=ready_timeout_s)

    @property
    def running(self) -> bool:
        return self.process.running

    async def start(self) -> None:
        await self.process.start()

    async def stop(self) -> None:
        await self.process.stop()

    async def kill(self) -> None:
        await self.process.kill()

    async def restart(self) -> None:
        await self.process.restart()


def running_bridge(bridge: Bridge, env: BridgeEnv, seed: int) -> RunningBridge:
    """The adapter for ``bridge``; its log (commands) goes to ``env.state_dir/bridge.log``."""
    kind = bridge.kind
    if kind == "reference":
        return ReferenceBridge(env, bridge.overrides, seed)
    if kind == "command":
        assert isinstance(bridge.target, str)
        return CommandBridge(
            bridge.target, env, env.state_dir / "bridge.log", bridge.ready_timeout_s
        )
    assert bridge.target is not None and not isinstance(bridge.target, str)
    return AppBridge(bridge.target, env)


def new_state_dir() -> Path:
    """A fresh directory for one test's bridge (store, log)."""
    return Path(tempfile.mkdtemp(prefix="sapchaos-bridge-"))
