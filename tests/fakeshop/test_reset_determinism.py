"""``/__admin/reset`` gives a shop that generates the same orders as a new one.

The pytest plugin resets fakeshop before each test; without reseeding, what a test's
generated orders contain would depend on which tests ran before it.
"""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from fakeshop.app import create_app
from fakeshop.config import ShopConfig


def _shape(order: dict[str, Any]) -> tuple[Any, ...]:
    return (
        order["id"],
        order["total"],
        order["total_tax"],
        tuple((li["sku"], li["quantity"], li["total"]) for li in order["line_items"]),
        order["billing"].get("email"),
    )


async def _generate(client: TestClient, n: int) -> list[tuple[Any, ...]]:
    resp = await client.post("/__admin/orders/generate", json={"count": n})
    assert resp.status < 300, await resp.text()
    data = await (await client.get("/__admin/orders")).json()
    return [_shape(rec["order"]) for rec in data["orders"]]


async def test_reset_regenerates_the_same_orders() -> None:
    async with TestClient(TestServer(create_app(ShopConfig(seed=7)))) as client:
        first = await _generate(client, 5)
        assert (await client.post("/__admin/reset")).status == 200
        again = await _generate(client, 5)
    assert again == first
