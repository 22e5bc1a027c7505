"""``sapchaos_stack``: the session's fakesap, fakeshop and proxy wired to a fresh bridge
under test for one test — the way ``sapchaos up --bridge-cmd`` wires a team's bridge.

The emulators and the proxy live for the session and are reset before each test; the
bridge is started per test on a new port with a new state directory (its store would
otherwise remember the previous test's order ids, which the reset shop hands out again).
Links go through the proxy: ``shop_to_bridge`` (webhooks), ``bridge_to_sap`` and
``bridge_to_shop``, so ``stack.proxy.cut("bridge_to_sap")`` partitions the bridge from SAP
exactly as a network fault would.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from pathlib import Path
from typing import Any

from sapchaos import defaults
from sapchaos.net import free_port
from sapchaos.testing.bridges import Bridge, RunningBridge, new_state_dir, running_bridge
from sapchaos.testing.clients import FakeSapClient, FakeShopClient, ProxyClient
from sapchaos.testing.servers import ServerThread
from sapchaos.testing.verdict import StackVerdict
from scenarios.bridge_process import BridgeEnv, log_tail
from scenarios.broker_process import BrokerProcess
from scenarios.oracle import Histories, judge
from scenarios.oracle.contract import Contract
from scenarios.oracle.fetch import fetch_histories

#: the proxied links of a stack (plus ``bridge_to_broker`` when a test asks for a broker)
LINKS = ("bridge_to_sap", "bridge_to_shop", "shop_to_bridge")
#: "none": the session's broker URL, direct; "shared": it, through the proxy; "own": a
#: private mosquitto per test, through the proxy
BROKERS = ("none", "shared", "own")


def ensure_links(proxy: ProxyClient, sap_url: str, shop_url: str) -> None:
    """Create the stack's links once per session (kept across the per-test proxy reset).
    ``shop_to_bridge`` points nowhere useful until a test's bridge takes its port."""
    if all(name in proxy.links for name in LINKS):
        return
    upstreams = {
        "bridge_to_sap": sap_url.removeprefix("http://"),
        "bridge_to_shop": shop_url.removeprefix("http://"),
        "shop_to_bridge": f"127.0.0.1:{free_port()}",
    }
    for name, upstream in upstreams.items():
        if name not in proxy.links:
            proxy.create(name, upstream)
    proxy.keep(*LINKS)


