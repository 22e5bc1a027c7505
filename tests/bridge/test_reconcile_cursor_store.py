"""The reconciler's keyset cursor in the store (both backends): absent at first, saved,
only moved forward, kept across a reopen (a restarted bridge resumes from it)."""

from __future__ import annotations

from bridge.store import ReconcileCursor, Store, open_store


async def test_cursor_moves_forward_only(store: Store) -> None:
    assert await store.get_reconcile_cursor("woocommerce") is None
    first = ReconcileCursor("2026-11-23T20:11:19", 7)
    assert await store.save_reconcile_cursor("woocommerce", first) == first
    # same second, higher id: forward
    second = ReconcileCursor("2026-11-23T20:11:19", 9)
    assert await store.save_reconcile_cursor("woocommerce", second) == second
    # an older cursor (a slower concurrent pass) is ignored
    assert await store.save_reconcile_cursor("woocommerce", first) == second
    assert (
        await store.save_reconcile_cursor("woocommerce", ReconcileCursor("2026-11-23T20:11:18", 99))
        == second
    )
    assert await store.get_reconcile_cursor("woocommerce") == second
    # readers are independent
    assert await store.get_reconcile_cursor("magento") is None
    later = ReconcileCursor("2026-11-23T20:12:00", 1)
    assert await store.save_reconcile_cursor("woocommerce", later) == later
    assert await store.get_reconcile_cursor("woocommerce") == later


async def test_cursor_survives_reopen(store_dsn: str) -> None:
    s = await open_store(store_dsn)
    try:
        await s.save_reconcile_cursor("magento", ReconcileCursor("2026-11-23T20:11:19", 3))
    finally:
        await s.close()
    s = await open_store(store_dsn)
    try:
        assert await s.get_reconcile_cursor("magento") == ReconcileCursor("2026-11-23T20:11:19", 3)
    finally:
        await s.close()
