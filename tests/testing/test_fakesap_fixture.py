"""The ``fakesap`` fixture: attributes, reset between tests, faults, guard, master data."""

from __future__ import annotations

import pytest
import requests

from sapchaos import defaults
from sapchaos.testing import AdminError, FakeSapClient


def _session(fakesap: FakeSapClient) -> requests.Session:
    s = requests.Session()
    resp = s.post(f"{fakesap.url}/Login", json=fakesap.login_body)
    assert resp.status_code == 200, resp.text
    return s


def _order(fakesap: FakeSapClient, key: str, item: str | None = None) -> dict:
    return {
        "CardCode": fakesap.card_code,
        "DocDueDate": "2026-12-31",
        "U_IdemKey": key,
        "DocumentLines": [{"ItemCode": item or fakesap.item_codes[0], "Quantity": 1}],
    }


def test_attributes_name_a_working_service_layer(fakesap: FakeSapClient) -> None:
    assert fakesap.url.endswith("/b1s/v1") and fakesap.url_v2.endswith("/b1s/v2")
    assert (fakesap.company, fakesap.user, fakesap.card_code) == (
        defaults.SAP_COMPANY,
        defaults.SAP_USER,
        defaults.SAP_CARD_CODE,
    )
    s = _session(fakesap)
    bp = s.get(f"{fakesap.url}/BusinessPartners('{fakesap.card_code}')")
    assert bp.status_code == 200
    for code in fakesap.item_codes:
        assert s.get(f"{fakesap.url}/Items('{code}')").status_code == 200
    assert s.get(f"{fakesap.url_v2}/Items?$top=1").status_code == 200


@pytest.mark.parametrize("turn", [1, 2])
def test_each_test_starts_from_a_fresh_sap(fakesap: FakeSapClient, turn: int) -> None:
    assert fakesap.documents() == []
    assert fakesap.sessions() == []
    assert fakesap.faults.rules() == []
    s = _session(fakesap)
    created = s.post(f"{fakesap.url}/Orders", json=_order(fakesap, f"turn-{turn}")).json()
    assert created["DocEntry"] == 1  # numbering restarts too
    fakesap.faults.add("http_error", entity_set="Orders", status=503)
    fakesap.uniqueness_guard()


def test_orders_filtered_by_key(fakesap: FakeSapClient) -> None:
    s = _session(fakesap)
    for key in ("wc:1:order", "wc:2:order", "wc:2:order"):
        assert s.post(f"{fakesap.url}/Orders", json=_order(fakesap, key)).status_code == 201
    assert len(fakesap.orders()) == 3
    assert len(fakesap.orders("wc:2:order")) == 2
    assert len(fakesap.orders(order_id=1)) == 1
    assert fakesap.orders("wc:3:order") == []


def test_fault_rules_match_like_scenario_files(fakesap: FakeSapClient) -> None:
    s = _session(fakesap)
    rule = fakesap.faults.add(
        "http_error", entity_set="Orders", method="POST", max_count=2, status=503
    )
    codes = [
        s.post(f"{fakesap.url}/Orders", json=_order(fakesap, f"k{i}")).status_code for i in range(3)
    ]
    assert codes == [503, 503, 201]
    assert s.get(f"{fakesap.url}/Orders").status_code == 200  # GET does not match
    assert fakesap.faults.fired(rule) == 2
    fired = [d for d in fakesap.faults.history() if rule in d.get("rules", [])]
    assert len(fired) == 2
    fakesap.faults.clear()
    assert fakesap.faults.rules() == []


def test_a_bad_fault_rule_names_the_field(fakesap: FakeSapClient) -> None:
    with pytest.raises(AdminError) as err:
        fakesap.faults.add("http_error", probability=2)
    assert err.value.status == 400 and "probability" in str(err.value)
    with pytest.raises(AdminError):
        fakesap.faults.add("no_such_fault")


def test_uniqueness_guard_on_and_off(fakesap: FakeSapClient) -> None:
    s = _session(fakesap)
    fakesap.uniqueness_guard()
    assert s.post(f"{fakesap.url}/Orders", json=_order(fakesap, "same")).status_code == 201
    second = s.post(f"{fakesap.url}/Orders", json=_order(fakesap, "same"))
    assert second.status_code == 400, second.text
    fakesap.uniqueness_guard(None)
    assert s.post(f"{fakesap.url}/Orders", json=_order(fakesap, "same")).status_code == 201
    assert len(fakesap.orders("same")) == 2


def test_seeded_master_data_is_usable_and_gone_next_test(fakesap: FakeSapClient) -> None:
    fakesap.seed_vat_groups({"Code": "X7", "VatGroups_Lines": [{"Rate": 7}]})
    fakesap.seed_items({"ItemCode": "OUR-SKU", "SalesVATGroup": "X7"})
    fakesap.seed_business_partners({"CardCode": "OUR-CUST"})
    s = _session(fakesap)
    body = _order(fakesap, "own", item="OUR-SKU")
    body["CardCode"] = "OUR-CUST"
    body["DocumentLines"][0].update({"UnitPrice": 100, "VatGroup": "X7"})
    doc = s.post(f"{fakesap.url}/Orders", json=body).json()
    assert (doc["DocTotal"], doc["VatSum"]) == (107.0, 7.0)


def test_seeded_master_data_was_reset(fakesap: FakeSapClient) -> None:
    s = _session(fakesap)
    assert s.get(f"{fakesap.url}/Items('OUR-SKU')").status_code == 404


def test_bad_master_data_is_a_clear_error(fakesap: FakeSapClient) -> None:
    with pytest.raises(AdminError) as err:
        fakesap.seed_items({"ItemName": "no code"})
    assert err.value.status == 400
