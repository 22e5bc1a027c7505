"""A private Mosquitto broker as a child process the run may ``kill -9``, stop and start.

The shared broker on 1883 belongs to everybody on the machine, so broker faults need a
broker of their own: this one listens on its own port with its own configuration file and
persistence directory inside the run folder. Like a production Mosquitto it saves its
in-memory state (retained messages, persistent sessions and their queued QoS 1 messages)
on a clean stop and every ``autosave_interval_s``; a ``kill -9`` loses what changed since
the last save, exactly as on a real host.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import time
from pathlib import Path

from scenarios.bridge_process import log_tail

#: Mosquitto's own default autosave interval (``mosquitto.conf(5)``)
AUTOSAVE_INTERVAL_S = 1800


class BrokerError(RuntimeError):
    """The broker could not be started."""


def mosquitto_binary() -> str:
    """The ``mosquitto`` executable (PATH, then /usr/sbin), or a ``BrokerError``."""
    found = shutil.which("mosquitto") or (
        "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None
    )
    if found is None:
        raise BrokerError("mosquitto is not installed (apt-get install mosquitto)")
    return found


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


class BrokerProcess:
    """``await start()`` / ``kill()`` / ``stop()`` / ``start()`` again, on the same port."""

    def __init__(
        self,
        workdir: Path,
        port: int,
        *,
        autosave_interval_s: int = AUTOSAVE_INTERVAL_S,
        ready_timeout_s: float = 10.0,
    ) -> None:
        self.workdir = Path(workdir)
        self.port = port
        self.autosave_interval_s = autosave_interval_s
        self.ready_timeout_s = ready_timeout_s
        self._proc: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / "mosquitto.log"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.returncode is None

    @property
    def exit_code(self) -> int | None:
        return self._proc.returncode if self._proc is not None else None

    def write_config(self) -> Path:
        """The broker's configuration file (listener, anonymous access, persistence, log)."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        lines = [
            f"listener {self.port} 127.0.0.1",
            "allow_anonymous true",
            "persistence true",
            f"persistence_location {self.workdir}/",
            "persistence_file mosquitto.db",
            f"autosave_interval {self.autosave_interval_s}",
            f"log_dest file {self.log_path}",
            "log_type error",
            "log_type warning",
            "log_type notice",
            "log_type information",
        ]
        if os.geteuid() == 0:  # otherwise mosquitto drops to user "mosquitto" and cannot write here
            lines.append("user root")
        conf = self.workdir / "mosquitto.conf"
        conf.write_text("\n".join(lines) + "\n")
        return conf

    async def start(self) -> None:
        """Start mosquitto and return once its port accepts connections."""
        if self.running:
            raise BrokerError(f"broker already running (pid {self.pid})")
        if _port_open(self.port):
            raise BrokerError(f"port {self.port} is already in use; the broker cannot listen")
        conf = self.write_config()
        self._proc = await asyncio.create_subprocess_exec(
            mosquitto_binary(),
            "-c",
            str(conf),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + self.ready_timeout_s
        while not _port_open(self.port):
            code = self._proc.returncode
            if code is not None or time.monotonic() > deadline:
                await self.kill()
                why = f"exited with code {code}" if code is not None else "did not listen in time"
                raise BrokerError(
                    f"mosquitto {why} on port {self.port}. Last lines of {self.log_path}:\n"
                    f"{log_tail(self.log_path)}"
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._proc.wait()), 0.05)

    async def kill(self) -> None:
        """A real ``SIGKILL``: no save, every connection reset."""
        if self._proc is None:
            return
        if self._proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._proc.send_signal(signal.SIGKILL)
        await self._proc.wait()

    async def stop(self, grace_s: float = 5.0) -> None:
        """``SIGTERM``: mosquitto saves its persistence file and exits; ``SIGKILL`` after
        ``grace_s``."""
        if self._proc is None:
            return
        if self._proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._proc.send_signal(signal.SIGTERM)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._proc.wait(), grace_s)
        await self.kill()
