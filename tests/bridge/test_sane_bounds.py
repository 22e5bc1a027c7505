"""Sane bounds: a number no shop could produce is a validation error (quarantined with the
reason), never a SAP document — ``"1e308"`` as a total, a quantity of 10^12, ``NaN``."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bridge.order import MAX_AMOUNT, MAX_QUANTITY, ValidationError, parse_order
from bridge.store import Store

from .payloads import order_payload, signed


def _total(p: dict[str, Any], v: Any) -> None:
    p["total"] = v


def _qty(p: dict[str, Any], v: Any) -> None:
    p["line_items"][0]["quantity"] = v


def _line_total(p: dict[str, Any], v: Any) -> None:
    p["line_items"][0]["total"] = v


BAD = [
    (_total, "1e308", "total"),
    (_total, "NaN", "total"),
    (_total, str(MAX_AMOUNT + 1), "total"),
    (_qty, 10**12, "quantity"),
    (_qty, MAX_QUANTITY + 1, "quantity"),
    (_line_total, "1e400", "line_items.0.total"),
    (_line_total, "-Infinity", "line_items.0.total"),
    (_line_total, "0.0000001", "line_items.0.total"),
]


@pytest.mark.parametrize(("mutate", "value", "where"), BAD)
def test_absurd_numbers_are_validation_errors(mutate: Any, value: Any, where: str) -> None:
    p = order_payload(3)
    mutate(p, value)
    with pytest.raises(ValidationError) as info:
        parse_order(p)
    assert where in str(info.value)


def test_the_largest_sane_values_pass() -> None:
    p = order_payload(3)
    p["line_items"][0]["quantity"] = MAX_QUANTITY
    p["total"] = str(MAX_AMOUNT)
    assert parse_order(p).line_items[0].quantity == MAX_QUANTITY


async def test_an_absurd_order_is_quarantined_not_booked(
    ingress_client: TestClient, sqlite_store: Store
) -> None:
    p = order_payload(12)
    p["total"] = "1e308"
    p["line_items"][0]["quantity"] = 10**12
    body, headers = signed(p)
    resp = await ingress_client.post("/webhooks/woocommerce", data=body, headers=headers)
    assert resp.status == 200
    assert (await resp.json())["status"] == "quarantined"
    counts = await sqlite_store.counts()
    assert counts["snapshots"] == 0 and counts["quarantine"] == 1
    [q] = await sqlite_store.list_quarantine()
    assert "beyond any shop order" in q.reason and "quantity" in q.reason
