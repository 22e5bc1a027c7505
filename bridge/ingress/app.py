"""The ingress aiohttp application: webhooks, health, ops API and metrics."""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bridge.health import Check, Readiness
from bridge.ingress.deadline import Deadlines
from bridge.ingress.ops import add_ops_routes
from bridge.ingress.refresher import Refresher
from bridge.ingress.webhooks import Ingress, error, handle_webhook
from bridge.metrics import Metrics
from bridge.ops.auth import OpsAuth
from bridge.store.base import Store

INGRESS_KEY: web.AppKey[Ingress] = web.AppKey("ingress", Ingress)
READINESS_KEY: web.AppKey[Readiness] = web.AppKey("readiness", Readiness)
#: default bound on one webhook request (seconds); see ``bounded_by_deadline``
INGRESS_DEADLINE_S = 4.0
#: what ``Retry-After`` says when the instance cannot take a delivery now
RETRY_AFTER_S = 5
#: young-generation threshold while serving (CPython's default is 700)
GC_GEN0_THRESHOLD = 10_000


def tune_gc_for_serving() -> None:
    """A long-lived server's collector settings, as busy Python web services tune them.

    Everything alive once the process has started (modules, compiled validators, the
    catalog) is moved out of the collector's sight (``gc.freeze``, once per process), and
    the young generation is collected less often: under load, the few dozen objects each
    in-flight request holds pushed CPython over its 700-object threshold every couple of
    requests, and most of them are freed by reference counting anyway.
    """
    if gc.get_freeze_count() == 0:
        gc.collect()
        gc.freeze()
    gen0, gen1, gen2 = gc.get_threshold()
    if 0 < gen0 < GC_GEN0_THRESHOLD:
        gc.set_threshold(GC_GEN0_THRESHOLD, gen1, gen2)


def store_readiness(store: Store) -> Readiness:
    """A readiness with the store as its one check (an ingress created without a runtime)."""
    readiness = Readiness()
    readiness.add(Check("store", lambda: store_ping(store)))
    return readiness


async def store_ping(store: Store) -> None:
    """The cheapest round trip the store offers (``ping`` where implemented)."""
    ping = getattr(store, "ping", None)
    if ping is not None:
        await ping()
    else:
        await store.next_run_at()


def unavailable(message: str) -> web.Response:
    """503 in WordPress REST shape with ``Retry-After``: a load balancer may retry the
    delivery on another instance (ingress is idempotent), a sender may retry later."""
    resp = error(503, "store_unavailable", message)
    resp.headers["Retry-After"] = str(RETRY_AFTER_S)
    return resp


def bounded_by_deadline(
    handler: Callable[[web.Request], Awaitable[web.Response]],
    readiness: Readiness,
    deadline_s: float,
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Bound every webhook request: an answer within ``deadline_s`` whatever the store does.

    WooCommerce waits up to 60 s for an answer, holding one of its delivery connections;
    a store that hangs must not hold the shop's connections for that long (they are shared
    with the healthy instances behind the same load balancer). A request cut by the deadline
    gets 503 + ``Retry-After``; whatever it had committed is idempotent on a retry. Any
    503 marks the store check down at once (readiness reacts before its next probe).

    Wraps the webhook route itself rather than being a middleware: no other route pays
    for it, and one timer bounds all requests in flight (``Deadlines``), instead of a
    second task per request as ``asyncio.wait_for`` makes.
    """
    deadlines = Deadlines(deadline_s)

    async def bounded(request: web.Request) -> web.Response:
        try:
            response = await deadlines.run(handler(request))
        except TimeoutError:
            readiness.note_failure("store", f"webhook commit took over {deadline_s:g} s")
            return unavailable(
                f"The delivery could not be stored within {deadline_s:g} s; retry later."
            )
        if response.status == 503:
            readiness.note_failure("store", "webhook commit failed (store unavailable)")
        return response

    return bounded


def create_ingress_app(
    ingress: Ingress,
    refresher: Refresher | None = None,
    extra_stats: Callable[[], dict[str, Any]] | None = None,
    readiness: Readiness | None = None,
    deadline_s: float = INGRESS_DEADLINE_S,
    ops_auth: OpsAuth | None = None,
) -> web.Application:
    """The bridge's HTTP face. ``refresher`` (optional) re-reads orders on ties/stale copies.
    ``readiness``: the runtime's checks (probed by its task); without one, ``/readyz``
    probes the store itself when asked. ``deadline_s`` bounds each webhook request.
    ``ops_auth``: who may use ``/ops`` (without it, nobody: see ``add_ops_routes``);
    ``/livez``, ``/readyz``, ``/healthz`` and ``/metrics`` stay open."""
    ready = readiness if readiness is not None else store_readiness(ingress.store)

    @web.middleware
    async def no_tracebacks(request: web.Request, handler: Any) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPException as exc:
            if exc.status >= 400:
                return error(exc.status, "http_error", exc.reason)
            raise

    app = web.Application(
        middlewares=[no_tracebacks],
        client_max_size=ingress.body_limit + 1,
    )
    app[INGRESS_KEY] = ingress
    app[READINESS_KEY] = ready
    started = time.time()

    if refresher is not None:
        ingress.on_needs_fetch = refresher.request

    async def handle(request: web.Request) -> web.Response:
        return await handle_webhook(ingress, request)

    webhook = bounded_by_deadline(handle, ready, deadline_s)

    async def livez(_request: web.Request) -> web.Response:
        """The process runs and its event loop answers (restart it if this fails)."""
        return web.json_response(
            {"status": "alive", "pid": os.getpid(), "uptime_s": round(time.time() - started, 1)}
        )

    async def readyz(_request: web.Request) -> web.Response:
        """200 when every required check passed its last probe, else 503 (take this
        instance out of the load balancer); the body names each check and its last error."""
        if not ready.running:  # no probing task (an app without a runtime): probe now
            await ready.probe_all(force=True)
        body = ready.report()
        if body["status"] == "ready":
            return web.json_response(body)
        resp = web.json_response(body, status=503)
        resp.headers["Retry-After"] = str(RETRY_AFTER_S)
        return resp

    app.router.add_post("/webhooks/woocommerce", webhook)
    # the harness's default delivery URL for any bridge is the root (sapchaos up,
    # scenario run --bridge-cmd): the same ingress answers there
    app.router.add_post("/", webhook)
    app.router.add_get("/livez", livez)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/healthz", livez)  # the historical name: an alias of /livez
    add_ops_routes(app, ingress.store, ingress.metrics, extra_stats, ops_auth)
    return app


def make_ingress(
    store: Store,
    secrets: tuple[str, ...],
    body_limit: int,
    metrics: Metrics,
    window_ms: float = 3.0,
    max_items: int = 64,
) -> Ingress:
    from bridge.ingress.batcher import GroupCommitter

    committer: GroupCommitter[Any, Any] = GroupCommitter(
        store.accept_many, window_ms / 1000, max_items, metrics.group_size.observe
    )
    return Ingress(store, secrets, body_limit, metrics, committer)
