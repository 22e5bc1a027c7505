"""``POST /BusinessPartners``: create, validation, SAP's duplicate error, persistence, faults."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fakesap.backend import FakeSap
from fakesap.config import FakeSapConfig
from tests.fakesap.test_faults_helpers import Client, start

from .conftest import StartSL
from .sl_client import SL

NEW = {
    "CardCode": "WC77",
    "CardName": "Marta Ruiz",
    "CardType": "cCustomer",
    "EmailAddress": "marta@example.es",
    "FederalTaxID": "12345678Z",
    "U_ShopCustomerId": "77",
}


async def test_create_returns_201_and_partner_is_readable_and_filterable(sl: SL) -> None:
    r = await sl.post("BusinessPartners", NEW)
    assert r.status == 201, r
    assert r.json["CardCode"] == "WC77" and r.json["CardType"] == "cCustomer"
    assert r.headers["Location"].endswith("/BusinessPartners('WC77')")
    got = await sl.get("BusinessPartners('WC77')")
    assert got.status == 200 and got.json["EmailAddress"] == "marta@example.es"
    found = await sl.get("BusinessPartners?$filter=EmailAddress eq 'marta@example.es'")
    assert [p["CardCode"] for p in found.json["value"]] == ["WC77"]
    found = await sl.get("BusinessPartners?$filter=U_ShopCustomerId eq '77'")
    assert [p["CardCode"] for p in found.json["value"]] == ["WC77"]


async def test_udf_and_declared_columns_filterable_before_any_partner_has_them(sl: SL) -> None:
    for f in ("U_ShopCustomerId eq '77'", "FederalTaxID eq '00000000T'"):
        r = await sl.get(f"BusinessPartners?$filter={f}")
        assert r.status == 200 and r.json["value"] == [], r


async def test_duplicate_card_code_is_2035_and_changes_nothing(sl: SL) -> None:
    assert (await sl.post("BusinessPartners", NEW)).status == 201
    r = await sl.post("BusinessPartners", {**NEW, "CardName": "Someone else"})
    assert r.status == 400
    assert r.error["code"] == -2035
    assert "This entry already exists in the following tables" in r.error["message"]["value"]
    got = await sl.get("BusinessPartners('WC77')")
    assert got.json["CardName"] == "Marta Ruiz"


@pytest.mark.parametrize(
    ("body", "code", "fragment"),
    [
        ({"CardName": "x"}, -10, "CardCode"),
        ({**NEW, "CardCode": "X" * 16}, -10, "max 15"),
        ({**NEW, "CardType": "cFriend"}, -1000, "CardType"),
        ({**NEW, "U_Unknown": "1"}, -1000, "U_Unknown"),
        ({**NEW, "Nickname": "m"}, -1000, "Nickname"),
        ({**NEW, "EmailAddress": 5}, -1000, "EmailAddress"),
        ([NEW], -1000, "JSON object"),
    ],
)
async def test_invalid_bodies_are_sl_errors(sl: SL, body: object, code: int, fragment: str) -> None:
    r = await sl.post("BusinessPartners", body)
    assert r.status == 400, r
    assert r.error["code"] == code
    assert fragment in r.error["message"]["value"]
    assert (await sl.get("BusinessPartners('WC77')")).status == 404


async def test_series_numbers_the_card_code(sl: SL) -> None:
    a = await sl.post("BusinessPartners", {"Series": 71, "CardName": "A"})
    b = await sl.post("BusinessPartners", {"Series": 71, "CardName": "B"})
    assert (a.status, b.status) == (201, 201)
    assert [a.json["CardCode"], b.json["CardCode"]] == ["S71-000001", "S71-000002"]


async def test_v2_answer_carries_etag(start_sl: StartSL) -> None:
    sl = await start_sl(version="v2")
    r = await sl.post("BusinessPartners", NEW)
    assert r.status == 201 and r.headers["ETag"]


async def test_partner_survives_a_restart_with_persist(tmp_path: Path, start_sl: StartSL) -> None:
    db = str(tmp_path / "sap.db")
    state = FakeSap(FakeSapConfig(persist_path=db))
    sl = await start_sl(state=state)
    assert (await sl.post("BusinessPartners", NEW)).status == 201
    state.close()
    again = FakeSap(FakeSapConfig(persist_path=db))
    try:
        assert again.get_entity("BusinessPartners", "WC77")["EmailAddress"] == "marta@example.es"
        assert "C10011" in again.md.business_partners  # the catalog's partners kept
    finally:
        again.close()


@pytest.fixture
async def faulty() -> AsyncIterator[Client]:
    async for client in start():
        yield client


async def test_fault_engine_applies_commit_then_fail_to_partner_create(faulty: Client) -> None:
    """The reply is lost after the partner was added: a blind retry meets -2035."""
    await faulty.add_rule(
        {
            "fault": "commit_then_fail",
            "entity_set": "BusinessPartners",
            "max_count": 1,
            "params": {"outcome": "error", "status": 504},
        }
    )
    url = faulty.url("/b1s/v1/BusinessPartners")
    async with faulty.http.post(url, json=NEW) as r:
        assert r.status == 504
    async with faulty.http.post(url, json=NEW) as r:
        assert r.status == 400
        assert (await r.json())["error"]["code"] == -2035
    async with faulty.http.get(faulty.url("/b1s/v1/BusinessPartners('WC77')")) as r:
        assert r.status == 200
