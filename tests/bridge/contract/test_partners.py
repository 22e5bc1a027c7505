"""``bridge.contract.partners`` against a real fakesap: lookup by UDF and email, create
once, a lost reply, a race, SAP's -2035 adopted, guests generic or their own."""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from bridge.contract.partners import PartnerPolicy, partner_code, resolve_card_code
from bridge.order import OrderPayload, parse_order
from bridge.sap.client import ServiceLayerClient
from bridge.sap.errors import Ambiguous
from tests.bridge.contract.cases import GOLDEN
from tests.bridge.stack import Stack, stack

SAP_POLICY = PartnerPolicy(partner_policy="sap", guest_partner="create")


def _order(customer_id: int = 0, email: str = "nuevo@example.es", **extra: Any) -> OrderPayload:
    raw = json.loads((GOLDEN / "net-prices-coupon.order.json").read_text(encoding="utf-8"))
    raw = copy.deepcopy(raw)
    raw["customer_id"] = customer_id
    raw["billing"]["email"] = email
    raw.update(extra)
    return parse_order(raw)


def _raw(order: OrderPayload) -> dict[str, Any]:
    return {"billing": {"first_name": "Nuria", "last_name": "Gil", "email": order.billing.email}}


class Calls:
    """Counts the SL calls a resolution makes (what ``StepContext.sap_call`` would run)."""

    def __init__(self) -> None:
        self.ops: list[str] = []

    async def __call__(self, endpoint: str, op: str, fn: Callable[[], Awaitable[Any]]) -> Any:
        self.ops.append(op)
        return await fn()


@pytest.fixture
async def env() -> AsyncIterator[tuple[Stack, ServiceLayerClient]]:
    async with (
        stack() as st,
        ServiceLayerClient(st.sap_url, "SBODEMOES", "manager", "manager") as sap,
    ):
        yield st, sap


async def _partners(sap: ServiceLayerClient, email: str) -> list[dict[str, Any]]:
    return await sap.query("BusinessPartners", f"EmailAddress eq '{email}'")


async def test_catalog_policy_makes_no_call(env: tuple[Stack, ServiceLayerClient]) -> None:
    _, sap = env
    calls = Calls()
    order = _order(42)
    assert await resolve_card_code(sap, calls, "wc", order, _raw(order), PartnerPolicy()) is None
    assert calls.ops == []


async def test_known_customer_found_by_email_nothing_created(
    env: tuple[Stack, ServiceLayerClient],
) -> None:
    _, sap = env
    calls = Calls()
    order = _order(11, "Lucia@Example.es")  # catalog partner C10011, no UDF yet
    code = await resolve_card_code(sap, calls, "wc", order, _raw(order), SAP_POLICY)
    assert code == "C10011"
    assert "create_partner" not in calls.ops


async def test_new_customer_created_once_then_found_by_udf(
    env: tuple[Stack, ServiceLayerClient],
) -> None:
    _, sap = env
    order = _order(
        77, "nuria@example.es", meta_data=[{"key": "_billing_nif", "value": "12345678Z"}]
    )
    first = Calls()
    code = await resolve_card_code(sap, first, "wc", order, _raw(order), SAP_POLICY)
    assert code == "WC77" == partner_code("wc", order)
    assert first.ops[-1] == "create_partner"
    [bp] = await _partners(sap, "nuria@example.es")
    assert bp["CardName"] == "Nuria Gil" and bp["CardType"] == "cCustomer"
    assert bp["U_ShopCustomerId"] == "wc:77" and bp["FederalTaxID"] == "12345678Z"
    again = Calls()
    assert await resolve_card_code(sap, again, "wc", order, _raw(order), SAP_POLICY) == "WC77"
    assert again.ops == ["find_partner"]  # found by the UDF, nothing created


async def test_lost_reply_then_retry_finds_it_one_partner(
    env: tuple[Stack, ServiceLayerClient],
) -> None:
    st, sap = env
    await st.add_fault(
        {
            "fault": "commit_then_fail",
            "entity_set": "BusinessPartners",
            "methods": ["POST"],
            "max_count": 1,
            "params": {"outcome": "error", "status": 504},
        }
    )
    order = _order(0, "invitado@example.es")
    with pytest.raises(Ambiguous):
        await resolve_card_code(sap, Calls(), "wc", order, _raw(order), SAP_POLICY)
    retry = Calls()
    code = await resolve_card_code(sap, retry, "wc", order, _raw(order), SAP_POLICY)
    assert code == partner_code("wc", order) and code.startswith("WG")
    assert retry.ops == ["find_partner"]
    assert len(await _partners(sap, "invitado@example.es")) == 1


async def test_race_of_two_workers_one_partner(env: tuple[Stack, ServiceLayerClient]) -> None:
    _, sap = env
    order = _order(88, "carrera@example.es")
    codes = await asyncio.gather(
        *(resolve_card_code(sap, Calls(), "wc", order, _raw(order), SAP_POLICY) for _ in range(4))
    )
    assert set(codes) == {"WC88"}
    assert len(await _partners(sap, "carrera@example.es")) == 1


async def test_existing_code_without_email_or_udf_is_adopted_on_2035(
    env: tuple[Stack, ServiceLayerClient],
) -> None:
    _, sap = env
    await sap.create("BusinessPartners", {"CardCode": "WC99", "CardName": "manual entry"})
    order = _order(99, "nadie@example.es")
    calls = Calls()
    assert await resolve_card_code(sap, calls, "wc", order, _raw(order), SAP_POLICY) == "WC99"
    assert calls.ops[-1] == "create_partner"  # refused with -2035, then adopted


async def test_guests_generic_or_own(env: tuple[Stack, ServiceLayerClient]) -> None:
    _, sap = env
    order = _order(0, "Guest@Example.es")
    generic = PartnerPolicy(partner_policy="sap", guest_card_code="WEB-GUEST")
    calls = Calls()
    assert await resolve_card_code(sap, calls, "wc", order, _raw(order), generic) == "WEB-GUEST"
    assert calls.ops == []
    own = await resolve_card_code(sap, Calls(), "mg", order, _raw(order), SAP_POLICY)
    assert own is not None and own.startswith("MG") and len(own) <= 15
    # the same email, any case, is the same partner
    again = _order(0, "guest@example.es")
    assert await resolve_card_code(sap, Calls(), "mg", again, _raw(again), SAP_POLICY) == own
