"""Amounts and dates keep their exact WooCommerce text after the cheaper formatting:
``wc_format_decimal($v, 2)`` for money, ``Y-m-d\\TH:i:s`` for REST dates."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from fakeshop.generator.settings import wp_dates
from fakeshop.taxes import money_str, round_half_down, round_half_up
from fakeshop.timefmt import wp_gmt, wp_local
from tests.fakeshop.conftest import ShopHandle

WP = "%Y-%m-%dT%H:%M:%S"


def test_money_text() -> None:
    rng = random.Random(11)
    for _ in range(20000):
        value = Decimal(rng.randint(-(10**12), 10**12)).scaleb(-rng.randint(0, 9))
        rounded = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        expected = f"{abs(rounded) if rounded == 0 else rounded:.2f}"
        assert money_str(value) == expected, value
    assert money_str(Decimal("-0.004")) == "0.00"
    assert money_str(Decimal("2.675")) == "2.68"
    assert money_str(Decimal("-2.675")) == "-2.68"
    assert money_str(Decimal("1E+3")) == "1000.00"


def test_rounding_places() -> None:
    assert round_half_up(Decimal("1.005")) == Decimal("1.01")
    assert round_half_down(Decimal("1.005")) == Decimal("1.00")
    assert str(round_half_up(Decimal("1.23456"), 3)) == "1.235"
    assert str(round_half_down(Decimal("1.2345"), 3)) == "1.234"
    assert str(round_half_up(Decimal("7.5"), 0)) == "8"


def test_rest_date_text() -> None:
    rng = random.Random(5)
    lisbon = ZoneInfo("Europe/Lisbon")
    for _ in range(5000):
        ts = rng.uniform(0, 4_102_444_800)
        off = rng.randint(-12, 14)
        utc = datetime.fromtimestamp(int(ts), UTC)
        assert wp_gmt(ts) == utc.strftime(WP)
        assert wp_local(ts, off) == (utc + timedelta(hours=off)).strftime(WP)
        now = datetime.fromtimestamp(ts, UTC)
        assert wp_dates("date_paid", now, lisbon) == {
            "date_paid": now.astimezone(lisbon).strftime(WP),
            "date_paid_gmt": now.strftime(WP),
        }


async def test_get_leaves_the_stored_order_alone(shop: ShopHandle) -> None:
    state = shop.shop.state
    order = state.create_order()
    oid = int(order["id"])
    before = dict(order)
    status, got, _ = await shop.api("GET", f"orders/{oid}")
    assert status == 200 and "_links" in got
    # the response's _links (this request's host) never replace the stored ones
    assert state.orders[oid].order == before
    assert state.orders[oid].order["_links"] is before["_links"]
    got.pop("_links")
    before.pop("_links")
    assert got == before


async def test_batch_results_are_independent_copies(shop: ShopHandle) -> None:
    state = shop.shop.state
    oid = int(state.create_order()["id"])
    status, out, _ = await shop.api(
        "POST",
        "orders/batch",
        json={"update": [{"id": oid, "meta_data": [{"key": "a", "value": "1"}]},
                         {"id": oid, "meta_data": [{"key": "b", "value": "2"}]}]},
    )  # fmt: skip
    assert status == 200
    first, second = out["update"]
    assert {m["key"] for m in first["meta_data"]} >= {"a"}
    assert "b" not in {m["key"] for m in first["meta_data"]}
    assert {m["key"] for m in second["meta_data"]} >= {"a", "b"}
