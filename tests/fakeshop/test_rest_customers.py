"""Customers as WooCommerce keeps them: create with a unique e-mail
(``registration-error-email-exists``), read, update, delete (trash → 501), list filters,
orders that reference them, and the generator's sign-ups beside guests and catalog
customers — through the official Python and npm clients."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime
from typing import Any

import woocommerce

from fakeshop.generator import GeneratorSettings, OrderGenerator
from sapchaos.catalog import load_catalog
from tests.fakeshop.conftest import CK, CS, ShopHandle
from tests.fakeshop.js_client import js_calls

ANA = {
    "email": "ana.ibanez@example.es",
    "first_name": "Ana",
    "last_name": "Ibáñez",
    "billing": {"first_name": "Ana", "city": "Logroño", "email": "ana.ibanez@example.es"},
}


def _api(shop: ShopHandle) -> woocommerce.API:
    return woocommerce.API(
        url=shop.url("/"), consumer_key=CK, consumer_secret=CS, version="wc/v3", timeout=20
    )


async def test_crud_and_woocommerce_errors(shop: ShopHandle) -> None:
    api = _api(shop)

    def calls() -> dict[str, Any]:
        out: dict[str, Any] = {}
        made = api.post("customers", ANA)
        out["made"] = (made.status_code, made.json(), made.headers.get("Location"))
        cid = made.json()["id"]
        out["dup"] = api.post("customers", {**ANA, "first_name": "Otra"}).json()
        out["dup_case"] = api.post("customers", {"email": "ANA.IBANEZ@example.es"}).json()
        out["no_email"] = api.post("customers", {"first_name": "X"}).json()
        out["bad_email"] = api.post("customers", {"email": "nope"}).json()
        out["get"] = api.get(f"customers/{cid}").json()
        out["put"] = api.put(
            f"customers/{cid}", {"last_name": "Ibáñez Peña", "billing": {"postcode": "26001"}}
        ).json()
        out["put_taken"] = api.put(f"customers/{cid}", {"email": "lucia@example.es"}).json()
        out["trash"] = api.delete(f"customers/{cid}")
        out["force"] = api.delete(f"customers/{cid}", params={"force": True})
        out["after"] = api.get(f"customers/{cid}")
        out["missing_put"] = api.put("customers/99999", {"first_name": "x"})
        return out

    got = await asyncio.to_thread(calls)
    status, made, location = got["made"]
    assert status == 201 and location.endswith(f"/wp-json/wc/v3/customers/{made['id']}")
    assert made["role"] == "customer" and made["username"] == "anaibanez"
    assert made["billing"]["city"] == "Logroño" and made["billing"]["country"] == ""
    for key in ("dup", "dup_case"):
        assert got[key]["code"] == "registration-error-email-exists"
        assert got[key]["data"]["status"] == 400
    assert got["no_email"]["code"] == "rest_missing_callback_param"
    assert got["bad_email"]["code"] == "rest_invalid_param"
    assert got["get"]["email"] == ANA["email"]
    assert got["put"]["last_name"] == "Ibáñez Peña"
    assert (
        got["put"]["billing"]["postcode"] == "26001" and got["put"]["billing"]["city"] == "Logroño"
    )
    assert got["put_taken"]["code"] == "woocommerce_rest_customer_invalid_email"
    trash = got["trash"]
    assert (trash.status_code, trash.json()["code"], trash.json()["message"]) == (
        501,
        "woocommerce_rest_trash_not_supported",
        "Customers do not support trashing.",
    )
    assert got["force"].status_code == 200 and got["force"].json()["id"] == made["id"]
    assert (got["after"].status_code, got["after"].json()["code"]) == (
        404,
        "woocommerce_rest_invalid_id",
    )
    assert (got["missing_put"].status_code, got["missing_put"].json()["code"]) == (
        400,
        "woocommerce_rest_invalid_id",
    )


async def test_list_filters_through_the_npm_client(shop: ShopHandle) -> None:
    by_email, searched, all_roles, admins, bad_role = await js_calls(
        shop.url("/"),
        CK,
        CS,
        [
            {"method": "get", "path": "customers", "params": {"email": "lucia@example.es"}},
            {"method": "get", "path": "customers", "params": {"search": "oconnor"}},
            {"method": "get", "path": "customers", "params": {"role": "all", "per_page": 100}},
            {"method": "get", "path": "customers", "params": {"role": "administrator"}},
            {"method": "get", "path": "customers", "params": {"role": "pirate"}},
        ],
    )
    assert [c["id"] for c in by_email["data"]] == [11]
    assert [c["email"] for c in searched["data"]] == ["compras@oconnor.example"]
    catalog_ids = {c.id for c in load_catalog().customers if c.id >= 1}
    assert {c["id"] for c in all_roles["data"]} == catalog_ids
    assert all_roles["headers"]["x-wp-total"] == str(len(catalog_ids))
    assert admins["data"] == []
    assert (bad_role["status"], bad_role["data"]["code"]) == (400, "rest_invalid_param")


async def test_orders_reference_customers_and_deleting_one_makes_them_guests(
    shop: ShopHandle,
) -> None:
    api = _api(shop)

    def calls() -> tuple[Any, Any, Any]:
        cid = api.post("customers", ANA).json()["id"]
        order = api.post(
            "orders",
            {"customer_id": cid, "set_paid": True, "line_items": [{"product_id": 101}]},
        ).json()
        mine = api.get("orders", params={"customer": cid}).json()
        paying = api.get(f"customers/{cid}").json()["is_paying_customer"]
        api.delete(f"customers/{cid}", params={"force": True})
        return order, (mine, paying), api.get(f"orders/{order['id']}").json()

    order, (mine, paying), after = await asyncio.to_thread(calls)
    assert order["customer_id"] > 0 and [o["id"] for o in mine] == [order["id"]]
    assert paying is True
    assert after["customer_id"] == 0


def test_generator_registers_customers_beside_guests_deterministically() -> None:
    catalog = load_catalog()
    now = datetime(2026, 3, 1, tzinfo=UTC)

    def run(register: bool) -> tuple[list[dict[str, Any]], list[tuple[int, str]]]:
        accounts: list[tuple[int, str]] = []

        def signup(billing: dict[str, Any], shipping: dict[str, Any]) -> int:
            accounts.append((1000 + len(accounts), billing["email"]))
            return accounts[-1][0]

        gen = OrderGenerator(
            catalog,
            random.Random(5),
            GeneratorSettings(signup_share=0.3),
            register_customer=signup if register else None,
        )
        return [gen.new_order(i, now) for i in range(1, 301)], accounts

    with_signups, accounts = run(True)
    again, accounts_again = run(True)
    plain, _ = run(False)
    assert with_signups == again and accounts == accounts_again  # seeded: same every run
    registered = {c.id for c in catalog.customers if c.id >= 1}
    kinds = {"guest": 0, "catalog": 0, "signup": 0}
    for a, b in zip(with_signups, plain, strict=True):
        if a["customer_id"] == 0:
            kinds["guest"] += 1
        elif a["customer_id"] in registered:
            kinds["catalog"] += 1
        else:
            kinds["signup"] += 1
            assert b["customer_id"] == 0  # only guests sign up
        # sign-ups change nothing else: same lines, totals, billing as without them
        assert {k: v for k, v in a.items() if k not in ("customer_id", "_links")} == {
            k: v for k, v in b.items() if k not in ("customer_id", "_links")
        }
    assert all(n > 10 for n in kinds.values()), kinds
    assert [cid for cid, _ in accounts] == sorted(
        a["customer_id"] for a in with_signups if a["customer_id"] >= 1000
    )


async def test_shop_generator_signups_are_customers(shop: ShopHandle) -> None:
    await shop.admin("POST", "orders/generate", {"count": 150})
    api = _api(shop)
    registered = {c.id for c in load_catalog().customers if c.id >= 1}

    def calls() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        orders: list[dict[str, Any]] = []
        for page in (1, 2):
            orders += api.get("orders", params={"per_page": 100, "page": page}).json()
        customers = api.get("customers", params={"per_page": 100}).json()
        return orders, customers

    orders, customers = await asyncio.to_thread(calls)
    by_id = {c["id"]: c for c in customers}
    assert registered <= set(by_id)
    signed_up = [o for o in orders if o["customer_id"] and o["customer_id"] not in registered]
    guests = [o for o in orders if o["customer_id"] == 0]
    assert signed_up and guests, "expected sign-ups beside guests in 150 orders"
    for order in signed_up:
        customer = by_id[order["customer_id"]]
        assert customer["email"] == order["billing"]["email"]
        assert customer["billing"]["city"] == order["billing"]["city"]


async def test_put_set_paid_marks_the_customer_paying(shop: ShopHandle) -> None:
    api = _api(shop)

    def calls() -> tuple[int, bool, bool, int]:
        order = api.post("orders", {"customer_id": 13, "line_items": [{"product_id": 103}]}).json()
        before = api.get("customers/13").json()["is_paying_customer"]
        sales = api.get("products/103").json()["total_sales"]
        api.put(f"orders/{order['id']}", {"set_paid": True})
        after = api.get("customers/13").json()["is_paying_customer"]
        return sales, before, after, api.get("products/103").json()["total_sales"]

    sales, before, after, sales_after = await asyncio.to_thread(calls)
    assert (before, after) == (False, True) and sales_after == sales + 1
