"""Magento order → the worker's WooCommerce-shaped snapshot (broker-free)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from bridge.events.magento import STATE_TO_WOO, MagentoOrderError, magento_to_woo
from bridge.events.subscriber import InvalidShopEvent, parse_event
from bridge.mapping import MappingContext, to_sap_order
from bridge.order import parse_order
from bridge.worker.plan import next_step
from sapchaos.catalog import load_catalog
from tests.bridge.events.shop_orders import magento_event, woo_order

CATALOG = load_catalog()


def converted(order: dict[str, object], event_type: str = "order.created") -> dict[str, object]:
    _, body = magento_event(CATALOG, order, event_type)
    event = parse_event(body)
    return magento_to_woo(event.order, CATALOG)


def test_sap_document_same_as_from_woocommerce() -> None:
    """The Magento path books the same SAP order as the WooCommerce path (lines, VAT
    groups, net totals after discount, shipping expense, customer)."""
    woo = woo_order(1001)
    via_magento = parse_order(converted(woo))
    direct = parse_order(woo)
    ctx = MappingContext(CATALOG)
    a, b = to_sap_order(via_magento, ctx), to_sap_order(direct, ctx)
    for key in ("CardCode", "DocDate", "DocumentLines", "DocumentAdditionalExpenses", "U_IdemKey"):
        assert a[key] == b[key], key
    assert a["NumAtCard"] == "000001001"  # people see Magento's increment id
    assert via_magento.total == Decimal("48.22") and via_magento.id == 1001


def test_money_stays_exact() -> None:
    """Magento sends JSON numbers; parsing keeps them Decimal and the snapshot has strings."""
    out = converted(woo_order(7))
    lines = out["line_items"]
    assert isinstance(lines, list)
    assert lines[0]["total"] == "29.74" and lines[0]["tax_class"] == ""
    assert lines[1]["tax_class"] == "super-reduced-rate"
    assert out["shipping_lines"] == [
        {"id": 1, "method_id": "flat_rate", "total": "4.95", "total_tax": "1.04"}
    ]
    json.dumps(out)  # storable as JSON


@pytest.mark.parametrize(
    ("woo_status", "expected"),
    [
        ("pending", "pending"),
        ("processing", "processing"),
        ("on-hold", "on-hold"),
        ("completed", "completed"),
        ("cancelled", "cancelled"),
        ("refunded", "refunded"),
    ],
)
def test_status_from_magento_state(woo_status: str, expected: str) -> None:
    out = converted(woo_order(5, status=woo_status))
    assert out["status"] == expected
    assert set(STATE_TO_WOO.values()) >= {expected}


def test_paid_order_plans_payment_and_creation() -> None:
    order = parse_order(converted(woo_order(9, "processing")))
    assert order.transaction_id == "pi_9" and order.date_paid_gmt is not None
    step = next_step(order, {})
    assert step is not None and step.name == "create_order"
    unpaid = parse_order(converted(woo_order(10, "pending")))
    assert unpaid.date_paid_gmt is None and unpaid.transaction_id == ""


def test_configurable_children_are_skipped() -> None:
    mg, _ = magento_event(CATALOG, woo_order(3))
    child = dict(mg["items"][0], item_id=99, parent_item_id=11, sku="TSH-RED-M")
    mg["items"].append(child)
    out = magento_to_woo(mg, CATALOG)
    assert [li["sku"] for li in out["line_items"]] == ["TSH-RED-M", "BOOK-ES-01"]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"entity_id": "x"}, "entity_id"),
        ({"items": []}, "no items"),
        ({"created_at": "yesterday"}, "created_at"),
        ({"grand_total": "lots"}, "grand_total"),
    ],
)
def test_unusable_orders_raise(change: dict[str, object], reason: str) -> None:
    mg, _ = magento_event(CATALOG, woo_order(4))
    mg.update(change)
    with pytest.raises(MagentoOrderError, match=reason):
        magento_to_woo(mg, CATALOG)


def test_unknown_tax_rate_raises() -> None:
    mg, _ = magento_event(CATALOG, woo_order(4))
    mg["items"][0]["tax_percent"] = 7.5
    with pytest.raises(MagentoOrderError, match=r"tax class with rate 7\.5"):
        magento_to_woo(mg, CATALOG)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"\xff\xfe", "UTF-8 JSON"),
        (b"[1, 2]", "JSON object"),
        (b'{"event_id": "e", "event_type": "order.created", "order": {}}', "occurred_at"),
        (
            b'{"event_id": "e", "event_type": "x", "occurred_at": "nope", "order": {}}',
            "occurred_at",
        ),
    ],
)
def test_bad_event_bodies(body: bytes, reason: str) -> None:
    with pytest.raises(InvalidShopEvent, match=reason):
        parse_event(body)
