"""Webhook signature, body encoding and delivery id pinned to fixed vectors."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from fakeshop.webhooks.delivery_id import delivery_id
from fakeshop.webhooks.payload import php_json
from fakeshop.webhooks.signature import verify_signature, webhook_signature


def test_signature_matches_hmac_sha256_base64_computed_independently() -> None:
    body = b'{"id":1001,"status":"processing"}'
    expected = base64.b64encode(hmac.new(b"s3cret", body, hashlib.sha256).digest()).decode()
    assert webhook_signature("s3cret", body) == expected


def test_signature_fixed_literal_vector() -> None:
    # RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?"
    # hex 5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843, base64 below
    sig = webhook_signature("Jefe", b"what do ya want for nothing?")
    assert sig == "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM="
    assert verify_signature("Jefe", b"what do ya want for nothing?", sig)
    assert not verify_signature("Jefe", b"what do ya want for nothing!", sig)


def test_secret_is_html_entity_decoded_before_signing() -> None:
    body = b"{}"
    assert webhook_signature("a&amp;b", body) == webhook_signature("a&b", body)


def test_body_is_php_json_encode_output() -> None:
    body = php_json({"url": "https://shop.example/x", "name": "Jamón ñ", "n": 1})
    assert body == b'{"url":"https:\\/\\/shop.example\\/x","name":"Jam\\u00f3n \\u00f1","n":1}'
    assert json.loads(body) == {"url": "https://shop.example/x", "name": "Jamón ñ", "n": 1}


def test_delivery_id_is_wp_hash_of_id_and_second() -> None:
    salt = "fakeshop-salt"
    expected = hmac.new(salt.encode(), b"71700000000", hashlib.md5).hexdigest()
    assert delivery_id(7, 1700000000.2, salt) == expected
    # same webhook, same second -> same id (collision, as in WooCommerce)
    assert delivery_id(7, 1700000000.0, salt) == delivery_id(7, 1700000000.99, salt)
    assert delivery_id(7, 1700000000.0, salt) != delivery_id(7, 1700000001.0, salt)
    assert delivery_id(7, 1700000000.0, salt) != delivery_id(8, 1700000000.0, salt)
    assert len(delivery_id(1, 0, salt)) == 32
