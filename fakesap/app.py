"""``create_app(config)``: the fakesap aiohttp application.

Middlewares, outermost first: SL error rendering with the request journal, then the
fault engine (installed by ``fakesap.faults``). Routes: ``/b1s/v1`` and ``/b1s/v2`` (one
backend), ``/__admin`` ground truth, and the back office's admin routes.
"""

from __future__ import annotations

from aiohttp import web

from fakesap.admin import add_admin_routes
from fakesap.backend import FakeSap
from fakesap.backoffice import install_backoffice
from fakesap.config import FakeSapConfig
from fakesap.faults import FAULT_KEY, install_faults
from fakesap.http.keys import FAKESAP_KEY
from fakesap.http.middleware import make_sl_middleware
from fakesap.http.ping import add_ping_routes
from fakesap.http.routes import add_sl_routes

__all__ = ["FAKESAP_KEY", "FakeSapConfig", "create_app"]


def create_app(
    config: FakeSapConfig | None = None, *, state: FakeSap | None = None
) -> web.Application:
    """A ready-to-run app; pass ``state`` to share or inspect the backend in tests."""
    config = config or (state.config if state is not None else FakeSapConfig())
    state = state or FakeSap(config)
    app = web.Application(
        client_max_size=config.max_body_bytes,
        middlewares=[make_sl_middleware(state, FAULT_KEY)],
    )
    app[FAKESAP_KEY] = state
    add_ping_routes(app, state)
    add_sl_routes(app, state)
    add_admin_routes(app, state)
    install_faults(app, state, config.faults)
    install_backoffice(app, state, config.backoffice)

    async def close_state(_app: web.Application) -> None:
        state.close()

    app.on_cleanup.append(close_state)
    return app
