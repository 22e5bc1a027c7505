"""Pure units: signature, retry policy, breaker, SL error classification, OAuth, mapping, config."""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
from decimal import Decimal
from pathlib import Path

import pytest

from bridge.breaker import Breaker, BreakerState
from bridge.config import BreakerPolicy, BridgeConfig, RetryPolicy, load_config
from bridge.jsonwire import dumps
from bridge.mapping import MappingContext, MappingError, to_sap_order
from bridge.order import parse_order
from bridge.retry import backoff_delay, decide, parse_retry_after
from bridge.sap.errors import (
    Ambiguous,
    DuplicateRefused,
    NotFound,
    Permanent,
    Transient,
    classify_status,
    odata_quote,
    parse_error,
)
from bridge.shop.oauth import oauth_params, oauth_signature
from bridge.signature import sign, verify
from sapchaos.catalog import load_catalog

from .payloads import order_payload


def test_signature_matches_woocommerce_formula() -> None:
    body = b'{"id":1}'
    expected = base64.b64encode(hmac.new(b"s&x", body, hashlib.sha256).digest()).decode()
    assert sign("s&amp;x", body) == expected  # secret is HTML-entity-decoded first
    assert verify(["other", "s&x"], body, expected)
    assert not verify(["s&x"], body + b" ", expected)
    assert not verify(["s&x"], body, None)
    assert not verify(["wrong"], body, expected)


