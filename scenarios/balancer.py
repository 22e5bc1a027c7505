"""A small round-robin HTTP load balancer: the harness's stand-in for ``deploy/nginx.conf``.

When a scenario runs several bridge instances, the shop delivers its webhooks to one
address, as it would in production behind nginx or HAProxy. This balancer does what the
shipped recipes do (``deploy/nginx.conf``, ``deploy/haproxy.cfg``), with no extra binary:

* **round robin** over the instances that are in;
* **retry on the next instance** (nginx ``proxy_next_upstream error timeout http_502
  http_503 http_504 non_idempotent``): a POST whose instance refused the connection, did
  not answer within ``try_timeout_s`` or answered 502/503/504 is sent again, body and
  headers unchanged, to another instance — safe because the bridge's ingress is
  idempotent, and necessary because WooCommerce never retries a failed delivery;
* **passive health** (nginx ``max_fails=1 fail_timeout=5s``): such an instance is skipped
  for ``fail_timeout_s``;
* **active health** (HAProxy ``option httpchk GET /readyz``, ``inter 1s fall 1 rise 1``):
  every ``check_interval_s`` each instance's ``/readyz`` is asked; an answer other than
  200 within ``check_timeout_s`` takes it out until a probe succeeds again.

When no instance is in, every instance is tried anyway (nginx does the same when all
servers are marked failed). When every try fails, the last instance's answer is passed on,
or ``502`` when none answered. Per-instance counters (``stats()``) show who took the
traffic while one instance was sick.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from sapchaos.logs import get_logger

log = get_logger("scenarios.balancer")

#: answers after which a request is sent to the next instance (nginx ``http_50x``)
RETRY_STATUSES = frozenset({502, 503, 504})
#: changes in or out kept per instance (for ``stats()``)
MAX_CHANGES = 500
#: hop-by-hop headers a proxy never forwards (RFC 9110 §7.6.1), plus what aiohttp sets
HOP_HEADERS = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)


@dataclass
class Upstream:
    """One bridge instance behind the balancer and what the balancer knows of it."""

    name: str
    #: ``host:port``
    address: str
    #: the last active ``/readyz`` probe succeeded
    ready: bool = True
    #: passively out (failed a request) until this monotonic time
    failed_until: float = 0.0
    requests: int = 0
    answered: int = 0
    #: tries that failed here and were sent on (refused, timeout, 502/503/504)
    failed: int = 0
    last_error: str | None = None
    #: (monotonic time, event) of every change in or out, for the report
    changes: list[tuple[float, str]] = field(default_factory=list)

    def note(self, event: str) -> None:
        """Record a change (the last ``MAX_CHANGES`` are kept)."""
        self.changes.append((time.monotonic(), event))
        del self.changes[:-MAX_CHANGES]

    def is_in(self, now: float) -> bool:
        return self.ready and now >= self.failed_until

    def to_json(self, now: float, t0: float) -> dict[str, Any]:
        return {
            "name": self.name,
            "address": self.address,
            "in": self.is_in(now),
            "ready": self.ready,
            "requests": self.requests,
            "answered": self.answered,
            "failed": self.failed,
            "last_error": self.last_error,
            "changes": [{"t_s": round(t - t0, 3), "event": e} for t, e in self.changes],
        }


@dataclass
class BalancerSettings:
    """The knobs, with the values of ``deploy/nginx.conf`` / ``deploy/haproxy.cfg``."""

    #: one try's limit (nginx ``proxy_read_timeout 8s``; above the bridge's 4 s deadline)
    try_timeout_s: float = 8.0
    connect_timeout_s: float = 2.0
    #: tries per request (``proxy_next_upstream_tries 3``) and their total budget
    max_tries: int = 3
    total_timeout_s: float = 20.0
    #: passive: an instance that failed a request is skipped this long
    fail_timeout_s: float = 5.0
    #: active: ``/readyz`` every this often, answered within ``check_timeout_s``
    check_interval_s: float = 1.0
    check_timeout_s: float = 1.0
    check_path: str = "/readyz"


class Balancer:
    """``async with Balancer([("a", "127.0.0.1:P"), …], port=0) as lb:`` → ``lb.url``."""

    def __init__(
        self,
        upstreams: list[tuple[str, str]],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        settings: BalancerSettings | None = None,
    ) -> None:
        if not upstreams:
            raise ValueError("a balancer needs at least one upstream")
        self.upstreams = [Upstream(n, a) for n, a in upstreams]
        self.settings = settings or BalancerSettings()
        self.host, self.port = host, port
        self._next = 0
        self._t0 = time.monotonic()
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None
        self._checks: list[asyncio.Task[None]] = []
        #: requests no instance could answer (every try failed)
        self.exhausted = 0

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def __aenter__(self) -> Balancer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        s = self.settings
        self._http = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0, force_close=False),
            auto_decompress=False,
        )
        app = web.Application(client_max_size=2 * 1024 * 1024)  # nginx client_max_body_size 2m
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=0.5
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        if self.port == 0 and server is not None:
            sockets = getattr(server, "sockets", None) or []
            self.port = int(sockets[0].getsockname()[1])
        if s.check_interval_s > 0:
            self._checks = [asyncio.create_task(self._check_loop(u)) for u in self.upstreams]

    async def stop(self) -> None:
        for t in self._checks:
            t.cancel()
        for t in self._checks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        self._checks = []
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._http is not None:
            await self._http.close()
            self._http = None

    # -- health ---------------------------------------------------------------------------
    def _set_ready(self, u: Upstream, ready: bool, why: str | None) -> None:
        if u.ready != ready:
            u.note("ready" if ready else f"not ready: {why}")
            log.info("balancer_check", instance=u.name, ready=ready, reason=why)
        u.ready = ready

    async def check(self, u: Upstream) -> bool:
        """One active probe of ``u`` (``GET /readyz``); updates and returns its state."""
        assert self._http is not None
        s = self.settings
        why: str | None = None
        try:
            async with self._http.get(
                f"http://{u.address}{s.check_path}",
                timeout=aiohttp.ClientTimeout(total=s.check_timeout_s),
            ) as resp:
                await resp.read()
                if resp.status != 200:
                    why = f"{s.check_path} answered {resp.status}"
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            why = f"{s.check_path}: {type(exc).__name__}: {exc}"[:200]
        self._set_ready(u, why is None, why)
        return why is None

    async def _check_loop(self, u: Upstream) -> None:
        while True:
            started = time.monotonic()
            with contextlib.suppress(Exception):
                await self.check(u)
            spent = time.monotonic() - started
            await asyncio.sleep(max(0.0, self.settings.check_interval_s - spent))

    # -- forwarding -----------------------------------------------------------------------
    def order(self) -> list[Upstream]:
        """This request's instances: round robin over those in, then the others."""
        now = time.monotonic()
        n = len(self.upstreams)
        start = self._next % n
        self._next += 1
        rotated = self.upstreams[start:] + self.upstreams[:start]
        return [u for u in rotated if u.is_in(now)] + [u for u in rotated if not u.is_in(now)]

    def _mark_failed(self, u: Upstream, why: str) -> None:
        u.failed += 1
        u.last_error = why[:200]
        u.failed_until = time.monotonic() + self.settings.fail_timeout_s
        u.note(f"failed: {why[:120]}")

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        assert self._http is not None
        s = self.settings
        body = await request.read()  # buffered, so it can be sent again
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_HEADERS}
        headers["X-Forwarded-For"] = request.remote or ""
        deadline = time.monotonic() + s.total_timeout_s
        last: tuple[int, dict[str, str], bytes] | None = None
        tries = 0
        for u in self.order():
            if tries >= s.max_tries or time.monotonic() >= deadline:
                break
            tries += 1
            u.requests += 1
            left = max(0.1, min(s.try_timeout_s, deadline - time.monotonic()))
            try:
                async with self._http.request(
                    request.method,
                    f"http://{u.address}{request.rel_url}",
                    data=body,
                    headers=headers,
                    allow_redirects=False,
                    timeout=aiohttp.ClientTimeout(total=left, sock_connect=s.connect_timeout_s),
                ) as resp:
                    payload = await resp.read()
                    out_headers = {
                        k: v for k, v in resp.headers.items() if k.lower() not in HOP_HEADERS
                    }
                    status = resp.status
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                self._mark_failed(u, f"{type(exc).__name__}: {exc}")
                continue
            if status in RETRY_STATUSES:
                self._mark_failed(u, f"answered {status}")
                last = (status, out_headers, payload)
                continue
            u.answered += 1
            return web.Response(status=status, headers=out_headers, body=payload)
        self.exhausted += 1
        if last is not None:
            return web.Response(status=last[0], headers=last[1], body=last[2])
        return web.Response(status=502, text="no bridge instance answered\n")

    def stats(self) -> dict[str, Any]:
        """Per-instance counters and state (``answered`` = requests it took)."""
        now = time.monotonic()
        return {
            "url": self.url,
            "exhausted": self.exhausted,
            "instances": [u.to_json(now, self._t0) for u in self.upstreams],
        }
