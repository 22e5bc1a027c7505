"""The objects one fakeshop app holds, bundled so handlers get them from one typed key."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from fakeshop.chaos.engine import DeliveryEngine
from fakeshop.store import ShopState

if TYPE_CHECKING:
    from fakeshop.lifecycle_runner import LifecycleRunner
    from fakeshop.load import LoadController
    from fakeshop.magento.publisher import MagentoPublisher


@dataclass
class Shop:
    state: ShopState
    engine: DeliveryEngine
    runner: LifecycleRunner
    load: LoadController
    magento: MagentoPublisher | None = None
    extras: dict[str, Any] = field(default_factory=dict)


FAKESHOP_KEY: web.AppKey[Shop] = web.AppKey("fakeshop", Shop)
