"""The bridge under test as a child process: any command, started, killed and restarted.

A real deployment runs its bridge as a service that a supervisor (systemd, Kubernetes)
starts, sends ``SIGTERM`` to on a deploy and that the kernel's OOM killer or an operator's
``kill -9`` can end at any instruction. This module gives the harness the same handles on
any bridge: the command is a shell string with placeholders (``{sap_url}``,
``{bridge_port}`` …, table A of ``notes/interfaces.md`` and ``docs/stack.md``) whose values
are also exported as ``SAPCHAOS_*`` environment variables; the process runs in its own
process group so ``kill`` reaches every child of the shell (a real ``SIGKILL``); its
stdout and stderr are appended to one log file that survives restarts.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import signal
import string
import sys
import time
from collections import deque
from dataclasses import dataclass, field, fields
from pathlib import Path

from sapchaos import defaults


class BridgeProcessError(RuntimeError):
    """The bridge command could not be started (it exited, or never listened)."""


@dataclass(frozen=True)
class BridgeEnv:
    """Everything a bridge needs to join a harness run (the values behind the placeholders).

    URLs point through the proxy where the run has one, so faults on the links reach the
    bridge exactly as network faults would.
    """

    bridge_port: int
    #: where the shop delivers webhooks (through the proxy)
    bridge_url: str
    #: Service Layer service root, e.g. ``http://127.0.0.1:P/b1s/v1``
    sap_url: str
    sap_company: str
    sap_user: str
    sap_password: str = field(repr=False)  # secret: never in a repr or log
    #: the shop's site URL (REST under ``/wp-json/wc/v3``)
    shop_url: str
    shop_key: str
    shop_secret: str = field(repr=False)  # secret: never in a repr or log
    webhook_secret: str = field(repr=False)  # secret: never in a repr or log
    card_code: str
    mqtt_url: str
    #: a directory that survives the bridge's restarts within one run
    state_dir: Path
    #: the store a bridge that takes a DSN should use: several instances get the run's
    #: shared PostgreSQL schema; one instance, by default, a SQLite file in ``state_dir``
    store_dsn: str = ""

    def placeholders(self) -> dict[str, str]:
        """Placeholder name → value, as text."""
        values = {f.name: str(getattr(self, f.name)) for f in fields(self)}
        if not self.store_dsn:
            values["store_dsn"] = f"sqlite:///{self.state_dir / 'bridge.sqlite'}"
        return values

    def environ(self) -> dict[str, str]:
        """The same values under their ``SAPCHAOS_*`` environment variable names."""
        return {defaults.ENV[name]: value for name, value in self.placeholders().items()}

    #: placeholders whose values are secrets (never logged or printed in a command line)
    SECRETS = ("sap_password", "shop_secret", "webhook_secret")


PLACEHOLDERS: tuple[str, ...] = tuple(f.name for f in fields(BridgeEnv))


def render_command(cmd: str, env: BridgeEnv) -> str:
    """``cmd`` with every ``{name}`` replaced by its value, shell-quoted where needed.

    ``{{`` and ``}}`` are literal braces. An unknown name, an attribute or index access,
    a format spec or an unbalanced brace is a ``ValueError`` naming the culprit.
    """
    values = env.placeholders()
    out: list[str] = []
    try:
        parsed = list(string.Formatter().parse(cmd))
    except ValueError as exc:
        raise ValueError(
            f"bridge command: {exc} (write {{{{ and }}}} for literal braces)"
        ) from None
    for literal, name, spec, conversion in parsed:
        out.append(literal)
        if name is None:
            continue
        if name not in values or spec or conversion:
            shown = (
                "{"
                + name
                + (f"!{conversion}" if conversion else "")
                + (f":{spec}" if spec else "")
                + "}"
            )
            raise ValueError(
                f"bridge command: unknown placeholder {shown}; known: "
                + ", ".join("{" + p + "}" for p in PLACEHOLDERS)
            )
        out.append(shlex.quote(values[name]))
    return "".join(out)


#: the reference bridge (``sapchaos bridge serve``) configured from the placeholders; the
#: secrets reach it through their environment variables (its flags default to them), so
#: they never show in ``ps``. Its store is a SQLite file in the run's state directory.
REFERENCE_BRIDGE_CMD = (
    f"exec {shlex.quote(sys.executable)} -m sapchaos.cli --log-level INFO bridge serve"
    " --host 127.0.0.1 --port {bridge_port}"
    " --sap-url {sap_url} --sap-company {sap_company} --sap-user {sap_user}"
    " --shop-url {shop_url} --shop-key {shop_key}"
    " --card-code {card_code} --mqtt-url {mqtt_url}"
    " --store sqlite:///{state_dir}/bridge.sqlite"
)


def _port_open(port: int, host: str = "127.0.0.1") -> bool:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.2)
        return s.connect_ex((host, port)) == 0


def log_tail(path: Path, lines: int = 20) -> str:
    """The last ``lines`` lines of a log file ('' when it does not exist)."""
    try:
        with path.open("r", encoding="utf-8", errors="replace") as f:
            return "".join(deque(f, maxlen=lines)).rstrip()
    except OSError:
        return ""


class BridgeProcess:
    """One bridge command as a child process group, restartable any number of times."""

    def __init__(
        self,
        cmd: str,
        env: BridgeEnv,
        log_path: Path,
        *,
        ready_timeout_s: float = 30,
        stop_grace_s: float = 10.0,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.cmd = cmd
        self.env = env
        #: more environment for the command (e.g. SAPCHAOS_BRIDGE_CONFIG, the scenario's
        #: tuning for the reference bridge; other bridges ignore it)
        self.extra_env = dict(extra_env or {})
        self.log_path = Path(log_path)
        self.ready_timeout_s = ready_timeout_s
        self.stop_grace_s = stop_grace_s
        self.rendered = render_command(cmd, env)  # fail early on a bad placeholder
        self._proc: asyncio.subprocess.Process | None = None
        #: how many times the command was started (1 after the first start)
        self.starts = 0

    # -- state --------------------------------------------------------------------------
    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.returncode is None

    @property
    def exit_code(self) -> int | None:
        """The last run's exit status (negative: killed by that signal); None while running."""
        return self._proc.returncode if self._proc is not None else None

    # -- actions ------------------------------------------------------------------------
    async def start(self) -> None:
        """Start the command and return once ``bridge_port`` accepts TCP connections."""
        if self.running:
            raise BridgeProcessError(f"bridge already running (pid {self.pid})")
        port = self.env.bridge_port
        if _port_open(port):
            raise BridgeProcessError(
                f"port {port} already accepts connections before the bridge started; "
                "another process listens there"
            )
        self.env.state_dir.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.starts += 1
        with self.log_path.open("ab") as log:
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            log.write(f"--- sapchaos: start #{self.starts} at {stamp}: {self.cmd}\n".encode())
            log.flush()
            self._proc = await asyncio.create_subprocess_shell(
                self.rendered,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
                env={**os.environ, **self.extra_env, **self.env.environ()},
                start_new_session=True,  # own process group: kill reaches the whole tree
            )
        deadline = time.monotonic() + self.ready_timeout_s
        while True:
            proc = self._proc
            if proc.returncode is not None:
                raise BridgeProcessError(self._died_message(proc.returncode))
            if _port_open(port):
                return
            if time.monotonic() > deadline:
                await self.kill()
                raise BridgeProcessError(
                    f"bridge command did not listen on port {port} within "
                    f"{self.ready_timeout_s:g} s; it was killed. Last lines of "
                    f"{self.log_path}:\n{log_tail(self.log_path)}"
                )
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(proc.wait()), 0.05)

    def _died_message(self, code: int) -> str:
        how = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
        return (
            f"bridge command {how} before listening on port {self.env.bridge_port}. "
            f"Last lines of {self.log_path}:\n{log_tail(self.log_path)}"
        )

    def _signal_group(self, sig: signal.Signals) -> None:
        if self._proc is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._proc.pid, sig)

    async def kill(self) -> None:
        """``kill -9`` the whole process group and reap it (no cleanup runs in the bridge)."""
        if self._proc is None:
            return
        self._signal_group(signal.SIGKILL)
        await self._proc.wait()
        self._signal_group(signal.SIGKILL)  # grandchildren that outlived the leader

    async def stop(self) -> None:
        """``SIGTERM`` (a supervisor's stop), then ``SIGKILL`` after ``stop_grace_s``."""
        if self._proc is None:
            return
        if self._proc.returncode is None:
            self._signal_group(signal.SIGTERM)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._proc.wait(), self.stop_grace_s)
        await self.kill()

    async def restart(self) -> None:
        """Kill (``-9``) and start again, on the same port, state directory and log."""
        await self.kill()
        await self.start()
