"""Mount ``/ops`` (API + dashboard, behind ``OpsAuth``) and ``/metrics`` (open) on an app."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bridge.metrics import Metrics
from bridge.ops.api import PRINCIPAL_KEY, add_api_routes
from bridge.ops.auth import OpsAuth, error_json, guard_write, is_write, same_origin
from bridge.ops.dashboard import add_dashboard_routes
from bridge.ops.figures import Figures
from bridge.store.base import Store

FIGURES_KEY: web.AppKey[Figures] = web.AppKey("ops_figures", Figures)
#: pages a browser navigates to: without a session they redirect to the login page
HTML_PREFIXES = ("/ops/ui",)
#: static assets of the dashboard, served without a session (the login page uses them)
PUBLIC_PREFIX = "/ops/static/"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _is_ops(path: str) -> bool:
    return path == "/ops" or path.startswith("/ops/")


def ops_middleware(auth: OpsAuth) -> Any:
    """Every ``/ops`` request is authenticated (401 / login redirect), and every write is
    checked for role, same origin and CSRF token (403) before its handler runs."""

    @web.middleware
    async def guard(request: web.Request, handler: Any) -> web.StreamResponse:
        path = request.path
        if not _is_ops(path):
            return await handler(request)
        if path.startswith(PUBLIC_PREFIX) and request.method == "GET":
            return await handler(request)  # the stylesheet and script: no data in them
        if path == "/ops/login":
            if is_write(request) and not same_origin(request):
                return error_json(403, "cross_site", "Cross-site login refused.")
            return await handler(request)
        principal = auth.authenticate(request)
        if principal is None:
            if path in ("/ops", "/ops/") or path.startswith(HTML_PREFIXES):
                raise web.HTTPFound("/ops/login")
            resp = error_json(
                401, "unauthorized", "An ops token is required (Authorization: Bearer …)."
            )
            resp.headers["WWW-Authenticate"] = 'Bearer realm="sapchaos-ops"'
            return resp
        request[PRINCIPAL_KEY] = principal
        if is_write(request):
            form = await request.post() if request.content_type in FORM_TYPES else None
            refusal = guard_write(auth, request, principal, form)
            if refusal is not None:
                return refusal
        return await handler(request)

    return guard


def add_ops(
    app: web.Application,
    store: Store,
    metrics: Metrics,
    auth: OpsAuth,
    extra_stats: Callable[[], dict[str, Any]] | None = None,
) -> Figures:
    """Add the guard, the API, the dashboard and ``/metrics``; returns the figures."""
    figures = Figures(store, metrics)
    app[FIGURES_KEY] = figures
    app.middlewares.append(ops_middleware(auth))
    add_api_routes(app, store, figures, extra_stats)
    add_dashboard_routes(app, store, auth)

    async def metrics_view(_request: web.Request) -> web.Response:
        await figures.refresh()
        body = generate_latest(metrics.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    app.router.add_get("/metrics", metrics_view)
    return figures


#: what a separate probe listener serves (``metrics_port``): health and metrics, no ``/ops``
PROBE_PATHS = ("/livez", "/readyz", "/healthz", "/metrics")


def probe_app(main: web.Application) -> web.Application:
    """An app with only the main app's health and metrics handlers, for a listener of its
    own (an internal interface or port the monitoring scrapes, apart from the public one)."""
    app = web.Application()
    for route in main.router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        if route.method == "GET" and info.get("path") in PROBE_PATHS:
            app.router.add_get(str(info["path"]), route.handler)
    return app
