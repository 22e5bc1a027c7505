"""The sapchaos pytest plugin (entry point ``pytest11``: installed with the package, no
conftest needed).

Fixtures, in the spirit of pytest-httpserver's ``httpserver`` (one server per session,
state cleared for each test) and WireMock's JUnit extension:

* ``fakesap`` — a Service Layer emulator (``url``, ``url_v2``, ``company``, ``user``,
  ``password``, ``card_code``, ``item_codes``; ``orders()``, ``faults.add()``, …);
* ``fakeshop`` — a WooCommerce emulator (``url``, ``key``, ``secret``,
  ``webhook_secret``; ``create_order()``, ``generate()``, ``chaos()``, ``notes()``, …);
  Magento mode with ``@pytest.mark.sapchaos_shop("magento")`` or an indirect parameter;
* ``sapchaos_proxy`` — the Toxiproxy-compatible proxy (``cut()``, ``latency()``, …);
* ``sapchaos_stack`` — all three wired to the bridge named by ``sapchaos_bridge``;
* ``run_scenario`` — a catalog scenario or a scenario file against that bridge.

Servers run on a background thread's loop, so sync and async tests use them alike; each
pytest-xdist worker has its own on ports the OS picked. Everything stops at session end,
also after a failed or interrupted test.
"""

from __future__ import annotations

import atexit
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from sapchaos import defaults

if TYPE_CHECKING:  # the plugin loads in every pytest run: import the servers on first use
    from sapchaos.testing.bridges import Bridge, BridgeTarget
    from sapchaos.testing.clients import FakeSapClient, FakeShopClient, ProxyClient
    from sapchaos.testing.servers import Servers
    from sapchaos.testing.stack import Stack

SHOP_MODES = ("woo", "magento")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("sapchaos", "sapchaos emulators and chaos")
    group.addoption(
        "--sapchaos-seed",
        type=int,
        default=1,
        help="seed of the emulators' generators and fault engines (default 1)",
    )
    group.addoption(
        "--sapchaos-mqtt-url",
        default=None,
        help=f"broker for Magento mode and bridge events (default ${defaults.ENV['mqtt_url']} "
        f"or {defaults.MQTT_URL})",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "sapchaos_shop(mode): run the fakeshop fixture as 'woo' (default) or 'magento'",
    )
    config.addinivalue_line(
        "markers",
        "sapchaos_broker(kind): give sapchaos_stack an MQTT broker through the proxy: "
        "'shared' (the session's broker) or 'own' (a private mosquitto the test may kill)",
    )


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the item so a fixture can tell that its test failed."""
    report = yield
    setattr(item, f"_sapchaos_rep_{report.when}", report)
    return report


# ---------------------------------------------------------------------------- session
@pytest.fixture(scope="session")
def sapchaos_servers(pytestconfig: pytest.Config) -> Iterator[Servers]:
    """The session's server thread; emulators and the proxy start on first use."""
    mqtt = pytestconfig.getoption("sapchaos_mqtt_url") or defaults.env_default(
        "mqtt_url", defaults.MQTT_URL
    )
    from sapchaos.testing.servers import Servers

    servers = Servers(seed=pytestconfig.getoption("sapchaos_seed"), mqtt_url=mqtt)
    atexit.register(servers.close)  # a hard exit still closes sockets and children
    try:
        yield servers
    finally:
        atexit.unregister(servers.close)
        servers.close()


@pytest.fixture(scope="session")
def _sapchaos_sap(sapchaos_servers: Servers) -> FakeSapClient:
    from sapchaos.testing.clients import FakeSapClient

    served = sapchaos_servers.fakesap()
    state = sapchaos_servers.sap_state
    rows = state.md.items.items() if state is not None else ()
    # the items an order may use: valid, not frozen, sellable (as the packaged catalog has them)
    items = tuple(
        sorted(
            code
            for code, row in rows
            if row.get("Valid") == "tYES"
            and row.get("Frozen") != "tYES"
            and row.get("SalesItem") == "tYES"
        )
    )
    return FakeSapClient(
        sapchaos_servers.thread, served.url, item_codes=items, seed=sapchaos_servers.seed
    )


@pytest.fixture(scope="session")
def _sapchaos_shops(sapchaos_servers: Servers) -> Iterator[dict[str, FakeShopClient]]:
    clients: dict[str, FakeShopClient] = {}
    yield clients
    for client in clients.values():
        if sapchaos_servers.thread.alive:
            sapchaos_servers.thread.run(client.aclose())


