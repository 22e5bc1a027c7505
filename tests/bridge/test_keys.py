"""Idempotency keys and correlation ids by shop: ``wc`` (WooCommerce) and ``mg`` (Magento)."""

from __future__ import annotations

from bridge.keys import (
    OrderRef,
    correlation_id,
    key_order,
    key_prefix,
    key_refund,
    ledger_prefix,
    order_ref,
    parse_order_key,
)
from bridge.mapping import MappingContext, to_sap_order
from bridge.order import parse_order
from bridge.store.base import LedgerRow
from bridge.worker.plan import next_step
from sapchaos.catalog import load_catalog

from .payloads import order_payload


def done(key: str) -> LedgerRow:
    return LedgerRow(key, 1, "op", "done", "Orders", 1, 100, 1, None, 0.0, 0.0)


def test_prefix_by_source() -> None:
    assert key_prefix("woocommerce") == "wc"
    assert key_prefix("rest") == "wc"  # an authoritative WooCommerce fetch
    assert key_prefix("magento") == "mg"
    assert key_prefix(None) == "wc"


def test_woocommerce_keys_are_unchanged() -> None:
    assert key_order("wc", 1000) == "wc:1000:order"
    assert key_refund("wc", 1000, "cancel") == "wc:1000:refund:cancel"
    assert correlation_id("wc", 1000, "1000") == "wc:1000"


def test_magento_keys_use_entity_id_and_correlation_the_increment_id() -> None:
    assert key_order("mg", 1001) == "mg:1001:order"
    assert correlation_id("mg", 1001, "000001001") == "mg:000001001"
    assert correlation_id("mg", 1001) == "mg:1001"  # number unknown


def test_parse_order_key() -> None:
    assert parse_order_key("wc:12:order") == ("wc", 12)
    assert parse_order_key("mg:12:order") == ("mg", 12)
    for other in ("xx:12:order", "wc:12:payment", "wc:x:order", None, "", "wc:12:order:1"):
        assert parse_order_key(other) is None


def test_prefix_is_sticky_once_the_ledger_has_keys() -> None:
    """A Magento order later replaced by a REST fetch keeps its ``mg`` keys: a changed
    prefix would book a second SAP order under a new key."""
    assert ledger_prefix([]) is None
    assert ledger_prefix(["mg:5:order", "mg:5:note:confirmed"]) == "mg"
    ref = order_ref(5, "rest", {"number": "000000005"}, ["mg:5:order"])
    assert ref == OrderRef(5, "mg", "000000005")
    assert ref.correlation_id == "mg:000000005"
    assert order_ref(5, "magento", {"number": "000000005"}).prefix == "mg"
    assert order_ref(6, "woocommerce", {"number": "6"}).correlation_id == "wc:6"


def test_planner_and_mapping_use_the_prefix() -> None:
    order = parse_order(order_payload(7, transaction_id="tx"))
    step = next_step(order, {}, "mg")
    assert step is not None and step.name == "create_order" and step.idem_key == "mg:7:order"
    step = next_step(order, {"mg:7:order": done("mg:7:order")}, "mg")
    assert step is not None and step.idem_key == "mg:7:note:confirmed"
    # a wc key does not satisfy an mg order (and the other way round)
    step = next_step(order, {"wc:7:order": done("wc:7:order")}, "mg")
    assert step is not None and step.name == "create_order"
    ctx = MappingContext(load_catalog())
    mg = to_sap_order(order, ctx, "mg")
    wc = to_sap_order(order, ctx)
    assert mg["U_IdemKey"] == "mg:7:order" and mg["Comments"].startswith("Magento order")
    assert wc["U_IdemKey"] == "wc:7:order" and wc["Comments"].startswith("WooCommerce order")
    assert mg["DocumentLines"] == wc["DocumentLines"]
