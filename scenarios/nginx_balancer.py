"""The shipped nginx recipe (``deploy/nginx.conf``) run for real in front of the instances.

``stack.balancer = "nginx"`` puts the very file operators deploy between the shop and the
bridge instances instead of the embedded ``scenarios.balancer``: its ``upstream`` block is
rewritten to the run's instances (one ``server`` line each, with the recipe's
``max_fails``/``fail_timeout``) and its ``listen`` to the run's bridge port; everything
else — retries on the next instance, timeouts, keepalive — is the recipe's. nginx runs in
the foreground as a child process with its prefix, pid file and error log in the run
folder. Open-source nginx has no counters per upstream, so ``stats()`` names the instances
only (the embedded balancer's ``balancer.json`` has the counters).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
import signal
from pathlib import Path
from typing import Any

#: the recipe the operators deploy
RECIPE = Path(__file__).resolve().parents[1] / "deploy" / "nginx.conf"

_SERVER = re.compile(r"^(\s*)server\s+bridge-[a-z]+:\d+(\s[^;]*)?;\s*$", re.MULTILINE)
_LISTEN = re.compile(r"^(\s*)listen\s+8090;", re.MULTILINE)


class NginxError(RuntimeError):
    """nginx is missing or did not start (one line, with its error log's tail)."""


def render(recipe: str, upstreams: list[tuple[str, str]], port: int) -> str:
    """``recipe`` with its ``server bridge-…`` lines replaced by one per upstream (keeping
    the first line's parameters) and ``listen 8090`` by ``listen 127.0.0.1:port``."""
    servers = list(_SERVER.finditer(recipe))
    if not servers or not _LISTEN.search(recipe):
        raise NginxError(f"{RECIPE}: no 'server bridge-…' lines or 'listen 8090;' to rewrite")
    indent, params = servers[0].group(1), servers[0].group(2) or ""
    lines = "\n".join(f"{indent}server {address}{params};" for _n, address in upstreams)
    start, end = servers[0].start(), servers[-1].end()
    body = recipe[:start] + lines + recipe[end:]
    return _LISTEN.sub(lambda m: f"{m.group(1)}listen 127.0.0.1:{port};", body, count=1)


def find_nginx() -> str | None:
    """The nginx binary: on PATH, or Debian's ``/usr/sbin/nginx`` (not on a user's PATH)."""
    found = shutil.which("nginx")
    if found is None and Path("/usr/sbin/nginx").exists():
        found = "/usr/sbin/nginx"
    return found


class NginxBalancer:
    """``deploy/nginx.conf`` as a child process; the same handles as ``Balancer``."""

    def __init__(self, upstreams: list[tuple[str, str]], *, port: int, workdir: Path) -> None:
        if not upstreams:
            raise ValueError("a balancer needs at least one upstream")
        self.upstreams = upstreams
        self.port = port
        self.workdir = Path(workdir)
        self._proc: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        binary = find_nginx()
        if binary is None:
            raise NginxError(
                "stack.balancer = 'nginx' needs the nginx binary on PATH "
                "(apt-get install nginx), or use the embedded balancer"
            )
        self.workdir.mkdir(parents=True, exist_ok=True)
        conf = self.workdir / "nginx.conf"
        conf.write_text(render(RECIPE.read_text("utf-8"), self.upstreams, self.port))
        log = self.workdir / "error.log"
        with log.open("ab") as out:
            self._proc = await asyncio.create_subprocess_exec(
                binary,
                "-c",
                str(conf),
                "-p",
                f"{self.workdir}/",
                "-g",
                f"daemon off; pid {self.workdir}/nginx.pid;",
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )
        for _ in range(200):  # 10 s
            if self._proc.returncode is not None:
                tail = log.read_text("utf-8", errors="replace").strip().splitlines()[-3:]
                raise NginxError(f"nginx exited with {self._proc.returncode}: {' | '.join(tail)}")
            with contextlib.suppress(OSError):
                _r, w = await asyncio.open_connection("127.0.0.1", self.port)
                w.close()
                return
            await asyncio.sleep(0.05)
        await self.stop()
        raise NginxError(f"nginx did not listen on 127.0.0.1:{self.port} within 10 s")

    async def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.returncode is not None:
            return
        proc.send_signal(signal.SIGQUIT)  # graceful: finish the requests in flight
        try:
            await asyncio.wait_for(proc.wait(), 5)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()

    def stats(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "kind": "nginx",
            "config": str(self.workdir / "nginx.conf"),
            "instances": [{"name": n, "address": a} for n, a in self.upstreams],
        }
