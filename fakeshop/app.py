"""The fakeshop aiohttp app: WooCommerce REST v3, webhook delivery engine, lifecycle and
load drivers, optional Magento mode, ground truth under ``/__admin/``."""

from __future__ import annotations

import random
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from functools import partial
from typing import Any

from aiohttp import web

from fakeshop import admin
from fakeshop.chaos.engine import DeliveryEngine
from fakeshop.chaos.profiles import profile
from fakeshop.config import ShopConfig
from fakeshop.context import FAKESHOP_KEY, Shop
from fakeshop.customers import register_guest
from fakeshop.lifecycle_runner import Applier, LifecycleRunner, MixFactory, Planner
from fakeshop.load import LoadController
from fakeshop.rest.index import add_index_routes
from fakeshop.rest.routes import add_routes, wp_rest_middleware
from fakeshop.store import Clock, OrderFactory, ShopState
from sapchaos.catalog import Catalog, load_catalog

__all__ = ["FAKESHOP_KEY", "SeededOrderFactory", "Shop", "create_app", "generator_factory"]


class SeededOrderFactory:
    """Orders from the seeded generator (``fakeshop.generator``), with the store options
    (prices incl. tax, time zone, home URL) the shop itself uses. ``next_item_id`` is the
    shop's order-item sequence (refund items draw from it too); ``register_customer``
    creates the accounts of guests who sign up at checkout. ``reseed()`` (called by
    ``/__admin/reset``) starts the sequence again, so a reset shop generates the same
    orders as a new one."""

    def __init__(
        self,
        catalog: Catalog,
        config: ShopConfig,
        next_item_id: Callable[[], int] | None = None,
        register_customer: Callable[[dict[str, Any], dict[str, Any]], int] | None = None,
    ) -> None:
        self.catalog = catalog
        self.config = config
        self.next_item_id = next_item_id
        self.register_customer = register_customer
        self._gen: Any = None

    def reseed(self) -> None:
        self._gen = None

    def __call__(self, order_id: int, now: datetime) -> dict[str, Any]:
        if self._gen is None:
            from fakeshop.generator import GeneratorSettings, OrderGenerator

            config, catalog = self.config, self.catalog
            incl = config.prices_include_tax
            settings = GeneratorSettings(
                prices_include_tax=catalog.prices_include_tax if incl is None else incl,
                utc_offset_hours=config.utc_offset_hours,
                home_url=config.home_url or "http://127.0.0.1/",
            )
            self._gen = OrderGenerator(
                catalog,
                random.Random(config.seed),
                settings,
                next_item_id=self.next_item_id,
                register_customer=self.register_customer,
            )
        order: dict[str, Any] = self._gen.new_order(order_id, now)
        return order


def generator_factory(
    catalog: Catalog,
    config: ShopConfig,
    next_item_id: Callable[[], int] | None = None,
    register_customer: Callable[[dict[str, Any], dict[str, Any]], int] | None = None,
) -> OrderFactory:
    """The shop's default order factory (a ``SeededOrderFactory``)."""
    return SeededOrderFactory(catalog, config, next_item_id, register_customer)


def _no_factory(order_id: int, now: datetime) -> dict[str, Any]:
    raise RuntimeError("order factory not set")


def create_app(
    config: ShopConfig | None = None,
    *,
    catalog: Catalog | None = None,
    order_factory: OrderFactory | None = None,
    lifecycle: tuple[Planner, Applier, MixFactory] | None = None,
    clock: Clock = time.time,
    lifecycle_time_scale: float = 1.0,
) -> web.Application:
    """Build the app; tests inject ``order_factory``/``lifecycle``/``clock`` as needed."""
    config = config or ShopConfig()
    catalog = catalog or load_catalog(config.catalog_path)
    state = ShopState(config, catalog, order_factory or _no_factory, clock)
    if order_factory is None:
        state.order_factory = generator_factory(
            catalog, config, state.next_item_id, partial(register_guest, state)
        )
    settings = profile(config.chaos_profile)
    engine = DeliveryEngine(state, settings, config.seed)
    runner = LifecycleRunner(state, config.seed, lifecycle, lifecycle_time_scale)
    shop = Shop(state=state, engine=engine, runner=runner, load=LoadController(state, runner))
    shop.extras["chaos_profile"] = config.chaos_profile
    middlewares: list[Any] = [wp_rest_middleware]
    if config.magento:
        from fakeshop.magento.publisher import MagentoPublisher
        from fakeshop.magento.rest import add_routes as add_magento_routes
        from fakeshop.magento.rest import magento_middleware

        shop.magento = MagentoPublisher(state, settings, config.seed)
        middlewares.append(magento_middleware)
    app = web.Application(middlewares=middlewares, client_max_size=config.max_body_bytes * 4)
    app[FAKESHOP_KEY] = shop
    add_routes(app)
    add_index_routes(app)
    admin.add_routes(app)
    if config.magento:
        add_magento_routes(app)
    app.cleanup_ctx.append(_lifespan)
    return app


async def _lifespan(app: web.Application) -> AsyncIterator[None]:
    shop = app[FAKESHOP_KEY]
    await shop.engine.start()
    if shop.magento is not None:
        await shop.magento.start()
    yield
    await shop.load.stop()
    await shop.runner.close()
    await shop.engine.close()
    if shop.magento is not None:
        await shop.magento.close()
