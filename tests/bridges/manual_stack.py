"""Run a bridge command against `sapchaos fakesap serve` + `sapchaos fakeshop serve` as child
processes, without the scenario runner: start, register the webhook, create orders, wait
until ground truth stops changing, then judge with `sapchaos oracle judge`.

Used by tests/scenarios/test_oracle_cli.py and for trying a bridge by hand:
    python -m tests.bridges.manual_stack 'python tests/bridges/good_bridge.py' 20
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from sapchaos import defaults
from sapchaos.net import free_port

ROOT = Path(__file__).resolve().parents[2]
SAPCHAOS = str(Path(sys.executable).with_name("sapchaos"))


@dataclass
class ManualStack:
    sap: str
    shop: str
    bridge_port: int
    run_dir: Path

    def admin(self, method: str, url: str, body: object | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read() or b"{}")

    def generate(self, count: int, **extra: object) -> None:
        self.admin("POST", f"{self.shop}/__admin/orders/generate", {"count": count, **extra})

    def counters(self) -> tuple[int, int, int]:
        orders = self.admin("GET", f"{self.shop}/__admin/orders")["orders"]
        docs = self.admin("GET", f"{self.sap}/__admin/documents")["documents"]
        notes = self.admin("GET", f"{self.shop}/__admin/received")["received"]
        return len(orders), len(docs), len(notes)

    def wait_quiet(
        self,
        quiet_s: float = 3.0,
        timeout_s: float = 120.0,
        at_least: tuple[int, int, int] = (0, 0, 0),
    ) -> None:
        """Until (orders, SAP documents, writes back) reach ``at_least`` and stop changing."""
        deadline = time.monotonic() + timeout_s
        last, since = None, time.monotonic()
        while time.monotonic() < deadline:
            now = self.counters()
            if now != last:
                last, since = now, time.monotonic()
            elif time.monotonic() - since >= quiet_s and all(
                a >= b for a, b in zip(now, at_least, strict=True)
            ):
                return
            time.sleep(0.3)

    def judge(self, *extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [SAPCHAOS, "oracle", "judge", "--shop", self.shop, "--sap", self.sap, *extra],
            capture_output=True,
            text=True,
            timeout=120,
        )


def _wait_port(port: int, proc: subprocess.Popen[bytes], what: str, timeout_s: float = 30) -> None:
    import socket

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not listen on {port}")


@contextmanager
def manual_stack(bridge_cmd: str | None, chaos: str = "calm") -> Iterator[ManualStack]:
    run_dir = Path(tempfile.mkdtemp(prefix="h3-stack-"))
    sap_port, shop_port, bridge_port = free_port(), free_port(), free_port()
    procs: list[subprocess.Popen[bytes]] = []
    log = open(run_dir / "processes.log", "ab")  # noqa: SIM115
    try:
        sap = subprocess.Popen(
            [SAPCHAOS, "fakesap", "serve", "--port", str(sap_port)], stdout=log, stderr=log
        )
        procs.append(sap)
        shop = subprocess.Popen(
            [
                SAPCHAOS,
                "fakeshop",
                "serve",
                "--port",
                str(shop_port),
                "--chaos",
                chaos,
                "--seed",
                "1",
            ],
            stdout=log,
            stderr=log,
        )
        procs.append(shop)
        _wait_port(sap_port, sap, "fakesap")
        _wait_port(shop_port, shop, "fakeshop")
        st = ManualStack(
            f"http://127.0.0.1:{sap_port}", f"http://127.0.0.1:{shop_port}", bridge_port, run_dir
        )
        if bridge_cmd:
            env = dict(os.environ)
            env.update(
                {
                    "SAPCHAOS_BRIDGE_PORT": str(bridge_port),
                    "SAPCHAOS_SAP_URL": f"{st.sap}/b1s/v1",
                    "SAPCHAOS_SAP_COMPANY": defaults.SAP_COMPANY,
                    "SAPCHAOS_SAP_USER": defaults.SAP_USER,
                    "SAPCHAOS_SAP_PASSWORD": defaults.SAP_PASSWORD,
                    "SAPCHAOS_CARD_CODE": defaults.SAP_CARD_CODE,
                    "SAPCHAOS_SHOP_URL": st.shop,
                    "SAPCHAOS_SHOP_KEY": defaults.SHOP_KEY,
                    "SAPCHAOS_SHOP_SECRET": defaults.SHOP_SECRET,
                    "SAPCHAOS_WEBHOOK_SECRET": defaults.WEBHOOK_SECRET,
                    "SAPCHAOS_STATE_DIR": str(run_dir / "state"),
                }
            )
            bridge = subprocess.Popen(
                bridge_cmd,
                shell=True,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
            procs.append(bridge)
            _wait_port(bridge_port, bridge, f"bridge ({bridge_cmd})")
            _register_webhook(st)
        yield st
    finally:
        for p in reversed(procs):
            with suppress(ProcessLookupError):
                os.killpg(p.pid, 15) if p is procs[-1] and bridge_cmd else p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        log.close()


def _register_webhook(st: ManualStack) -> None:
    """Create the order webhooks through the shop's REST API, as a shop admin would."""
    import asyncio

    import aiohttp

    from tests.bridges.good_bridge import Shop  # the same OAuth 1.0a signing a client uses

    async def main() -> None:
        async with aiohttp.ClientSession() as http:
            shop = Shop(http, st.shop, defaults.SHOP_KEY, defaults.SHOP_SECRET)
            for topic in ("order.created", "order.updated"):
                await shop.request(
                    "POST",
                    "webhooks",
                    {
                        "name": topic,
                        "topic": topic,
                        "delivery_url": f"http://127.0.0.1:{st.bridge_port}/",
                        "secret": defaults.WEBHOOK_SECRET,
                        "status": "active",
                    },
                )

    asyncio.run(main())


if __name__ == "__main__":
    cmd, n = sys.argv[1], int(sys.argv[2])
    with manual_stack(cmd) as st:
        st.generate(n)
        st.wait_quiet()
        res = st.judge(*sys.argv[3:])
        print(res.stdout, res.stderr)
        print("run dir:", st.run_dir, shlex.quote(cmd))
