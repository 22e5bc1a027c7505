"""A private Mosquitto on a free port (a subprocess the test can stop and restart), and a
collecting MQTT consumer with a persistent session that rides through restarts."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import aiomqtt

from sapchaos.net import free_port

MOSQUITTO = "/usr/sbin/mosquitto"


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class PrivateBroker:
    """``start()`` / ``stop()`` / ``start()`` again on the same port.

    Persistence is on (saved on a clean stop) so that the *test consumer's* persistent
    session survives the restart: the relay's behaviour is what is under test, and without
    this, what reaches the consumer would depend on which client reconnects first.
    """

    workdir: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def _config(self) -> Path:
        conf = self.workdir / "mosquitto.conf"
        conf.write_text(
            f"listener {self.port} 127.0.0.1\n"
            "allow_anonymous true\n"
            "user root\n"
            "persistence true\n"
            f"persistence_location {self.workdir}/\n"
            "persistence_file broker.db\n"
            "autosave_interval 1\n"
            f"log_dest file {self.workdir}/mosquitto.log\n"
        )
        return conf

    def start(self, timeout_s: float = 5.0) -> None:
        assert self.proc is None, "already running"
        self.proc = subprocess.Popen(
            [MOSQUITTO, "-c", str(self._config())],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout_s
        while not _port_open(self.port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                log = (self.workdir / "mosquitto.log").read_text(errors="replace")[-2000:]
                self.stop()
                raise RuntimeError(f"mosquitto did not start on {self.port}: {log}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.proc = None


@dataclass
class Collector:
    """Subscribes ``{topic_filter}`` with QoS 1 and a persistent session; keeps every
    message body in arrival order (duplicates included); reconnects every 100 ms."""

    url_host: str
    url_port: int
    topic_filter: str
    client_id: str = field(default_factory=lambda: f"test-collector-{uuid.uuid4().hex[:10]}")
    bodies: list[bytes] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    subscribed: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            try:
                async with aiomqtt.Client(
                    self.url_host,
                    self.url_port,
                    identifier=self.client_id,
                    clean_session=False,
                    timeout=3,
                ) as client:
                    await client.subscribe(self.topic_filter, qos=1)
                    self.subscribed.set()
                    async for message in client.messages:
                        payload = message.payload
                        assert isinstance(payload, bytes)
                        self.bodies.append(payload)
                        self.topics.append(str(message.topic))
            except aiomqtt.MqttError:
                await asyncio.sleep(0.1)

    async def start(self) -> Collector:
        self.task = asyncio.create_task(self._run())
        await asyncio.wait_for(self.subscribed.wait(), 10)
        return self

    async def close(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        # drop the persistent session so nothing stays queued on a shared broker
        with contextlib.suppress(aiomqtt.MqttError):
            async with aiomqtt.Client(
                self.url_host, self.url_port, identifier=self.client_id, clean_session=True
            ):
                pass


async def wait_for(predicate: object, timeout_s: float = 20.0, every_s: float = 0.05) -> None:
    """Poll an async or sync predicate until true; AssertionError on timeout."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()  # type: ignore[operator]
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout_s}s")
        await asyncio.sleep(every_s)
