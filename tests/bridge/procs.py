"""Bridge subprocesses (``python -m bridge serve``) for multi-process and kill -9 tests."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from fakeshop.config import DEFAULT_CONSUMER_KEY, DEFAULT_CONSUMER_SECRET

from .stack import SECRET

ROOT = Path(__file__).resolve().parents[2]


def bridge_env(**extra: Any) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAPCHAOS_BRIDGE_")}
    base = {
        "SAP_COMPANY": "SBODEMOES",
        "SAP_USER": "manager",
        "SAP_PASSWORD": "manager",
        "SAP_CONNECT_TIMEOUT_S": "1",
        "SAP_TOTAL_TIMEOUT_S": "2",
        "LEASE_S": "4",
        "SHOP_CONSUMER_KEY": DEFAULT_CONSUMER_KEY,
        "SHOP_CONSUMER_SECRET": DEFAULT_CONSUMER_SECRET,
        "WEBHOOK_SECRETS": SECRET,
        "WORKERS": "2",
        "BATCH_SIZE": "8",
        "IDLE_POLL_S": "0.05",
        "POLL_INTERVAL_S": "1",
        "RECONCILE_INTERVAL_S": "0",
        "RETRY__BASE_S": "0.05",
        "RETRY__CAP_S": "0.5",
        "RETRY__MAX_ATTEMPTS": "50",
        "BREAKER__OPEN_S": "0.5",
    }
    base.update({k.upper(): str(v) for k, v in extra.items()})
    env.update({f"SAPCHAOS_BRIDGE_{k}": v for k, v in base.items()})
    env["PYTHONPATH"] = str(ROOT)
    return env


@dataclass
class BridgeProc:
    args: list[str]
    env: dict[str, str]
    log_path: Path
    proc: asyncio.subprocess.Process | None = None
    starts: int = 0

    async def start(self) -> None:
        log = self.log_path.open("ab")
        try:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bridge",
                *self.args,
                env=self.env,
                cwd=str(ROOT),
                stdout=log,
                stderr=log,
            )
        finally:
            log.close()
        self.starts += 1

    def kill9(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)

    async def wait(self) -> None:
        if self.proc is not None:
            await self.proc.wait()

    async def terminate(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 10)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()


async def wait_http(url: str, timeout_s: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    async with aiohttp.ClientSession() as http:
        while True:
            try:
                async with http.get(url) as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"{url} did not come up")
            await asyncio.sleep(0.1)
