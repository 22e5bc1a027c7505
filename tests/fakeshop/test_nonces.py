"""OAuth nonces: refused while inside the window, forgotten by whole timestamp buckets once
outside it — the memory no longer grows with every request ever signed (issue 18)."""

from __future__ import annotations

import asyncio

import woocommerce

from fakeshop.nonces import NonceCache
from tests.fakeshop.conftest import CK, CS, ShopHandle


def test_reuse_inside_window_is_refused() -> None:
    cache = NonceCache(900)
    assert cache.use("a", 1000, 1000)
    assert not cache.use("a", 1000, 1001)
    assert not cache.use("a", 1500, 1800)  # same nonce, other timestamp, still remembered


def test_expired_buckets_are_dropped_without_a_scan() -> None:
    cache = NonceCache(900)
    for second in range(1000, 1100):
        for i in range(50):
            assert cache.use(f"n{second}-{i}", second, second)
    assert len(cache) == 5000
    cache.expire(1000 + 900 + 50)  # buckets 1000..1049 fall out of the window
    assert len(cache) == 2500 and "n1049-0" not in cache and "n1050-0" in cache
    assert len(cache._buckets) == 50 and len(cache._oldest) == 50
    assert cache.use("n1049-0", 1960, 1960)  # forgotten, so usable again


async def test_official_client_requests_keep_nonce_memory_bounded(shop: ShopHandle) -> None:
    state = shop.shop.state
    api = woocommerce.API(url=shop.url("/"), consumer_key=CK, consumer_secret=CS, version="wc/v3")
    clock = {"now": state.now()}
    state.clock = lambda: clock["now"]

    def calls() -> list[int]:
        return [api.get("orders", params={"per_page": 1}).status_code for _ in range(3)]

    assert await asyncio.to_thread(calls) == [200, 200, 200]
    cache = state.nonces[CK]
    assert len(cache) == 3
    clock["now"] += 16 * 60  # the signed timestamps are now outside the 15-minute window
    cache.expire(int(clock["now"]))
    assert len(cache) == 0