class Stack:
    """One test's stack. Use the emulator clients for ground truth and levers, ``proxy``
    for network faults, ``bridge_*`` for process faults, ``verdict()`` for the oracle."""

    def __init__(
        self,
        thread: ServerThread,
        fakesap: FakeSapClient,
        fakeshop: FakeShopClient,
        proxy: ProxyClient,
        bridge: Bridge,
        *,
        seed: int = 1,
        mqtt_url: str = defaults.MQTT_URL,
        broker: str = "none",
        contract: Contract | None = None,
    ) -> None:
        self.thread = thread
        self.fakesap = fakesap
        self.fakeshop = fakeshop
        self.proxy = proxy
        self.bridge_spec = bridge
        self.seed = seed
        self.contract = contract or Contract()
        self.state_dir: Path = new_state_dir()
        try:
            self._wire(proxy, fakesap, fakeshop, bridge, seed, mqtt_url, broker)
        except BaseException:
            shutil.rmtree(self.state_dir, ignore_errors=True)
            raise

    def _wire(
        self,
        proxy: ProxyClient,
        fakesap: FakeSapClient,
        fakeshop: FakeShopClient,
        bridge: Bridge,
        seed: int,
        mqtt_url: str,
        broker: str,
    ) -> None:
        ensure_links(proxy, fakesap.admin_url, fakeshop.url)
        if broker not in BROKERS:
            raise ValueError(f"broker must be one of {', '.join(BROKERS)}, not {broker!r}")
        #: "own": a private mosquitto the test may kill -9 (``kill_broker()``)
        self.broker: BrokerProcess | None = None
        if broker == "own":
            self.broker = BrokerProcess(self.state_dir / "broker", free_port())
            mqtt_url = self.broker.url
        if broker != "none":  # the bridge reaches the broker through the proxy
            target = mqtt_url.removeprefix("mqtt://")
            if "bridge_to_broker" in proxy.links:
                self.thread.call(
                    "POST", f"{proxy.url}/proxies/bridge_to_broker", {"upstream": target}
                )
            else:
                proxy.create("bridge_to_broker", target)
                proxy.keep("bridge_to_broker")
            mqtt_url = f"mqtt://{proxy.links['bridge_to_broker']}"
        self.bridge_port = free_port()
        links = proxy.links
        self.env = BridgeEnv(
            bridge_port=self.bridge_port,
            bridge_url=f"http://{links['shop_to_bridge']}{bridge.webhook_path}",
            sap_url=f"http://{links['bridge_to_sap']}/b1s/v1",
            sap_company=fakesap.company,
            sap_user=fakesap.user,
            sap_password=fakesap.password,
            shop_url=f"http://{links['bridge_to_shop']}",
            shop_key=fakeshop.key,
            shop_secret=fakeshop.secret,
            webhook_secret=fakeshop.webhook_secret,
            card_code=fakesap.card_code,
            mqtt_url=mqtt_url,
            state_dir=self.state_dir,
        )
        self.bridge: RunningBridge = running_bridge(bridge, self.env, seed)

    # -- lifecycle (called by the fixture) -------------------------------------------------
    def start(self) -> None:
        """Point ``shop_to_bridge`` at the new port, start the bridge, subscribe webhooks."""
        self.thread.call(
            "POST",
            f"{self.proxy.url}/proxies/shop_to_bridge",
            {"upstream": f"127.0.0.1:{self.bridge_port}"},
        )
        if self.broker is not None:
            self.thread.run(self.broker.start())
        self.thread.run(self.bridge.start(), timeout=self.bridge_spec.ready_timeout_s + 30)
        self.fakeshop.subscribe(self.env.bridge_url, self.bridge_spec.topics)

    def close(self) -> None:
        """Stop the bridge (kill if it does not stop) and remove its state directory."""
        try:
            if self.thread.alive:
                try:
                    self.thread.run(self.bridge.stop(), timeout=30)
                except Exception:
                    self.thread.run(self.bridge.kill(), timeout=30)
                finally:
                    if self.broker is not None:
                        self.thread.run(self.broker.kill(), timeout=30)
        finally:
            shutil.rmtree(self.state_dir, ignore_errors=True)

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of a command bridge's log ('' for in-process bridges)."""
        return log_tail(self.state_dir / "bridge.log", lines)

    # -- process faults ------------------------------------------------------------------
    def kill_bridge(self) -> None:
        """``kill -9`` a command bridge's process group (in-process bridges: stop)."""
        self.thread.run(self.bridge.kill())

    def start_bridge(self) -> None:
        self.thread.run(self.bridge.start(), timeout=self.bridge_spec.ready_timeout_s + 30)

    def restart_bridge(self) -> None:
        self.thread.run(self.bridge.restart(), timeout=self.bridge_spec.ready_timeout_s + 30)

    def _own_broker(self) -> BrokerProcess:
        if self.broker is None:
            raise RuntimeError(
                'this stack has no broker of its own: mark the test @pytest.mark.sapchaos_broker("own")'
            )
        return self.broker

    def kill_broker(self) -> None:
        """``kill -9`` the test's own mosquitto (state since its last save is lost)."""
        self.thread.run(self._own_broker().kill())

    def stop_broker(self) -> None:
        """Stop it cleanly (it saves its sessions and queued messages)."""
        self.thread.run(self._own_broker().stop())

    def start_broker(self) -> None:
        self.thread.run(self._own_broker().start())

    # -- load ----------------------------------------------------------------------------
    def create_orders(self, count: int = 1, **kw: Any) -> list[int]:
        """``count`` seeded orders in the shop (webhooks fire); see ``fakeshop.generate``."""
        return self.fakeshop.generate(count, **kw)

    # -- observing -----------------------------------------------------------------------
    def histories(self) -> Histories:
        """The ground truth the oracle reads (never the bridge's own account)."""
        return self.thread.run(self._histories())

    async def _histories(self) -> Histories:
        return await fetch_histories(
            self.fakeshop.url, self.fakesap.admin_url, http=await self.thread.http()
        )

    def verdict(self) -> StackVerdict:
        """Judge the ground truth now (call ``wait_quiescent`` first)."""
        return StackVerdict(judge(self.histories(), self.contract), self.seed)

    def wait_quiescent(self, timeout: float = 60.0, quiet_s: float = 3.0) -> bool:
        """Wait until the oracle's verdict passes and stays so, or the ground truth stops
        changing for ``quiet_s`` (then the verdict will say what is missing), or
        ``timeout`` seconds pass. True when the verdict passed.

        Judged from the emulators only, so it works for any bridge; a bridge that backs
        off longer than ``quiet_s`` during a fault needs a larger ``quiet_s``.
        """
        return self.thread.run(self._wait_quiescent(timeout, quiet_s), timeout=timeout + 60)

    async def _wait_quiescent(self, timeout: float, quiet_s: float) -> bool:
        deadline = time.monotonic() + timeout
        last: tuple[int, ...] | None = None
        changed_at = time.monotonic()
        passed_at: float | None = None
        settle_s = 0.3
        while True:
            h = await self._histories()
            fingerprint = (
                len(h.shop_orders),
                len(h.shop_received),
                len(h.deliveries),
                len(h.sap_documents),
                sum(len(o.get("history") or []) for o in h.shop_orders),
            )
            now = time.monotonic()
            if fingerprint != last:
                last, changed_at, passed_at = fingerprint, now, None
            pending = await self._pending_deliveries()
            if pending == 0 and h.shop_orders and judge(h, self.contract).passed:
                passed_at = passed_at or now
                if now - passed_at >= settle_s:
                    return True
            elif pending == 0 and now - changed_at >= quiet_s and await self._bridge_idle():
                return False
            if now >= deadline:
                return False
            await asyncio.sleep(0.1)

    async def _pending_deliveries(self) -> int:
        drained = await self.thread.acall("POST", f"{self.fakeshop.url}/__admin/drain?timeout_s=0")
        return int(drained.get("pending", 0))

    async def _bridge_idle(self) -> bool:
        runtime = getattr(self.bridge, "runtime", None)
        if runtime is None:
            return True  # a foreign bridge: silence is all we can see
        return bool(await runtime.wait_idle(timeout_s=0.2, settle_s=0.1))
