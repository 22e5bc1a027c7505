"""fakesap back office (issue 5): what happens inside SAP after an order is created.

Seam with the core app: ``BackOfficeConfig`` (part of fakesap's config) and
``install_backoffice(app, state, config)``, called by ``fakesap.app.create_app``; it
registers startup/cleanup hooks that run the simulation against the backend's Python API,
and ``/__admin/backoffice`` (log + a manual tick).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from fakesap.backoffice.simulation import BackOffice

#: where ``install_backoffice`` keeps the running simulation
BACKOFFICE_KEY = web.AppKey("fakesap.backoffice", BackOffice)


@dataclass
class BackOfficeConfig:
    """Knobs of the back-office simulation; every duration is in seconds."""

    enabled: bool = False
    seed: int = 0
    tick_s: float = 1.0  # how often the back office looks at open orders
    delay_s: float = 5.0  # a paid open order is delivered once it is this old
    invoice_delay_s: float = 0.0  # the delivery is invoiced this long after it
    deliver_unpaid: bool = False  # deliver open orders without payment facts as well
    partial_deliveries: bool = True  # deliver what stock allows; the rest stays open
    invoice: bool = True  # create the A/R invoice from each delivery
    stock_drift_s: float = 0.0  # 0 = off; otherwise one goods receipt/issue this often
    stock_drift_max_units: int = 5
    callback_url: str | None = None  # POST signed JSON events here when set
    callback_secret: str = ""
    callback_events: tuple[str, ...] = ("order.confirmed", "order.shipped", "order.invoiced")
    callback_retries: int = 5  # attempts per event, the first included
    callback_backoff_s: float = 0.5  # first retry delay; doubles per attempt
    callback_timeout_s: float = 5.0


def install_backoffice(app: web.Application, state: Any, config: BackOfficeConfig) -> BackOffice:
    """Create the simulation, its admin routes, and start/stop hooks (runs only if enabled)."""
    from fakesap.backoffice.admin import add_admin_routes

    office = BackOffice(state, config)
    app[BACKOFFICE_KEY] = office
    add_admin_routes(app, office)

    async def start(app_: web.Application) -> None:
        from fakesap.faults import FAULT_ENGINE_KEY

        office.fault_engine = app_.get(FAULT_ENGINE_KEY)
        await office.start()

    async def stop(_app: web.Application) -> None:
        await office.stop()

    app.on_startup.append(start)
    app.on_cleanup.append(stop)
    return office


__all__ = ["BACKOFFICE_KEY", "BackOffice", "BackOfficeConfig", "install_backoffice"]
