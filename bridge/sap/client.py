"""Service Layer client: one aiohttp session, B1SESSION/ROUTEID cookies, re-login on 401.

Real SL deployments limit sessions per user, so the client logs in once and reuses the
session; it keeps the ``ROUTEID`` cookie so a clustered SL keeps routing it to the node
that knows the session, re-logs in once when a 401 says the session timed out, bounds
concurrency with a semaphore and applies connect and total timeouts to every call.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import quote

import aiohttp

from bridge.jsonwire import dumps
from bridge.retry import parse_retry_after
from bridge.sap.errors import (
    DEFAULT_DUPLICATE_MARKERS,
    Ambiguous,
    SLFailure,
    Transient,
    classify_status,
    odata_quote,
)
from sapchaos.logs import correlation_id, get_logger

log = get_logger("bridge.sap")

SESSION_COOKIES = ("B1SESSION", "ROUTEID")


@dataclass
class SLCall:
    """One finished call, for the audit trail."""

    method: str
    resource: str
    status: int | None
    duration_ms: float
    outcome: str
    error: str | None = None


@dataclass
class ServiceLayerClient:
    """Async Service Layer client. ``base_url`` ends with the service root (``…/b1s/v1``)."""

    base_url: str
    company: str
    user: str
    password: str = field(repr=False)
    connect_timeout_s: float = 5.0
    total_timeout_s: float = 30.0
    concurrency: int = 8
    on_call: Callable[[SLCall], None] | None = None
    clock: Callable[[], float] = time.monotonic
    #: SL codes / message fragments of the site's uniqueness refusal (``DuplicateRefused``)
    duplicate_markers: tuple[str, ...] = DEFAULT_DUPLICATE_MARKERS
    #: aiohttp ``ssl=``: True verifies certificates (``bridge.tls.client_ssl`` decides)
    ssl: Any = field(default=True, repr=False)
    _session: aiohttp.ClientSession | None = field(default=None, init=False, repr=False)
    _cookies: dict[str, str] = field(default_factory=dict, init=False, repr=False)
    _login_lock: asyncio.Lock = field(default_factory=asyncio.Lock, init=False, repr=False)
    _generation: int = field(default=0, init=False, repr=False)
    _sem: asyncio.Semaphore | None = field(default=None, init=False, repr=False)
    logins: int = field(default=0, init=False)

    async def __aenter__(self) -> ServiceLayerClient:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def start(self) -> None:
        if self._session is None:
            timeout = aiohttp.ClientTimeout(
                total=self.total_timeout_s, sock_connect=self.connect_timeout_s
            )
            # cookies are handled by hand: an IP host and a Secure cookie over plain http
            # would make a standard jar drop B1SESSION silently
            self._session = aiohttp.ClientSession(
                timeout=timeout,
                cookie_jar=aiohttp.DummyCookieJar(),
                connector=aiohttp.TCPConnector(limit=self.concurrency * 2, ssl=self.ssl),
            )
            self._sem = asyncio.Semaphore(self.concurrency)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def root(self) -> str:
        return self.base_url.rstrip("/")

    def _remember_cookies(self, resp: aiohttp.ClientResponse) -> None:
        for raw in resp.headers.getall("Set-Cookie", []):
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(raw)
            except Exception:  # a malformed cookie from a gateway must not break the call
                continue
            for name, morsel in jar.items():
                if name in SESSION_COOKIES:
                    self._cookies[name] = morsel.value

    def _cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self._cookies.items())

    async def login(self) -> None:
        """``POST /Login``; remembers ``B1SESSION`` (and ``ROUTEID`` when a cluster sets one)."""
        body = {"CompanyDB": self.company, "UserName": self.user, "Password": self.password}
        self._cookies.clear()
        status, data, _ = await self._send("POST", "Login", body, None, {}, wrote=False)
        if status != 200:
            raise classify_status(status, data, wrote=False)
        if "B1SESSION" not in self._cookies and isinstance(data, dict) and data.get("SessionId"):
            self._cookies["B1SESSION"] = str(data["SessionId"])
        self._generation += 1
        self.logins += 1
        log.info("sl_login", generation=self._generation)

    async def _ensure_login(self, seen_generation: int | None) -> None:
        async with self._login_lock:
            # another task may have logged in already while we waited
            if "B1SESSION" in self._cookies and (
                seen_generation is None or self._generation != seen_generation
            ):
                return
            await self.login()

    async def logout(self) -> None:
        if "B1SESSION" in self._cookies:
            with contextlib.suppress(SLFailure):
                await self._send("POST", "Logout", None, None, {}, wrote=False)
            self._cookies.clear()

    async def _send(
        self,
        method: str,
        resource: str,
        body: Any,
        params: dict[str, str] | None,
        headers: dict[str, str],
        *,
        wrote: bool,
    ) -> tuple[int, Any, dict[str, str]]:
        """One HTTP exchange. Transport failures are classified here; statuses are returned."""
        await self.start()
        assert self._session is not None and self._sem is not None
        url = f"{self.root}/{resource}"
        if params:
            url += "?" + "&".join(f"{k}={quote(v, safe=',()$')}" for k, v in params.items())
        hdrs = dict(headers)
        cid = correlation_id.get()
        if cid is not None:  # the order this call is for, as the bridge's logs name it
            hdrs["X-Correlation-ID"] = cid
        if self._cookies:
            hdrs["Cookie"] = self._cookie_header()
        data = None
        if body is not None:
            data = dumps(body).encode("utf-8")
            hdrs["Content-Type"] = "application/json"
        started = self.clock()
        status: int | None = None
        outcome = "ok"
        error: str | None = None
        try:
            async with self._sem:
                sent = False
                try:
                    async with self._session.request(method, url, data=data, headers=hdrs) as resp:
                        sent = True
                        status = resp.status
                        self._remember_cookies(resp)
                        raw = await resp.read()
                        out_headers = {k: v for k, v in resp.headers.items()}
                except aiohttp.ClientConnectorError as exc:
                    outcome, error = "transient", f"connect failed: {exc}"
                    raise Transient(error) from exc
                except TimeoutError as exc:
                    cls = Ambiguous if wrote else Transient
                    outcome, error = cls.kind, "timeout"
                    raise cls(f"timeout after {self.clock() - started:.1f}s") from exc
                except (aiohttp.ClientError, OSError) as exc:
                    cls = Ambiguous if (wrote and not (status and status < 500)) else Transient
                    outcome, error = cls.kind, f"{type(exc).__name__}: {exc}"
                    raise cls(error) from exc
            _ = sent
            parsed: Any
            try:
                parsed = json.loads(raw) if raw.strip() else None
            except ValueError:
                if 200 <= (status or 0) < 300:
                    outcome, error = ("ambiguous" if wrote else "transient"), "malformed body"
                    cls2 = Ambiguous if wrote else Transient
                    raise cls2(f"malformed {status} body from SL") from None
                parsed = raw.decode("utf-8", "replace")
            if status >= 400:
                outcome = "error"
                error = str(parsed)[:300]
            return status, parsed, out_headers
        finally:
            if self.on_call is not None and resource not in ("Login", "Logout"):
                self.on_call(
                    SLCall(
                        method, resource, status, (self.clock() - started) * 1000, outcome, error
                    )
                )

    async def request(
        self,
        method: str,
        resource: str,
        body: Any = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any, dict[str, str]]:
        """Call the SL with the session; re-login once on 401. Non-2xx raise a classified failure."""
        wrote = method.upper() not in ("GET", "HEAD")
        for attempt in (1, 2):
            generation = self._generation
            if "B1SESSION" not in self._cookies:
                await self._ensure_login(None)
                generation = self._generation
            status, data, hdrs = await self._send(
                method, resource, body, params, headers or {}, wrote=wrote
            )
            if status == 401 and attempt == 1:
                # session timed out or a cluster node lost it: log in afresh, once
                await self._ensure_login(generation)
                continue
            if status >= 400:
                now = time.time()
                raise classify_status(
                    status,
                    data,
                    wrote=wrote,
                    retry_after_s=parse_retry_after(hdrs.get("Retry-After"), now),
                    duplicate_markers=self.duplicate_markers,
                )
            return status, data, hdrs
        raise Transient("401 after a fresh login", 401)  # pragma: no cover - loop returns

    # -- document helpers -------------------------------------------------------------

    async def create(self, entity_set: str, document: dict[str, Any]) -> dict[str, Any]:
        _, data, _ = await self.request("POST", entity_set, document)
        return data if isinstance(data, dict) else {}

    async def get(
        self, entity_set: str, key: int | str, select: str | None = None
    ) -> dict[str, Any]:
        params = {"$select": select} if select else None
        _, data, _ = await self.request("GET", f"{entity_set}({_key(key)})", params=params)
        return data if isinstance(data, dict) else {}

    async def patch(self, entity_set: str, key: int | str, changes: dict[str, Any]) -> None:
        await self.request("PATCH", f"{entity_set}({_key(key)})", changes)

    async def action(self, entity_set: str, key: int | str, action: str) -> None:
        """``POST Orders(123)/Cancel`` and friends (204, no body)."""
        await self.request("POST", f"{entity_set}({_key(key)})/{action}")

    async def query(
        self,
        entity_set: str,
        filter_: str | None = None,
        select: str | None = None,
        orderby: str | None = None,
        top: int | None = None,
        max_pages: int = 50,
        page_size: int | None = None,
    ) -> list[dict[str, Any]]:
        """GET a collection, following ``odata.nextLink``/``@odata.nextLink`` pages
        (``page_size`` asks for bigger pages with ``Prefer: odata.maxpagesize``)."""
        params: dict[str, str] = {}
        if filter_:
            params["$filter"] = filter_
        if select:
            params["$select"] = select
        if orderby:
            params["$orderby"] = orderby
        if top is not None:
            params["$top"] = str(top)
        out: list[dict[str, Any]] = []
        resource: str | None = entity_set
        page_params: dict[str, str] | None = params
        for _ in range(max_pages):
            if resource is None:
                break
            prefer = {"Prefer": f"odata.maxpagesize={page_size}"} if page_size else None
            _, data, _ = await self.request("GET", resource, params=page_params, headers=prefer)
            if not isinstance(data, dict):
                break
            out.extend(v for v in data.get("value", []) if isinstance(v, dict))
            nxt = data.get("odata.nextLink") or data.get("@odata.nextLink")
            if not nxt or (top is not None and len(out) >= top):
                break
            resource, page_params = _next_link(str(nxt), self.root)
        return out

    async def find_by_udf(
        self, entity_set: str, udf: str, value: str, select: str | None = None
    ) -> list[dict[str, Any]]:
        """Look an idempotency key up: ``$filter=U_IdemKey eq '...'`` (quotes escaped)."""
        return await self.query(entity_set, f"{udf} eq {odata_quote(value)}", select=select)


def _key(key: int | str) -> str:
    return str(key) if isinstance(key, int) else odata_quote(key)


def _next_link(link: str, root: str) -> tuple[str, dict[str, str] | None]:
    """Turn a nextLink (relative to the service root, or absolute) into resource + no params."""
    if link.startswith("http"):
        idx = link.find("/b1s/")
        link = link[idx:] if idx >= 0 else link
        parts = link.split("/", 4)
        link = parts[4] if len(parts) > 4 else link
    elif link.startswith("/b1s/"):
        parts = link.split("/", 3)
        link = parts[3] if len(parts) > 3 else link
    return link, None
