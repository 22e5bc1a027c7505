"""The ingress aiohttp application: webhooks, health, ops API and metrics."""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any

from aiohttp import web

from bridge.ingress.ops import add_ops_routes
from bridge.ingress.refresher import Refresher
from bridge.ingress.webhooks import Ingress, error, handle_webhook
from bridge.metrics import Metrics
from bridge.store.base import Store

INGRESS_KEY: web.AppKey[Ingress] = web.AppKey("ingress", Ingress)
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


def create_ingress_app(
    ingress: Ingress,
    refresher: Refresher | None = None,
    extra_stats: Callable[[], dict[str, Any]] | None = None,
) -> web.Application:
    """The bridge's HTTP face. ``refresher`` (optional) re-reads orders on ties/stale copies."""

    @web.middleware
    async def no_tracebacks(request: web.Request, handler: Any) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPException as exc:
            if exc.status >= 400:
                return error(exc.status, "http_error", exc.reason)
            raise

    app = web.Application(middlewares=[no_tracebacks], client_max_size=ingress.body_limit + 1)
    app[INGRESS_KEY] = ingress

    if refresher is not None:
        ingress.on_needs_fetch = refresher.request

    async def webhook(request: web.Request) -> web.Response:
        return await handle_webhook(ingress, request)

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app.router.add_post("/webhooks/woocommerce", webhook)
    app.router.add_get("/healthz", healthz)
    add_ops_routes(app, ingress.store, ingress.metrics, extra_stats)
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
