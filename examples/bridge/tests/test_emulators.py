"""shopbridge's pieces against one emulator at a time (no bridge running)."""

from __future__ import annotations

from decimal import Decimal

import requests
from shopbridge.mapping import to_sap_order
from shopbridge.settings import Settings
from shopbridge.shop import signature_ok

from sapchaos.testing import FakeSapClient, FakeShopClient


def _settings(fakesap: FakeSapClient, fakeshop: FakeShopClient, tmp_path) -> Settings:
    return Settings(
        port=0,
        sap_url=fakesap.url,
        sap_company=fakesap.company,
        sap_user=fakesap.user,
        sap_password=fakesap.password,
        shop_url=fakeshop.url,
        shop_key=fakeshop.key,
        shop_secret=fakeshop.secret,
        webhook_secret=fakeshop.webhook_secret,
        card_code=fakesap.card_code,
        state_dir=tmp_path,
    )


def _book(fakesap: FakeSapClient, body: dict) -> dict:
    sl = requests.Session()
    assert sl.post(f"{fakesap.url}/Login", json=fakesap.login_body).ok
    resp = sl.post(f"{fakesap.url}/Orders", json=body)
    assert resp.status_code == 201, resp.text
    return resp.json()


def test_mapping_books_the_shop_totals_to_the_cent(fakesap, fakeshop, tmp_path) -> None:
    settings = _settings(fakesap, fakeshop, tmp_path)
    for oid in fakeshop.generate(10):
        order = fakeshop.order(oid)
        doc = _book(fakesap, to_sap_order(order, settings))
        assert Decimal(str(doc["DocTotal"])) == Decimal(order["total"]), oid
        assert Decimal(str(doc["VatSum"])) == Decimal(order["total_tax"]), oid
    assert len(fakesap.orders()) == 10


def test_our_own_item_codes(fakesap, fakeshop, tmp_path) -> None:
    fakesap.seed_vat_groups({"Code": "G21", "VatGroups_Lines": [{"Rate": 21}]})
    fakesap.seed_items({"ItemCode": "ACME-ANVIL", "SalesVATGroup": "G21"})
    fakesap.seed_business_partners({"CardCode": "C-ACME", "CardName": "Acme Corp"})
    settings = _settings(fakesap, fakeshop, tmp_path)
    settings = Settings(**{**settings.__dict__, "card_code": "C-ACME", "vat_groups": {"": "G21"}})
    order = {
        "id": 7,
        "number": "7",
        "date_created_gmt": "2026-03-01T10:00:00",
        "line_items": [{"sku": "ACME-ANVIL", "quantity": 2, "total": "100.00", "tax_class": ""}],
    }
    doc = _book(fakesap, to_sap_order(order, settings))
    assert (doc["CardCode"], doc["DocTotal"], doc["VatSum"]) == (
        "C-ACME",
        121.0,
        21.0,
    )  # LineTotal is the line's total
    [stored] = fakesap.orders("wc:7:order")
    assert stored["DocumentLines"][0]["ItemCode"] == "ACME-ANVIL"


def test_webhook_signature_matches_the_shop(fakeshop) -> None:
    import base64
    import hashlib
    import hmac

    body = b'{"id": 1}'
    good = base64.b64encode(
        hmac.new(fakeshop.webhook_secret.encode(), body, hashlib.sha256).digest()
    )
    assert signature_ok(fakeshop.webhook_secret, body, good.decode())
    assert not signature_ok(fakeshop.webhook_secret, body + b" ", good.decode())
    assert not signature_ok(fakeshop.webhook_secret, body, None)
