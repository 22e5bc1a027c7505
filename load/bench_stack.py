"""The stack of ``sapchaos bench``: fakesap, fakeshop, the bridge (and optionally the proxy
between the bridge and SAP) as separate ``sapchaos … serve`` processes, the way they run
in a deployment — plus the ground-truth reads a benchmark needs (acknowledgements counted
from an incremental cursor, the oracle's verdict at the end, a process's RSS).

A real WooCommerce shop delivers ``order.created`` webhooks to the bridge, which books the
order in SAP Business One through the Service Layer and writes a confirmation note back;
the benchmark observes only what the emulators' ``/__admin`` ground truth records.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sapchaos import defaults
from sapchaos.net import free_port
from scenarios.oracle import Histories, Verdict, judge
from scenarios.oracle.histories import parse_ts

SAPCHAOS = [sys.executable, "-m", "sapchaos.cli", "--log-level", "WARNING"]

#: 20 % of SAP sales-order creates fail with a Service Layer 500/503 body (nothing committed)
FLAKY_CREATES = """description = "bench: 20 % of POST Orders answer 500/503, nothing committed"
[[rules]]
id = "bench-create-5xx"
fault = "http_error"
methods = ["POST"]
entity_set = "Orders"
probability = 0.2
params = { status = [500, 503], style = "sl" }
"""


class BenchError(RuntimeError):
    """A process of the stack did not start, or ground truth could not be read."""


def http_json(method: str, url: str, body: object | None = None, timeout_s: float = 60) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=timeout_s) as resp:
        raw = resp.read()
    return json.loads(raw) if raw else {}


def wait_port(port: int, proc: subprocess.Popen[bytes], what: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"{what} exited with {proc.returncode} before listening")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise BenchError(f"{what} did not listen on port {port} within {timeout_s:.0f} s")


def rss_mb(pid: int) -> float:
    """Resident set size of a process (``VmRSS`` in /proc), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far."""
    parts = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Outcome:
    """What one run left in ground truth, judged by the oracle."""

    verdict: Verdict
    orders: int
    acked: int
    first_created: datetime | None
    last_ack: datetime | None
    ack_times: dict[int, datetime]
    created: dict[int, datetime]

    @property
    def oracle(self) -> str:
        c = self.verdict.counts
        if self.verdict.passed:
            return f"PASS ({c['orders']} orders)"
        failed = [r.name for r in self.verdict.invariants if not r.ok]
        return f"FAIL: {', '.join(failed)} ({c['lost']} lost, {c['duplicates']} duplicated)"

    def rate(self) -> float:
        """Orders acknowledged per second: first order created → last acknowledgement."""
        if not self.first_created or not self.last_ack or not self.acked:
            return 0.0
        span = (self.last_ack - self.first_created).total_seconds()
        return self.acked / span if span > 0 else 0.0


@dataclass
class ProcStack:
    """``sapchaos fakesap serve`` + ``fakeshop serve`` [+ ``proxy serve``] + ``bridge serve``."""

    workdir: Path
    seed: int = 42
    sap_faults: str | None = None
    with_proxy: bool = False
    bridge_roles: str = "ingress,worker,poller"
    bridge_env: dict[str, str] = field(default_factory=dict)
    sap_port: int = field(default_factory=free_port)
    shop_port: int = field(default_factory=free_port)
    bridge_port: int = field(default_factory=free_port)
    proxy_api_port: int = field(default_factory=free_port)
    proxy_sap_port: int = field(default_factory=free_port)
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    _cursor: int = 0
    _received: list[dict[str, Any]] = field(default_factory=list)

    @property
    def sap(self) -> str:
        return f"http://127.0.0.1:{self.sap_port}"

    @property
    def shop(self) -> str:
        return f"http://127.0.0.1:{self.shop_port}"

    @property
    def proxy_api(self) -> str:
        return f"http://127.0.0.1:{self.proxy_api_port}"

    def _spawn(self, name: str, args: list[str], env: dict[str, str] | None = None) -> None:
        log = (self.workdir / f"{name}.log").open("ab")
        try:
            self.procs[name] = subprocess.Popen(
                [*SAPCHAOS, *args],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        finally:
            log.close()

    def start(self) -> ProcStack:
        self.workdir.mkdir(parents=True, exist_ok=True)
        sap_args = ["fakesap", "serve", "--port", str(self.sap_port), "--seed", str(self.seed)]
        if self.sap_faults:
            path = self.workdir / "sap-faults.toml"
            path.write_text(self.sap_faults)
            sap_args += ["--faults", str(path)]
        self._spawn("fakesap", sap_args)
        self._spawn(
            "fakeshop",
            ["fakeshop", "serve", "--port", str(self.shop_port), "--seed", str(self.seed),
             "--chaos", "calm"],
        )  # fmt: skip
        if self.with_proxy:
            self._spawn("proxy", ["proxy", "serve", "--port", str(self.proxy_api_port)])
        wait_port(self.sap_port, self.procs["fakesap"], "fakesap")
        wait_port(self.shop_port, self.procs["fakeshop"], "fakeshop")
        sap_url = self.sap
        if self.with_proxy:
            wait_port(self.proxy_api_port, self.procs["proxy"], "proxy")
            http_json(
                "POST",
                f"{self.proxy_api}/proxies",
                {"name": "sap", "listen": f"127.0.0.1:{self.proxy_sap_port}",
                 "upstream": f"127.0.0.1:{self.sap_port}", "enabled": True},
            )  # fmt: skip
            sap_url = f"http://127.0.0.1:{self.proxy_sap_port}"
        self.start_bridge(sap_url)
        return self

    def start_bridge(self, sap_url: str | None = None, roles: str | None = None) -> None:
        sap_url = sap_url or (
            f"http://127.0.0.1:{self.proxy_sap_port}" if self.with_proxy else self.sap
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("SAPCHAOS_")}
        env.update(self.bridge_env)
        store = f"sqlite:///{self.workdir / 'bridge.sqlite'}"
        self._spawn(
            "bridge",
            ["bridge", "serve", "--port", str(self.bridge_port), "--store", store,
             "--roles", roles or self.bridge_roles, "--sap-url", f"{sap_url}/b1s/v1",
             "--shop-url", self.shop, "--webhook-secret", defaults.WEBHOOK_SECRET],
            env,
        )  # fmt: skip
        wait_port(self.bridge_port, self.procs["bridge"], "bridge")
        sub = subprocess.run(
            [*SAPCHAOS, "bridge", "subscribe", "--shop-url", self.shop, "--delivery-url",
             f"http://127.0.0.1:{self.bridge_port}/webhooks/woocommerce", "--json"],
            capture_output=True, text=True, env=env, timeout=60,
        )  # fmt: skip
        if sub.returncode != 0:
            raise BenchError(f"bridge subscribe failed: {sub.stderr.strip()[-300:]}")

    def stop_bridge(self) -> None:
        proc = self.procs.pop("bridge", None)
        if proc is not None:
            _stop(proc)

    def close(self) -> None:
        for proc in reversed(list(self.procs.values())):
            _stop(proc)
        self.procs.clear()

    # -- the proxy link ----------------------------------------------------------------
    def cut_sap(self, cut: bool) -> None:
        http_json("POST", f"{self.proxy_api}/proxies/sap", {"enabled": not cut})

    # -- orders ------------------------------------------------------------------------
    def generate(self, count: int) -> None:
        left = count
        while left > 0:
            n = min(left, 5000)
            http_json("POST", f"{self.shop}/__admin/orders/generate", {"count": n})
            left -= n

    def steady(self, rate: float, seconds: float) -> None:
        """Orders at a steady rate, created by fakeshop's own load driver (no lifecycle)."""
        http_json(
            "POST",
            f"{self.shop}/__admin/load",
            {"rate": rate, "duration_s": seconds, "lifecycle": False},
        )

    def load_state(self) -> str:
        return str(http_json("GET", f"{self.shop}/__admin/load").get("state"))

    def shop_stats(self) -> dict[str, Any]:
        return dict(http_json("GET", f"{self.shop}/__admin/stats"))

    def acked(self) -> int:
        """Orders acknowledged so far, read through the shop's incremental cursor."""
        got = http_json("GET", f"{self.shop}/__admin/received?since={self._cursor}")
        self._received.extend(got["received"])
        self._cursor = int(got["next"])
        return len(Histories([], self._received, []).confirmation_notes())

    def wait_acked(self, count: int, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.acked() >= count:
                return True
            time.sleep(0.1)
        return False

    def outcome(self) -> Outcome:
        orders = http_json("GET", f"{self.shop}/__admin/orders")["orders"]
        received = http_json("GET", f"{self.shop}/__admin/received")["received"]
        deliveries = http_json("GET", f"{self.shop}/__admin/deliveries")["deliveries"]
        docs = http_json("GET", f"{self.sap}/__admin/documents")["documents"]
        h = Histories(orders, received, docs, deliveries)
        verdict = judge(h)
        acks = {oid: got[0][0] for oid, got in h.confirmation_notes().items() if got}
        created = {int(o["id"]): parse_ts(str(o["created_at"])) for o in orders}
        return Outcome(
            verdict,
            len(orders),
            len(acks),
            min(created.values()) if created else None,
            max(acks.values()) if acks else None,
            acks,
            created,
        )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)
