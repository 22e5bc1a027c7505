"""The stack under test: fakesap, fakeshop, the proxy, a broker, and any bridge.

This is what ``sapchaos demo``, ``sapchaos up`` and the scenarios start. The wiring is done
the way a team would wire a real installation: the webhook is created through the shop's
REST API (WooCommerce sends its ping), the bridge logs in to the Service Layer with a user
from fakesap's config, every link between the bridge and the systems it talks to runs
through a Toxiproxy-compatible proxy (so a scenario can cut or slow it), and the verdict
and the quiescence wait read only the emulators' ``/__admin`` ground truth.

The bridge runs either in this process (the reference bridge, fastest) or as a child
process — the reference bridge (``sapchaos bridge serve``) or anyone's command — which the
run can ``kill -9`` and restart like a supervisor would.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import shlex
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import aiohttp
from aiohttp import web

from bridge.config import BridgeConfig
from bridge.runtime import BridgeRuntime
from bridge.shop.client import WooClient
from fakesap.app import create_app as create_sap_app
from fakesap.config import FakeSapConfig
from fakesap.faults import FaultsConfig
from fakeshop.app import create_app as create_shop_app
from fakeshop.config import ShopConfig
from sapchaos import defaults
from sapchaos.logs import get_logger
from sapchaos.net import free_port
from scenarios.balancer import Balancer, BalancerSettings
from scenarios.bridge_process import REFERENCE_BRIDGE_CMD, BridgeEnv, BridgeProcess
from scenarios.broker_process import BrokerProcess
from scenarios.instances import (
    RunSchema,
    instance_dsn,
    instance_names,
    postgres_address,
    postgres_url,
    run_schema_name,
    store_link,
)
from scenarios.nginx_balancer import NginxBalancer, NginxError
from scenarios.oracle import Histories
from scenarios.proxy.client import ToxiproxyClient
from scenarios.proxy.server import toxiproxy
from scenarios.quiescence import GroundTruthProgress, wait_quiescent
from scenarios.stock import StockPlan, stock_truth

log = get_logger("scenarios.stack")

#: the order topics the bridge subscribes to, as a WooCommerce admin would set them up
ORDER_TOPICS = ("order.created", "order.updated", "order.deleted", "order.restored")

ShopMode = Literal["woo", "magento"]
BrokerMode = Literal["none", "shared", "own"]

#: the delivery URL template for a foreign bridge (it listens on ``{bridge_port}``)
DEFAULT_BRIDGE_URL = "http://127.0.0.1:{bridge_port}/"
#: the reference bridge's ingress path (``bridge.ingress``)
REFERENCE_BRIDGE_URL = "http://127.0.0.1:{bridge_port}" + defaults.WEBHOOK_PATH


class StackError(RuntimeError):
    """The stack cannot start or cannot do what was asked (a one-line reason)."""


@dataclass
class StackSettings:
    """What to start and how. Every random choice downstream derives from ``seed``."""

    seed: int = 42
    #: bridge store DSN; None → a SQLite file in the run's state directory
    store_dsn: str | None = None
    #: webhook topics to subscribe the bridge to
    topics: tuple[str, ...] = ("order.created",)
    webhook_secret: str = "sapchaos-demo-webhook-secret"
    #: fakeshop delivery chaos (``/__admin/chaos`` body), applied after the webhook ping
    shop_chaos: dict[str, Any] = field(default_factory=dict)
    #: fakesap fault rules (``/__admin/faults`` bodies)
    sap_fault_rules: list[dict[str, Any]] = field(default_factory=list)
    #: the SAP-side uniqueness guard on ``U_IdemKey`` (a TransactionNotification)
    uniqueness_guard: bool = False
    #: bridge worker count and timeouts (short, so faults resolve quickly in a demo)
    workers: int = 4
    sap_total_timeout_s: float = 10.0
    lease_s: float = 20.0
    bridge_overrides: dict[str, Any] = field(default_factory=dict)
    #: route bridge→SAP, bridge→shop, shop→bridge (and bridge→broker) through a
    #: Toxiproxy-compatible proxy (embedded unless ``toxiproxy_url`` names a real one)
    proxy: bool = True
    toxiproxy_url: str | None = None
    #: the bridge under test as a shell command (placeholders: ``scenarios.bridge_process``);
    #: None → the reference bridge
    bridge_cmd: str | None = None
    #: run the reference bridge as a child process (forced when ``bridge_cmd`` is set)
    bridge_process: bool = False
    #: start no bridge at all (``sapchaos up --no-bridge``: the user runs their own)
    no_bridge: bool = False
    #: the webhook delivery URL template (``{bridge_port}``); None → ``/`` for a foreign
    #: bridge, ``/webhooks/woocommerce`` for the reference bridge. Its host:port is
    #: rewritten to the proxy's shop→bridge link when the proxy runs.
    bridge_url: str | None = None
    #: fixed ports ``port_base`` … ``port_base + 8`` (see ``PORT_OFFSETS``); None → free ports
    port_base: int | None = None
    #: ``woo``: webhooks; ``magento``: fakeshop publishes Magento events to the broker
    shop_mode: ShopMode = "woo"
    #: ``own``: a Mosquitto child process the run may kill; ``shared``: ``shared_broker_url``
    broker: BrokerMode = "none"
    shared_broker_url: str = defaults.MQTT_URL
    #: fakesap keeps its documents in SQLite in the run folder (needed by ``restart_sap``)
    sap_persist: bool = False
    #: where logs and state of the run go; None → a temporary directory removed at stop
    run_dir: Path | None = None
    #: how long a child bridge may take to listen on its port
    ready_timeout_s: float = 30.0
    #: ``wait_quiescent``'s default quiet period: nothing changed in the ground truth for
    #: this long (and no delivery pending) ends the wait even if orders are missing
    quiet_s: float = 10.0
    #: fakeshop's "prices entered with tax" option (None: the catalog's)
    prices_include_tax: bool | None = None
    #: how the bridge's work is recognised (``scenarios.oracle.contract.Contract`` or any
    #: object with its attributes); None → the reference bridge's conventions
    contract: Any = None
    #: several bridge instances (child processes, ``a``, ``b``, …) on one PostgreSQL
    #: schema created for the run, each reaching it through its own proxied link
    #: ``bridge_<name>_to_store``, behind ``scenarios.balancer`` on the bridge port
    bridge_instances: int = 1
    #: the PostgreSQL the instances share (None → ``SAPCHAOS_TEST_PG`` or the local one)
    postgres_url: str | None = None
    #: the balancer's knobs (None → the values of ``deploy/nginx.conf``)
    balancer: BalancerSettings | None = None
    #: ``embedded``: ``scenarios.balancer``; ``nginx``: ``deploy/nginx.conf`` run for real
    #: (``scenarios.nginx_balancer``; needs the nginx binary)
    balancer_kind: Literal["embedded", "nginx"] = "embedded"
    #: the run tests stock sync (``scenarios.stock``): the rule the oracle judges by, the
    #: reference bridge's stock sync, fakesap's back-office stock drift; None → not tested
    stock: StockPlan | None = None

    def effective_broker(self) -> BrokerMode:
        """Magento mode needs a broker; without one asked for, it gets its own."""
        if self.shop_mode == "magento" and self.broker == "none":
            return "own"
        return self.broker

    def runs_bridge_as_process(self) -> bool:
        return not self.no_bridge and (
            self.bridge_process or self.bridge_cmd is not None or self.bridge_instances > 1
        )


#: ``port_base`` + offset for each service and proxy listener
PORT_OFFSETS: dict[str, int] = {
    "sap": 0,
    "shop": 1,
    "bridge": 2,
    "proxy_api": 3,
    "shop_to_bridge": 4,
    "bridge_to_sap": 5,
    "bridge_to_shop": 6,
    "bridge_to_broker": 7,
    "broker": 8,
}


def plan_ports(port_base: int | None) -> dict[str, int]:
    """Fixed ports from ``port_base``, or free ones (0 = the proxy picks, like Toxiproxy)."""
    if port_base is None:
        return {
            name: (0 if name == "proxy_api" or "_to_" in name else free_port())
            for name in PORT_OFFSETS
        }
    top = port_base + max(PORT_OFFSETS.values())
    if port_base < 1024 or top > 65535:
        raise StackError(f"--port-base {port_base}: needs 1024 ≤ N and N+8 ≤ 65535")
    return {name: port_base + off for name, off in PORT_OFFSETS.items()}


#: the proxied links
LINKS = ("bridge_to_sap", "bridge_to_shop", "shop_to_bridge", "bridge_to_broker")


# -- the stack -------------------------------------------------------------------------
@dataclass
class EmbeddedStack:
    """Start with ``async with EmbeddedStack(settings) as stack:``."""

    settings: StackSettings
    #: direct roots of the emulators (for ``/__admin``; clients use ``env``'s proxied URLs)
    sap_url: str = ""
    shop_url: str = ""
    #: the in-process reference bridge (None when the bridge runs as a process or not at all)
    bridge: BridgeRuntime | None = None
    #: the bridge child process (when ``settings.runs_bridge_as_process()``)
    bridge_proc: BridgeProcess | None = None
    #: the own Mosquitto (``broker="own"``)
    broker_proc: BrokerProcess | None = None
    #: the proxy's API client when ``settings.proxy`` (drive partitions and toxics with it)
    proxy: ToxiproxyClient | None = None
    #: link name → the address clients connect to (``host:port``)
    links: dict[str, str] = field(default_factory=dict)
    #: what the bridge is given (placeholders / SAPCHAOS_* variables)
    env: BridgeEnv | None = None
    ports: dict[str, int] = field(default_factory=dict)
    run_dir: Path = Path()
    broker_url: str | None = None
    progress: GroundTruthProgress = field(default_factory=GroundTruthProgress)
    _exit: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)
    _shop_runner: web.AppRunner | None = None
    _sap_runner: web.AppRunner | None = None
    _sap_cfg: FakeSapConfig | None = None
    _tmp: tempfile.TemporaryDirectory[str] | None = None
    _http: aiohttp.ClientSession | None = None
    _bridge_cfg: BridgeConfig | None = None
    _fired_before_restart: dict[str, int] = field(default_factory=dict)
    #: ``bridge_instances > 1``: instance name → its process, the balancer in front, and
    #: the run's schema in PostgreSQL
    bridge_procs: dict[str, BridgeProcess] = field(default_factory=dict)
    balancer: Balancer | NginxBalancer | None = None
    store_schema: RunSchema | None = None

    async def __aenter__(self) -> EmbeddedStack:
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def proxy_url(self) -> str | None:
        return self.proxy.url if self.proxy is not None else None

    @property
    def bridge_log(self) -> Path:
        return self.run_dir / "bridge.log"

    # -- lifecycle -------------------------------------------------------------------
    async def start(self) -> None:
        s = self.settings
        if s.run_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="sapchaos-run-")
            self.run_dir = Path(self._tmp.name)
        else:
            self.run_dir = Path(s.run_dir)
            self.run_dir.mkdir(parents=True, exist_ok=True)
        self.ports = plan_ports(s.port_base)
        self.progress = GroundTruthProgress(s.contract)
        if s.shop_mode == "magento":
            self.progress.set_prefix("mg")
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))

        broker = s.effective_broker()
        if broker == "own":
            self.broker_proc = BrokerProcess(self.run_dir / "broker", self.ports["broker"])
            await self.broker_proc.start()
            self.broker_url = self.broker_proc.url
        elif broker == "shared":
            self.broker_url = s.shared_broker_url

        self._sap_cfg = FakeSapConfig(
            seed=s.seed,
            uniqueness_guard_udf="U_IdemKey" if s.uniqueness_guard else None,
            faults=FaultsConfig(seed=s.seed),
            persist_path=str(self.run_dir / "fakesap.sqlite") if s.sap_persist else None,
        )
        if s.stock is not None:
            self._sap_cfg = dataclasses.replace(
                self._sap_cfg,
                backoffice=dataclasses.replace(
                    self._sap_cfg.backoffice, **s.stock.backoffice(s.seed)
                ),
            )
        self._sap_runner, self.sap_url = await self._serve(
            create_sap_app(self._sap_cfg), self.ports["sap"], "fakesap"
        )
        shop_cfg = ShopConfig(seed=s.seed, prices_include_tax=s.prices_include_tax)
        if s.shop_mode == "magento":
            assert self.broker_url is not None
            shop_cfg = dataclasses.replace(shop_cfg, magento=True, mqtt_url=self.broker_url)
        self._shop_runner, self.shop_url = await self._serve(
            create_shop_app(shop_cfg), self.ports["shop"], "fakeshop"
        )

        if s.bridge_instances > 1:
            names = instance_names(s.bridge_instances)
            for i, name in enumerate(names):
                self.ports[f"bridge_{name}"] = (
                    free_port() if s.port_base is None else s.port_base + 9 + i
                )
            self.store_schema = RunSchema(postgres_url(s.postgres_url), run_schema_name())
            try:
                await self.store_schema.create()
            except Exception as exc:
                raise StackError(
                    f"cannot create the run's schema in PostgreSQL: {type(exc).__name__}: {exc}"
                ) from None
        await self._start_proxy()
        self.env = self._bridge_env()
        if not s.no_bridge:
            await self.start_bridge()
        if s.bridge_instances > 1 and not s.no_bridge:
            await self._start_balancer()
        if s.shop_mode == "woo":
            await self._subscribe_webhooks()
        if s.shop_chaos:
            await self._admin("PUT", f"{self.shop_url}/__admin/chaos", s.shop_chaos)
        for rule in s.sap_fault_rules:
            await self._admin("POST", f"{self.sap_url}/__admin/faults", rule)
        log.info(
            "stack started",
            sap=self.sap_url,
            shop=self.shop_url,
            bridge_port=self.env.bridge_port,
            run_dir=str(self.run_dir),
        )

    async def _start_proxy(self) -> None:
        s = self.settings
        upstreams = {
            "bridge_to_sap": self.sap_url.removeprefix("http://"),
            "bridge_to_shop": self.shop_url.removeprefix("http://"),
            "shop_to_bridge": f"127.0.0.1:{self.ports['bridge']}",
        }
        if self.broker_url is not None:
            b = urlsplit(self.broker_url)
            upstreams["bridge_to_broker"] = f"{b.hostname}:{b.port or 1883}"
        if self.store_schema is not None:
            for name in self._instance_names():
                upstreams[store_link(name)] = postgres_address(self.store_schema.url)
        if not s.proxy:
            self.links = dict(upstreams)
            return
        try:
            self.proxy = await self._exit.enter_async_context(
                toxiproxy(s.toxiproxy_url, port=self.ports["proxy_api"], seed=s.seed)
            )
        except OSError as exc:
            raise StackError(
                f"the proxy API cannot listen on port {self.ports['proxy_api']}: {exc.strerror}"
            ) from None
        for name, upstream in upstreams.items():
            created = await self.proxy.create(
                name, upstream, listen=f"127.0.0.1:{self.ports.get(name, 0)}"
            )
            self.links[name] = str(created["listen"])

    def _delivery_url(self) -> str:
        s = self.settings
        template = s.bridge_url or (
            REFERENCE_BRIDGE_URL if s.bridge_cmd is None and not s.no_bridge else DEFAULT_BRIDGE_URL
        )
        url = template.replace("{bridge_port}", str(self.ports["bridge"]))
        parts = urlsplit(url)
        direct = {f"127.0.0.1:{self.ports['bridge']}", f"localhost:{self.ports['bridge']}"}
        if self.proxy is not None and parts.netloc in direct:
            url = urlunsplit(parts._replace(netloc=self.links["shop_to_bridge"]))
        return url

    def _bridge_env(self) -> BridgeEnv:
        assert self._sap_cfg is not None
        company = self._sap_cfg.companies[0]
        user, password = next(iter(company.users.items()))
        mqtt = self.links.get("bridge_to_broker")
        return BridgeEnv(
            bridge_port=self.ports["bridge"],
            bridge_url=self._delivery_url(),
            sap_url=f"http://{self.links['bridge_to_sap']}/b1s/v1",
            sap_company=company.db,
            sap_user=user,
            sap_password=password,
            shop_url=f"http://{self.links['bridge_to_shop']}",
            shop_key=defaults.SHOP_KEY,
            shop_secret=defaults.SHOP_SECRET,
            webhook_secret=self.settings.webhook_secret,
            card_code=defaults.SAP_CARD_CODE,
            mqtt_url=f"mqtt://{mqtt}" if mqtt else defaults.MQTT_URL,
            state_dir=self.run_dir / "bridge-state",
            store_dsn=self.settings.store_dsn or "",
        )

    def _roles(self) -> tuple[str, ...]:
        if self.settings.shop_mode != "magento":
            return ("ingress", "worker", "poller")
        import bridge.config as bc

        magento = getattr(bc, "DEFAULT_ROLES", {}).get(
            "magento", ("worker", "subscriber", "relay", "poller")
        )
        # the ingress serves /healthz on the bridge port (the harness's readiness check)
        return ("ingress", *(r for r in magento if r != "ingress"))

    def _bridge_settings(self) -> dict[str, Any]:
        """The reference bridge's tuning for this run (in-process config or TOML file)."""
        s = self.settings
        return {
            "workers": s.workers,
            "sap_total_timeout_s": s.sap_total_timeout_s,
            "lease_s": s.lease_s,
            "roles": self._roles(),
            **(s.stock.bridge_settings() if s.stock is not None else {}),
            **s.bridge_overrides,
        }

    async def stop(self) -> None:
        if self.balancer is not None:  # its record ends before the instances stop
            with contextlib.suppress(Exception):
                (self.run_dir / "balancer.json").write_text(
                    json.dumps(self.balancer.stats(), indent=2) + "\n"
                )
            await self.balancer.stop()
            self.balancer = None
        with contextlib.suppress(Exception):
            await self._stop_bridge()
        if self.store_schema is not None:
            with contextlib.suppress(Exception):
                await self.store_schema.drop()
        await self._exit.aclose()
        self.proxy = None
        for runner in (self._shop_runner, self._sap_runner):
            if runner is not None:
                await runner.cleanup()
        self._shop_runner = self._sap_runner = None
        if self.broker_proc is not None:
            await self.broker_proc.stop()
        if self._http is not None:
            await self._http.close()
            self._http = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    async def _serve(self, app: web.Application, port: int, what: str) -> tuple[web.AppRunner, str]:
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
        await runner.setup()
        try:
            await web.TCPSite(runner, "127.0.0.1", port).start()
        except OSError as exc:
            await runner.cleanup()
            raise StackError(f"{what} cannot listen on 127.0.0.1:{port}: {exc.strerror}") from None
        return runner, f"http://127.0.0.1:{port}"

    # -- the bridge ------------------------------------------------------------------
    def _bridge_config_file(self) -> Path:
        """The scenario's tuning for the reference bridge as a ``bridge serve --config``
        file; every bridge command also gets its path as ``SAPCHAOS_BRIDGE_CONFIG`` (the
        variable of that flag), so ``--bridge-cmd 'sapchaos bridge serve'`` runs with the
        scenario's roles and intervals, and a foreign bridge simply ignores it."""
        conf = self.run_dir / "bridge.toml"
        conf.write_text(_bridge_toml(self._bridge_settings()))
        return conf

    def _bridge_command(self) -> str:
        s = self.settings
        if s.bridge_cmd is not None:
            return s.bridge_cmd
        conf = self._bridge_config_file()
        cmd = f"{REFERENCE_BRIDGE_CMD} --config {_literal(str(conf))} --seed {s.seed}"
        if s.store_dsn is not None:
            cmd += f" --store {_literal(s.store_dsn)}"
        return cmd

    async def start_bridge(self) -> None:
        """Start the bridge (again): a child process, or the in-process reference bridge."""
        s = self.settings
        assert self.env is not None
        if s.no_bridge:
            raise StackError("this stack runs no bridge (no_bridge)")
        if s.bridge_instances > 1:
            for name in self._instance_names():
                await self.start_instance(name)
            return
        if s.runs_bridge_as_process():
            if self.bridge_proc is None:
                self.bridge_proc = BridgeProcess(
                    self._bridge_command(),
                    self.env,
                    self.bridge_log,
                    ready_timeout_s=s.ready_timeout_s,
                    extra_env={"SAPCHAOS_BRIDGE_CONFIG": str(self._bridge_config_file())},
                )
            await self.bridge_proc.start()
            return
        if self.bridge is not None:
            raise StackError("the in-process bridge is already running")
        cfg = self._in_process_config()
        self.bridge = BridgeRuntime(cfg, seed=s.seed)
        await self.bridge.start()

    def _in_process_config(self) -> BridgeConfig:
        if self._bridge_cfg is not None:
            return self._bridge_cfg
        s, env = self.settings, self.env
        assert env is not None
        dsn = s.store_dsn or f"sqlite:///{env.state_dir / 'bridge.sqlite'}"
        env.state_dir.mkdir(parents=True, exist_ok=True)
        self._bridge_cfg = BridgeConfig(
            store_dsn=dsn,
            sap_base_url=env.sap_url,
            sap_company=env.sap_company,
            sap_user=env.sap_user,
            sap_password=env.sap_password,
            shop_base_url=env.shop_url,
            shop_consumer_key=env.shop_key,
            shop_consumer_secret=env.shop_secret,
            webhook_secrets=(env.webhook_secret,),
            webhook_delivery_url=env.bridge_url,
            guest_card_code=env.card_code,
            mqtt_url=env.mqtt_url,
            host="127.0.0.1",
            port=env.bridge_port,
            sap_total_timeout_s=s.sap_total_timeout_s,
            lease_s=s.lease_s,
        ).replace(**self._bridge_settings())
        return self._bridge_cfg

    # -- several instances ------------------------------------------------------------
    async def _start_balancer(self) -> None:
        s = self.settings
        upstreams = [(n, f"127.0.0.1:{self.ports[f'bridge_{n}']}") for n in self._instance_names()]
        if s.balancer_kind == "nginx":
            self.balancer = NginxBalancer(
                upstreams, port=self.ports["bridge"], workdir=self.run_dir / "nginx"
            )
            try:
                await self.balancer.start()
            except NginxError as exc:
                self.balancer = None
                raise StackError(str(exc)) from None
            return
        self.balancer = Balancer(upstreams, port=self.ports["bridge"], settings=s.balancer)
        await self.balancer.start()

    def _instance_names(self) -> tuple[str, ...]:
        n = self.settings.bridge_instances
        return instance_names(n) if n > 1 else ()

    def instance_store_dsn(self, name: str) -> str:
        """Instance ``name``'s store: the run's schema through its ``bridge_<name>_to_store``
        link."""
        assert self.store_schema is not None
        return instance_dsn(
            self.store_schema.url, self.links[store_link(name)], self.store_schema.name
        )

    def _instance_process(self, name: str) -> BridgeProcess:
        proc = self.bridge_procs.get(name)
        if proc is not None:
            return proc
        if not self._instance_names():
            raise StackError(f"no bridge instance {name!r}: needs stack.bridge_instances > 1")
        if name not in self._instance_names():
            raise StackError(
                f"no bridge instance {name!r}; this run has {', '.join(self._instance_names())}"
            )
        assert self.env is not None
        s = self.settings
        env = dataclasses.replace(
            self.env,
            bridge_port=self.ports[f"bridge_{name}"],
            state_dir=self.run_dir / f"bridge-state-{name}",
            store_dsn=self.instance_store_dsn(name),
        )
        dsn = _literal(env.store_dsn)
        conf = self._bridge_config_file()
        if s.bridge_cmd is not None:  # a foreign bridge gets its store as {store_dsn}
            cmd = s.bridge_cmd
        else:
            cmd = (
                f"{REFERENCE_BRIDGE_CMD} --config {_literal(str(conf))} --seed {s.seed}"
                f" --store {dsn}"
            )
        proc = BridgeProcess(
            cmd,
            env,
            self.run_dir / f"bridge-{name}.log",
            ready_timeout_s=s.ready_timeout_s,
            extra_env={"SAPCHAOS_BRIDGE_CONFIG": str(conf)},
        )
        self.bridge_procs[name] = proc
        return proc

    async def start_instance(self, name: str) -> None:
        """Start instance ``name`` (again) unless it runs."""
        proc = self._instance_process(name)
        if not proc.running:
            await proc.start()

    async def kill_instance(self, name: str) -> None:
        """``kill -9`` instance ``name`` (the others keep running)."""
        await self._instance_process(name).kill()

    async def kill_bridge(self) -> None:
        """``kill -9`` the bridge (a child process only: nothing of it runs its cleanup);
        with several instances, every one of them."""
        if self.bridge_procs:
            for proc in self.bridge_procs.values():
                await proc.kill()
            return
        if self.bridge_proc is None:
            raise StackError(
                "kill_bridge needs the bridge as a child process (bridge_process=True)"
            )
        await self.bridge_proc.kill()

    async def restart_bridge(self) -> None:
        """``kill -9`` and start again on the same store (in-process: a graceful restart)."""
        if self.bridge_proc is not None:
            await self.bridge_proc.restart()
            return
        if self.bridge_procs:
            await self.kill_bridge()
            await self.start_bridge()
            return
        await self._stop_bridge()
        await self.start_bridge()

    async def stop_bridge(self) -> None:
        """A supervisor's stop (``SIGTERM``, then ``SIGKILL`` after a grace period)."""
        await self._stop_bridge()

    async def _stop_bridge(self) -> None:
        for proc in self.bridge_procs.values():
            await proc.stop()
        if self.bridge_proc is not None:
            await self.bridge_proc.stop()
        if self.bridge is not None:
            await self.bridge.stop()
            self.bridge = None

    # -- SAP and broker faults ---------------------------------------------------------
    async def restart_sap(self) -> None:
        """Restart fakesap on the same port with its persisted documents, as a Service Layer
        restart does: every session is gone (clients get 401 and log in again), open
        connections are reset, documents stay. Installed fault rules are put back."""
        if not self.settings.sap_persist:
            raise StackError("restart_sap needs sap_persist=True (documents survive a restart)")
        assert self._sap_runner is not None and self._sap_cfg is not None
        rules = (await self._admin("GET", f"{self.sap_url}/__admin/faults")).get("rules", [])
        for r in rules:
            rid = str(r.get("id"))
            self._fired_before_restart[rid] = self._fired_before_restart.get(rid, 0) + int(
                r.get("fired", 0) or 0
            )
        await self._sap_runner.cleanup()
        self._sap_runner = None
        cfg = dataclasses.replace(self._sap_cfg, faults=FaultsConfig(seed=self.settings.seed))
        self._sap_runner, _ = await self._serve(create_sap_app(cfg), self.ports["sap"], "fakesap")
        from fakesap.faults.rules import RULE_FIELDS

        for r in rules:
            await self._admin(
                "POST",
                f"{self.sap_url}/__admin/faults",
                {k: v for k, v in r.items() if k in RULE_FIELDS},
            )

    def _need_broker(self) -> BrokerProcess:
        if self.broker_proc is None:
            raise StackError("broker faults need the run's own broker (broker='own')")
        return self.broker_proc

    async def kill_broker(self) -> None:
        """``kill -9`` mosquitto: unsaved sessions and queued messages are lost."""
        await self._need_broker().kill()

    async def stop_broker(self) -> None:
        """Stop mosquitto cleanly (it saves its persistence file)."""
        await self._need_broker().stop()

    async def start_broker(self) -> None:
        await self._need_broker().start()

    async def _subscribe_webhooks(self) -> None:
        """Create the webhooks through the shop's REST API, as a shop admin would."""
        assert self.env is not None
        async with WooClient(self.shop_url, defaults.SHOP_KEY, defaults.SHOP_SECRET) as woo:
            for topic in self.settings.topics:
                await woo.request(
                    "POST",
                    "webhooks",
                    {
                        "name": f"sapchaos bridge {topic}",
                        "topic": topic,
                        "delivery_url": self.env.bridge_url,
                        "secret": self.settings.webhook_secret,
                        "status": "active",
                    },
                )

    # -- driving and observing ------------------------------------------------------
    async def _admin(self, method: str, url: str, body: Any = None) -> Any:
        assert self._http is not None
        async with self._http.request(method, url, json=body) as resp:
            data = await resp.json(content_type=None)
            if resp.status >= 400:
                raise StackError(f"{method} {url} → {resp.status}: {data}")
            return data

    async def generate_orders(self, count: int) -> None:
        await self._admin("POST", f"{self.shop_url}/__admin/orders/generate", {"count": count})

    async def histories(self) -> Histories:
        orders = await self._admin("GET", f"{self.shop_url}/__admin/orders")
        received = await self._admin("GET", f"{self.shop_url}/__admin/received")
        deliveries = await self._admin("GET", f"{self.shop_url}/__admin/deliveries")
        docs = await self._admin("GET", f"{self.sap_url}/__admin/documents")
        webhooks = await self._admin("GET", f"{self.shop_url}/__admin/webhooks")
        stock: dict[str, Any] = {}
        if self.settings.stock is not None:
            items, products = await stock_truth(
                self.settings.stock, self._sap_items, self._shop_products
            )
            stock = {
                "sap_items": items,
                "shop_products": products,
                "stock_rule": self.settings.stock.rule(),
            }
        return Histories(
            shop_orders=orders["orders"],
            shop_received=received["received"],
            sap_documents=docs["documents"],
            deliveries=deliveries["deliveries"],
            webhooks=webhooks["webhooks"],
            **stock,
        )

    def _sap_items(self) -> list[dict[str, Any]]:
        """fakesap's items with their warehouse info, read from the emulator itself (its
        ground truth: no session, no fault rule, no proxy in the way), as JSON."""
        from fakesap.http.keys import FAKESAP_KEY

        assert self._sap_runner is not None
        state = self._sap_runner.app[FAKESAP_KEY]
        return _plain(state.list_entities("Items"))

    def _shop_products(self) -> list[dict[str, Any]]:
        """fakeshop's products (``stock_quantity``, ``manage_stock``, ``sku``) from the
        emulator itself, as JSON."""
        from fakeshop.context import FAKESHOP_KEY

        assert self._shop_runner is not None
        shop = self._shop_runner.app[FAKESHOP_KEY]
        return _plain(sorted(shop.state.products.values(), key=lambda p: int(p["id"])))

    async def fault_history(self) -> list[dict[str, Any]]:
        """fakesap's fault rules with how often each fired (summed over SAP restarts)."""
        data = await self._admin("GET", f"{self.sap_url}/__admin/faults")
        rules = [dict(r) for r in data.get("rules", [])]
        for r in rules:
            r["fired"] = int(r.get("fired", 0) or 0) + self._fired_before_restart.get(
                str(r.get("id")), 0
            )
        return rules

    async def counters(self) -> dict[str, int]:
        """``{"orders", "in_sap", "acknowledged"}`` from the ground truth, reading only what
        changed since the last call (two counter requests, plus the new records)."""
        return await self.progress.read(self._admin, self.shop_url, self.sap_url)

    async def wait_quiescent(
        self,
        expected_orders: int,
        timeout_s: float = 120.0,
        quiet_s: float | None = None,
        progress: Callable[[int, int], None] | None = None,
        *,
        poll_s: float = 0.1,
        settle_s: float = 0.3,
    ) -> bool:
        """Wait until every order is acknowledged, or nothing moves any more
        (``scenarios.quiescence.wait_quiescent``; ``quiet_s`` defaults to the settings')."""
        return await wait_quiescent(
            self.counters,
            self.progress,
            expected_orders,
            timeout_s=timeout_s,
            quiet_s=self.settings.quiet_s if quiet_s is None else quiet_s,
            progress=progress,
            poll_s=poll_s,
            settle_s=settle_s,
        )


def _plain(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A JSON copy (decimals as strings), safe from later changes in the emulator."""
    return list(json.loads(json.dumps(rows, default=str)))


def _literal(text: str) -> str:
    """A value for a command template: shell-quoted, braces doubled (no placeholders)."""
    return shlex.quote(text).replace("{", "{{").replace("}", "}}")


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} to TOML")


def _bridge_toml(settings: dict[str, Any]) -> str:
    """A ``[bridge]`` table (nested policies as sub-tables) for ``bridge serve --config``."""
    flat = [
        f"{k} = {_toml_value(v)}" for k, v in settings.items() if not _is_table(v) and v is not None
    ]
    out = ["[bridge]", *flat]
    for k, v in settings.items():
        if _is_table(v):
            table = dict(v) if isinstance(v, dict) else dataclasses.asdict(v)
            out.append(f"\n[bridge.{k}]")
            out.extend(f"{kk} = {_toml_value(vv)}" for kk, vv in table.items())
    return "\n".join(out) + "\n"


def _is_table(value: Any) -> bool:
    return isinstance(value, dict) or (
        dataclasses.is_dataclass(value) and not isinstance(value, type)
    )
