"""E-mail and username look-ups answer from an index that follows ``ShopState.customers``
through sign-ups, REST creates, e-mail changes, deletes, resets and direct edits."""

from __future__ import annotations

from typing import Any

import pytest

from fakeshop.customer_index import CustomerIndex
from fakeshop.customers import CustomerBook, register_guest
from fakeshop.errors import WooError
from tests.fakeshop.conftest import ShopHandle


def _res(cid: int, email: str, username: str) -> dict[str, Any]:
    return {"id": cid, "email": email, "username": username}


def test_index_follows_the_accounts() -> None:
    customers = {1: _res(1, "Ana@Example.org", "ana"), 2: _res(2, "ana@example.org", "ana2")}
    idx = CustomerIndex()
    found = idx.by_email(customers, "ANA@example.ORG")
    assert found is not None and found["id"] == 1  # the first account with it
    assert idx.usernames(customers) == {"ana", "ana2"}
    customers[3] = _res(3, "bo@example.org", "bo")
    idx.added(customers, customers[3])
    assert idx.by_email(customers, "bo@example.org") is customers[3]
    del customers[1]  # removed without telling the index
    found = idx.by_email(customers, "ana@example.org")
    assert found is not None and found["id"] == 2
    assert "ana" not in idx.usernames(customers)
    customers[2]["email"] = "new@example.org"  # changed behind its back: a stale hit
    assert idx.by_email(customers, "ana@example.org") is None
    assert idx.by_email(customers, "new@example.org") is customers[2]
    other = {9: _res(9, "zed@example.org", "zed")}  # a new dict (reset)
    assert idx.by_email(other, "bo@example.org") is None
    assert idx.by_email(other, "zed@example.org") is other[9]


async def test_book_and_sign_up_use_the_index(shop: ShopHandle) -> None:
    state = shop.shop.state
    book = CustomerBook(state)
    made = book.create({"email": "Carla@Example.org", "first_name": "Carla"})
    assert book.by_email("carla@example.org") is made
    with pytest.raises(WooError):
        book.create({"email": "carla@EXAMPLE.org"})
    with pytest.raises(WooError):
        book.create({"email": "x@example.org", "username": made["username"]})
    # sign-up at checkout: a taken e-mail stays a guest, a new one gets an account
    assert register_guest(state, {"email": "CARLA@example.org"}, {}) == 0
    cid = register_guest(state, {"email": "carla@example.net"}, {})
    assert cid and state.customers[cid]["username"] == made["username"] + "2"
    book.update(int(made["id"]), {"email": "carla.new@example.org"})
    assert book.by_email("carla@example.org") is None
    assert book.by_email("carla.new@example.org") is made
    book.delete(int(made["id"]))
    assert book.by_email("carla.new@example.org") is None
    assert register_guest(state, {"email": "carla.new@example.org"}, {}) > cid
    state.reset()
    assert book.by_email("carla@example.net") is None
    assert register_guest(state, {"email": "carla@example.net"}, {}) > 0