@pytest.fixture(scope="session")
def _sapchaos_proxy(sapchaos_servers: Servers) -> ProxyClient:
    from sapchaos.testing.clients import ProxyClient

    return ProxyClient(sapchaos_servers.thread, sapchaos_servers.toxiproxy().url)


# ---------------------------------------------------------------------------- per test
@pytest.fixture
def fakesap(_sapchaos_sap: FakeSapClient) -> FakeSapClient:
    """A Service Layer emulator with fresh state (documents, sessions, faults, guard)."""
    _sapchaos_sap.reset()
    return _sapchaos_sap


def _shop_mode(request: pytest.FixtureRequest) -> str:
    mode = getattr(request, "param", None)
    if mode is None:
        marker = request.node.get_closest_marker("sapchaos_shop")
        mode = marker.args[0] if marker is not None and marker.args else "woo"
    if mode not in SHOP_MODES:
        raise pytest.UsageError(f"fakeshop mode must be one of {SHOP_MODES}, not {mode!r}")
    return str(mode)


@pytest.fixture
def fakeshop(
    request: pytest.FixtureRequest,
    sapchaos_servers: Servers,
    _sapchaos_shops: dict[str, FakeShopClient],
) -> FakeShopClient:
    """A WooCommerce emulator (or Magento mode) with fresh state and calm delivery."""
    from sapchaos.testing.clients import FakeShopClient

    mode = _shop_mode(request)
    client = _sapchaos_shops.get(mode)
    if client is None:
        served = sapchaos_servers.fakeshop(mode)
        client = FakeShopClient(sapchaos_servers.thread, served.url, mode=mode)
        _sapchaos_shops[mode] = client
    client.reset()
    return client


@pytest.fixture
def sapchaos_proxy(_sapchaos_proxy: ProxyClient) -> Iterator[ProxyClient]:
    """The Toxiproxy-compatible proxy; links enabled and toxic-free before and after."""
    _sapchaos_proxy.reset()
    yield _sapchaos_proxy
    _sapchaos_proxy.reset()


@pytest.fixture
def sapchaos_bridge() -> Bridge | BridgeTarget:
    """The bridge under test: override this fixture to return a shell command with
    ``--bridge-cmd`` placeholders, an aiohttp Application, a factory ``(BridgeEnv) ->
    Application``, or a ``sapchaos.testing.Bridge``. Default: the reference bridge."""
    return None


def _broker_kind(request: pytest.FixtureRequest) -> str:
    marker = request.node.get_closest_marker("sapchaos_broker")
    if marker is None:
        return "none"
    kind = marker.args[0] if marker.args else "own"
    if kind not in ("shared", "own"):
        raise pytest.UsageError(f"sapchaos_broker must be 'shared' or 'own', not {kind!r}")
    return str(kind)


@pytest.fixture
def sapchaos_stack(
    request: pytest.FixtureRequest,
    sapchaos_servers: Servers,
    fakesap: FakeSapClient,
    fakeshop: FakeShopClient,
    sapchaos_proxy: ProxyClient,
    sapchaos_bridge: Bridge | BridgeTarget,
) -> Iterator[Stack]:
    """fakesap + fakeshop + proxy wired to a fresh instance of the bridge under test."""
    from sapchaos.testing.bridges import as_bridge
    from sapchaos.testing.stack import Stack

    stack = Stack(
        sapchaos_servers.thread,
        fakesap,
        fakeshop,
        sapchaos_proxy,
        as_bridge(sapchaos_bridge),
        seed=sapchaos_servers.seed,
        mqtt_url=sapchaos_servers.mqtt_url,
        broker=_broker_kind(request),
    )
    try:
        stack.start()
        yield stack
    finally:
        failed = any(
            getattr(getattr(request.node, f"_sapchaos_rep_{when}", None), "failed", False)
            for when in ("setup", "call")
        )
        tail = stack.log_tail() if failed else ""
        if tail:
            request.node.add_report_section("teardown", "sapchaos bridge log", tail)
        stack.close()


@pytest.fixture
def run_scenario(
    sapchaos_servers: Servers, sapchaos_bridge: Bridge | BridgeTarget, tmp_path: Any
) -> Callable[..., Any]:
    """``run_scenario(name_or_path, seed=…)``: run a catalog scenario or a scenario file
    against the bridge under test (its own stack) and return its verdict."""
    from sapchaos.testing.bridges import as_bridge
    from sapchaos.testing.scenario import ScenarioRunner

    return ScenarioRunner(sapchaos_servers.thread, as_bridge(sapchaos_bridge), tmp_path)