def test_backoff_full_jitter_bounds() -> None:
    policy = RetryPolicy(base_s=1.0, cap_s=8.0, max_attempts=10, max_age_s=1000)
    rng = random.Random(1)
    for attempt in range(1, 10):
        ceiling = min(8.0, 2 ** (attempt - 1))
        delays = [backoff_delay(policy, attempt, rng) for _ in range(200)]
        assert all(0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling * 0.8  # full jitter uses the whole range


def test_decide_honours_attempts_age_and_retry_after() -> None:
    policy = RetryPolicy(base_s=1.0, cap_s=8.0, max_attempts=3, max_age_s=100)
    rng = random.Random(2)
    assert decide(policy, 1, 0, rng).retry
    assert not decide(policy, 3, 0, rng).retry
    assert decide(policy, 1, 0, rng, retry_after_s=30).delay_s >= 30
    assert not decide(policy, 1, 99.5, rng, retry_after_s=5).retry
    assert parse_retry_after("7", 0) == 7
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", 1445412480.0) == pytest.approx(10)
    assert parse_retry_after("soon", 0) is None


def test_breaker_opens_half_opens_and_closes() -> None:
    now = [0.0]
    b = Breaker(BreakerPolicy(failure_threshold=3, open_s=10), clock=lambda: now[0])
    for _ in range(3):
        assert b.allow()
        b.record(False)
    assert b.state is BreakerState.OPEN and not b.allow()
    assert b.retry_in() == pytest.approx(10)
    now[0] = 10.5
    assert b.allow()  # one probe
    assert not b.allow()
    b.record(False)  # probe failed: open again
    assert b.state is BreakerState.OPEN and b.opens == 2
    now[0] = 21
    assert b.allow()
    b.record(True)
    assert b.state is BreakerState.CLOSED and b.allow()


def test_sl_error_shapes_and_classes() -> None:
    v1 = {
        "error": {
            "code": -10,
            "message": {"lang": "en-us", "value": "Item bad [RDR1.ItemCode][line: 1]"},
        }
    }
    v2 = {"error": {"code": "-10", "message": "Item bad"}}
    assert parse_error(v1).code == "-10" and "line: 1" in parse_error(v1).message  # type: ignore[union-attr]
    assert parse_error(v2).message == "Item bad"  # type: ignore[union-attr]
    assert isinstance(classify_status(400, v1, wrote=True), Permanent)
    dup = {
        "error": {
            "code": -1116,
            "message": {"lang": "en-us", "value": "(1116) Duplicate U_IdemKey"},
        }
    }
    assert isinstance(classify_status(400, dup, wrote=True), DuplicateRefused)
    assert isinstance(classify_status(500, v2, wrote=True), Ambiguous)
    read_5xx = classify_status(503, None, wrote=False)
    assert isinstance(read_5xx, Transient) and not isinstance(read_5xx, Ambiguous)
    limited = classify_status(429, None, wrote=True, retry_after_s=3)
    assert isinstance(limited, Transient) and limited.retry_after_s == 3
    assert isinstance(
        classify_status(404, {"error": {"code": -2028, "message": "x"}}, wrote=False), NotFound
    )
    assert odata_quote("wc:1:order") == "'wc:1:order'"
    assert odata_quote("O'Connor") == "'O''Connor'"


def test_oauth_signature_is_deterministic_and_covers_query() -> None:
    params = oauth_params(
        "GET", "http://shop/wp-json/wc/v3/orders?page=2", "ck", "cs", 1700000000, nonce="n1"
    )
    assert params["page"] == "2" and params["oauth_signature_method"] == "HMAC-SHA256"
    again = oauth_signature("GET", "http://shop/wp-json/wc/v3/orders", params, "cs")
    assert again == params["oauth_signature"]
    tampered = dict(params, page="3")
    assert oauth_signature("GET", "http://shop/wp-json/wc/v3/orders", tampered, "cs") != again


def test_mapping_builds_sap_order() -> None:
    ctx = MappingContext(load_catalog(), due_days=3)
    order = parse_order(order_payload(42, customer_id=11))
    doc = to_sap_order(order, ctx)
    assert doc["CardCode"] == "C10011"
    assert doc["U_IdemKey"] == "wc:42:order" and doc["NumAtCard"] == "42"
    assert doc["DocDate"] == "2026-11-23" and doc["DocDueDate"] == "2026-11-26"
    assert doc["DocumentLines"][0] == {
        "ItemCode": "TSH-RED-M",
        "Quantity": 2,
        "LineTotal": Decimal("39.98"),
        "VatGroup": "R3",
        "WarehouseCode": "01",
    }
    assert doc["DocumentLines"][1]["VatGroup"] == "R2"
    assert doc["DocumentAdditionalExpenses"] == [
        {"ExpenseCode": 1, "LineTotal": Decimal("4.95"), "VatGroup": "R3"}
    ]
    assert '"LineTotal": 39.98' in dumps(doc)
    guest = to_sap_order(parse_order(order_payload(43, customer_id=0)), ctx)
    assert guest["CardCode"] == "WEB-GUEST"
    bad = parse_order(order_payload(44, tax_class="luxury"))
    with pytest.raises(MappingError):
        to_sap_order(bad, ctx)


def test_config_toml_and_env(tmp_path: Path) -> None:
    f = tmp_path / "b.toml"
    f.write_text(
        '[bridge]\nworkers = 3\nwebhook_secrets = ["a", "b"]\n[bridge.retry]\nmax_attempts = 4\n'
    )
    cfg = load_config(
        f,
        env={"SAPCHAOS_BRIDGE_SAP_TOTAL_TIMEOUT_S": "2", "SAPCHAOS_BRIDGE_BREAKER__OPEN_S": "1.5"},
    )
    assert cfg.workers == 3 and cfg.webhook_secrets == ("a", "b")
    assert cfg.retry.max_attempts == 4 and cfg.breaker.open_s == 1.5
    assert cfg.sap_total_timeout_s == 2.0
    with pytest.raises(ValueError):
        BridgeConfig(lease_s=5, sap_total_timeout_s=10)
    with pytest.raises(ValueError):
        load_config(None, env={"SAPCHAOS_BRIDGE_NOPE": "1"})


def test_bridge_config_mqtt_defaults_are_mqtt_settings_defaults() -> None:
    """Every ``MqttSettings`` field has a ``mqtt_<field>`` setting with the same default."""
    import dataclasses

    from bridge.config import BridgeConfig
    from bridge.events.settings import MqttSettings

    cfg = BridgeConfig()
    for f in dataclasses.fields(MqttSettings):
        assert getattr(cfg, f"mqtt_{f.name}") == getattr(MqttSettings(), f.name), f.name
    assert MqttSettings.from_config(cfg.replace(mqtt_shared_group="g")).shared_group == "g"
