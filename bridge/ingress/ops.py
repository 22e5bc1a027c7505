"""The ops API on the ingress app: ``bridge.ops`` behind its token check.

Kept as the ingress's entry point (``create_ingress_app`` calls ``add_ops_routes``); the
API, the dashboard, the audit chain and the key figures live in ``bridge.ops``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from bridge.metrics import Metrics
from bridge.ops.auth import OpsAuth
from bridge.ops.routes import add_ops
from bridge.ops.views import dlq_json, quarantine_json
from bridge.store.base import Store

__all__ = ["add_ops_routes", "dlq_json", "quarantine_json"]


def add_ops_routes(
    app: web.Application,
    store: Store,
    metrics: Metrics,
    extra_stats: Callable[[], dict[str, Any]] | None = None,
    auth: OpsAuth | None = None,
) -> None:
    """``/ops`` is never open: an app built without ``auth`` gets freshly generated tokens
    nobody knows (every ``/ops`` request is 401) until it is given real ones."""
    if auth is None:
        from bridge.ops.auth import generate_tokens

        auth = OpsAuth(generate_tokens())
    add_ops(app, store, metrics, auth, extra_stats)
