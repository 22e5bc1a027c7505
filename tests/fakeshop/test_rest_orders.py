"""Orders, notes and refunds over the REST API: paging, filters, updates, every error."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest

from tests.fakeshop.conftest import ShopHandle


async def _orders(shop: ShopHandle, n: int) -> list[int]:
    return list((await shop.admin("POST", "orders/generate", {"count": n}))["created"])


async def test_pagination_headers_and_links(shop: ShopHandle) -> None:
    ids = await _orders(shop, 23)
    status, body, headers = await shop.api("GET", "orders", params={"per_page": "10", "page": "2"})
    assert status == 200 and len(body) == 10
    assert headers["X-WP-Total"] == "23" and headers["X-WP-TotalPages"] == "3"
    link = headers["Link"]
    assert re.search(r'page=1[^>]*>; rel="prev"', link) and re.search(
        r'page=3[^>]*>; rel="next"', link
    )
    assert "oauth_signature" not in link
    _, last, h3 = await shop.api("GET", "orders", params={"per_page": "10", "page": "3"})
    assert len(last) == 3 and 'rel="next"' not in h3.get("Link", "")
    _, beyond, _ = await shop.api("GET", "orders", params={"per_page": "10", "page": "9"})
    assert beyond == []
    _, asc, _ = await shop.api(
        "GET", "orders", params={"per_page": "100", "orderby": "id", "order": "asc"}
    )
    assert [o["id"] for o in asc] == sorted(ids)
    _, default, h = await shop.api("GET", "orders")
    assert len(default) == 10 and h["X-WP-TotalPages"] == "3"


async def test_invalid_list_params(shop: ShopHandle) -> None:
    for params, name in (
        ({"per_page": "101"}, "per_page"),
        ({"per_page": "0"}, "per_page"),
        ({"page": "x"}, "page"),
        ({"orderby": "price"}, "orderby"),
        ({"order": "up"}, "order"),
        ({"status": "shipped"}, "status"),
        ({"after": "yesterday"}, "after"),
        ({"modified_after": "2024-13-01"}, "modified_after"),
    ):
        status, body, _ = await shop.api("GET", "orders", params=params)
        assert status == 400, params
        assert body["code"] == "rest_invalid_param"
        assert name in body["data"]["params"]
        assert body["message"] == f"Invalid parameter(s): {name}"
    _, body, _ = await shop.api("GET", "orders", params={"per_page": "101"})
    assert (
        body["data"]["params"]["per_page"]
        == "per_page must be between 1 (inclusive) and 100 (inclusive)"
    )


async def test_status_and_modified_after_filters(shop: ShopHandle) -> None:
    a, b, c = await _orders(shop, 3)
    status, _, _ = await shop.api("PUT", f"orders/{b}", json={"status": "processing"})
    assert status == 200
    _, body, h = await shop.api("GET", "orders", params={"status": "processing"})
    assert [o["id"] for o in body] == [b] and h["X-WP-Total"] == "1"
    _, body, _ = await shop.api("GET", "orders", params={"status": "pending,processing"})
    assert {o["id"] for o in body} == {a, b, c}
    shop.shop.state.orders[c].order["date_modified_gmt"] = "2030-01-01T00:00:00"
    _, body, _ = await shop.api(
        "GET", "orders", params={"modified_after": "2029-12-31T23:59:59", "dates_are_gmt": "true"}
    )
    assert [o["id"] for o in body] == [c]
    # WP_Query's "after" is exclusive at one-second resolution
    _, body, _ = await shop.api(
        "GET", "orders", params={"modified_after": "2030-01-01T00:00:00", "dates_are_gmt": "true"}
    )
    assert body == []


async def test_get_unknown_order_and_no_route(shop: ShopHandle) -> None:
    status, body, _ = await shop.api("GET", "orders/424242")
    assert (status, body) == (
        404,
        {
            "code": "woocommerce_rest_shop_order_invalid_id",
            "message": "Invalid ID.",
            "data": {"status": 404},
        },
    )
    status, body, _ = await shop.api("GET", "coupons")
    assert (status, body["code"]) == (404, "rest_no_route")
    status, body, _ = await shop.api("PUT", "orders")
    assert (status, body["code"]) == (404, "rest_no_route")


async def test_put_status_meta_and_received(shop: ShopHandle) -> None:
    (oid,) = await _orders(shop, 1)
    status, body, _ = await shop.api(
        "PUT",
        f"orders/{oid}",
        json={
            "status": "processing",
            "transaction_id": "ch_1",
            "meta_data": [{"key": "_sap_docentry", "value": "7"}],
        },
    )
    assert status == 200
    assert body["status"] == "processing" and body["transaction_id"] == "ch_1"
    assert body["date_paid"] and body["date_paid_gmt"]
    assert body["date_completed"] is None
    meta = [m for m in body["meta_data"] if m["key"] == "_sap_docentry"]
    assert len(meta) == 1 and meta[0]["value"] == "7" and isinstance(meta[0]["id"], int)
    # upsert by key: same entry, new value
    _, body, _ = await shop.api(
        "PUT", f"orders/{oid}", json={"meta_data": [{"key": "_sap_docentry", "value": "8"}]}
    )
    meta2 = [m for m in body["meta_data"] if m["key"] == "_sap_docentry"]
    assert meta2 == [{"id": meta[0]["id"], "key": "_sap_docentry", "value": "8"}]
    _, body, _ = await shop.api("PUT", f"orders/{oid}", json={"status": "completed"})
    assert body["date_completed_gmt"]
    received = (await shop.admin("GET", "received"))["received"]
    kinds = [(r["kind"], r["order_id"]) for r in received]
    assert kinds.count(("status", oid)) == 2 and kinds.count(("meta", oid)) == 2
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", r["at"]) for r in received)
    history = next(o for o in (await shop.admin("GET", "orders"))["orders"] if o["id"] == oid)[
        "history"
    ]
    assert [h["status"] for h in history] == ["pending", "processing", "processing", "completed"]
    _, notes, _ = await shop.api("GET", f"orders/{oid}/notes")
    assert any(
        n["note"] == "Order status changed from Pending payment to Processing." for n in notes
    )


async def test_put_errors(shop: ShopHandle) -> None:
    (oid,) = await _orders(shop, 1)
    status, body, _ = await shop.api("PUT", f"orders/{oid}", json={"status": "shipped"})
    assert (
        status == 400
        and body["code"] == "rest_invalid_param"
        and "status" in body["data"]["params"]
    )
    status, body, _ = await shop.api("PUT", f"orders/{oid}", json={"meta_data": "x"})
    assert status == 400 and body["code"] == "rest_invalid_param"
    status, body, _ = await shop.api(
        "PUT",
        f"orders/{oid}",
        data=b'{"status": "processing"',
        headers={"Content-Type": "application/json"},
    )
    assert (status, body["code"], body["message"]) == (
        400,
        "rest_invalid_json",
        "Invalid JSON body passed.",
    )
    big = b'{"customer_note": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    status, body, _ = await shop.api(
        "PUT", f"orders/{oid}", data=big, headers={"Content-Type": "application/json"}
    )
    assert status == 413 and body["data"]["status"] == 413
    status, body, _ = await shop.api("PUT", "orders/9999999", json={"status": "processing"})
    # WC_REST_CRUD_Controller::update_item answers an unknown id with 400 "Invalid ID."
    assert status == 400 and body["code"] == "woocommerce_rest_shop_order_invalid_id"


async def test_delete_and_restore(shop: ShopHandle) -> None:
    a, b = await _orders(shop, 2)
    status, body, _ = await shop.api("DELETE", f"orders/{a}")
    assert status == 200 and body["status"] == "trash"
    status, body, _ = await shop.api("DELETE", f"orders/{a}")
    assert (status, body["code"]) == (410, "woocommerce_rest_already_trashed")
    _, listed, _ = await shop.api("GET", "orders")
    assert a not in [o["id"] for o in listed]
    _, trashed, _ = await shop.api("GET", "orders", params={"status": "trash"})
    assert [o["id"] for o in trashed] == [a]
    restored = await shop.admin("POST", f"orders/{a}/restore")
    assert restored["order"]["status"] == "pending"
    status, _, _ = await shop.api("DELETE", f"orders/{b}", params={"force": "true"})
    assert status == 200
    status, _, _ = await shop.api("GET", f"orders/{b}")
    assert status == 404


async def test_notes(shop: ShopHandle) -> None:
    (oid,) = await _orders(shop, 1)
    text = f"SAP sales order 12 created (DocEntry 3, key wc:{oid}:order)."
    status, note, headers = await shop.api("POST", f"orders/{oid}/notes", json={"note": text})
    assert status == 201 and note["note"] == text and note["customer_note"] is False
    assert (
        note["author"] == "system"
        and note["date_created_gmt"]
        and headers["Location"].endswith(f"/notes/{note['id']}")
    )
    status, cnote, _ = await shop.api(
        "POST",
        f"orders/{oid}/notes",
        json={"note": "Shipped!", "customer_note": True, "added_by_user": True},
    )
    assert cnote["customer_note"] is True and cnote["author"] == "admin"
    _, notes, _ = await shop.api("GET", f"orders/{oid}/notes")
    assert [n["id"] for n in notes] == [cnote["id"], note["id"]]
    _, cust, _ = await shop.api("GET", f"orders/{oid}/notes", params={"type": "customer"})
    assert [n["id"] for n in cust] == [cnote["id"]]
    status, one, _ = await shop.api("GET", f"orders/{oid}/notes/{note['id']}")
    assert status == 200 and one["note"] == text
    status, body, _ = await shop.api("GET", f"orders/{oid}/notes/99999")
    assert (status, body["code"]) == (404, "woocommerce_rest_invalid_id")
    status, body, _ = await shop.api("POST", f"orders/{oid}/notes", json={})
    assert (status, body["code"], body["message"]) == (
        400,
        "rest_missing_callback_param",
        "Missing parameter(s): note",
    )
    status, body, _ = await shop.api("POST", "orders/999999/notes", json={"note": "x"})
    assert (status, body["code"]) == (404, "woocommerce_rest_order_invalid_id")
    received = [r for r in (await shop.admin("GET", "received"))["received"] if r["kind"] == "note"]
    assert [r["data"]["note"] for r in received] == [text, "Shipped!"]


async def _paid_order(shop: ShopHandle, method: str = "stripe") -> dict[str, Any]:
    (oid,) = await _orders(shop, 1)
    _, order, _ = await shop.api(
        "PUT", f"orders/{oid}", json={"status": "processing", "payment_method": method}
    )
    return dict(order)


async def test_refunds_partial_then_full(shop: ShopHandle) -> None:
    order = await _paid_order(shop)
    oid, total = order["id"], Decimal(order["total"])
    status, body, _ = await shop.api("POST", f"orders/{oid}/refunds", json={"amount": "-1"})
    assert (status, body["code"], body["message"]) == (
        400,
        "woocommerce_rest_invalid_order_refund",
        "Refund amount must be greater than zero.",
    )
    status, body, _ = await shop.api(
        "POST", f"orders/{oid}/refunds", json={"amount": str(total + 1)}
    )
    assert (status, body["code"], body["message"]) == (
        400,  # WooCommerce answers 500 here; fakeshop never answers a client mistake with 500
        "woocommerce_rest_cannot_create_order_refund",
        "Invalid refund amount.",
    )
    status, r1, _ = await shop.api(
        "POST", f"orders/{oid}/refunds", json={"amount": "1.00", "reason": "damaged"}
    )
    assert status == 201 and r1["amount"] == "1.00" and r1["reason"] == "damaged"
    assert r1["id"] > oid  # refunds take ids from the same sequence as orders
    assert r1["refunded_payment"] is True and r1["line_items"] == []
    assert r1["_links"]["up"][0]["href"].endswith(f"/wp-json/wc/v3/orders/{oid}")
    _, order, _ = await shop.api("GET", f"orders/{oid}")
    assert order["status"] == "processing" and order["refunds"] == [
        {"id": r1["id"], "reason": "damaged", "total": "-1.00"}
    ]
    status, r2, _ = await shop.api(
        "POST", f"orders/{oid}/refunds", json={"amount": str(total - Decimal("1.00"))}
    )
    assert status == 201
    _, order, _ = await shop.api("GET", f"orders/{oid}")
    assert order["status"] == "refunded" and len(order["refunds"]) == 2
    _, listed, _ = await shop.api("GET", f"orders/{oid}/refunds")
    assert [r["id"] for r in listed] == [r2["id"], r1["id"]]
    status, one, _ = await shop.api("GET", f"orders/{oid}/refunds/{r1['id']}")
    assert status == 200 and one["amount"] == "1.00"
    status, body, _ = await shop.api("GET", f"orders/{oid}/refunds/1")
    assert (status, body["code"]) == (404, "woocommerce_rest_shop_order_refund_invalid_id")
    status, body, _ = await shop.api("POST", "orders/999999/refunds", json={"amount": "1"})
    assert status == 404
    kinds = [r["kind"] for r in (await shop.admin("GET", "received"))["received"]]
    assert kinds.count("refund") == 2


async def test_refund_line_items_point_at_order_items(shop: ShopHandle) -> None:
    """Refund lines get new item ids and ``_refunded_item_id`` meta naming the order item,
    with negative quantity and totals, as ``wc_create_refund`` stores them."""
    order = await _paid_order(shop)
    oid, item = order["id"], order["line_items"][0]
    all_item_ids = {
        i["id"]
        for o in (await shop.admin("GET", "orders"))["orders"]
        for kind in ("line_items", "shipping_lines", "fee_lines")
        for i in o["order"][kind]
    }
    tax_id = item["taxes"][0]["id"]
    status, refund, _ = await shop.api(
        "POST",
        f"orders/{oid}/refunds",
        json={
            "reason": "broken",
            "line_items": [
                {
                    "id": item["id"],
                    "quantity": 1,
                    "refund_total": "2.00",
                    "refund_tax": [{"id": tax_id, "refund_total": "0.42"}],
                }
            ],
        },
    )
    assert status == 201, refund
    assert refund["amount"] == "2.42"  # summed from the lines when amount is omitted
    (line,) = refund["line_items"]
    assert line["id"] not in all_item_ids and line["id"] > max(all_item_ids)
    assert [(m["key"], m["value"]) for m in line["meta_data"]] == [
        ("_refunded_item_id", str(item["id"]))
    ]
    assert (line["quantity"], line["total"], line["total_tax"]) == (-1, "-2.00", "-0.42")
    assert line["product_id"] == item["product_id"]
    _, stored, _ = await shop.api("GET", f"orders/{oid}/refunds/{refund['id']}")
    assert stored["line_items"] == refund["line_items"]
    # the next order's items do not reuse the refund item's id
    (nid,) = await _orders(shop, 1)
    _, nxt, _ = await shop.api("GET", f"orders/{nid}")
    assert min(i["id"] for i in nxt["line_items"]) > line["id"]


async def test_refund_gateway_rule(shop: ShopHandle) -> None:
    order = await _paid_order(shop, method="bacs")
    oid = order["id"]
    status, body, _ = await shop.api("POST", f"orders/{oid}/refunds", json={"amount": "1.00"})
    assert (status, body["code"], body["message"]) == (
        400,
        "woocommerce_rest_cannot_create_order_refund",
        "The payment gateway for this order does not support automatic refunds.",
    )
    status, refund, _ = await shop.api(
        "POST", f"orders/{oid}/refunds", json={"amount": "1.00", "api_refund": False}
    )
    assert status == 201 and refund["refunded_payment"] is False


@pytest.mark.parametrize(
    ("payload", "param"),
    [
        ({"amount": "NaN"}, "amount"),
        ({"amount": "Infinity"}, "amount"),
        ({"amount": "1e999999"}, "amount"),
        ({"amount": [1]}, "amount"),
        ({"line_items": [{"id": "x"}]}, "line_items"),
        ({"line_items": ["x"]}, "line_items"),
        ({"line_items": "x"}, "line_items"),
        ({"line_items": [{"id": 1, "refund_total": "NaN"}]}, "line_items"),
    ],
)
async def test_refund_bad_values_are_rest_invalid_param(
    shop: ShopHandle, payload: dict[str, Any], param: str
) -> None:
    order = await _paid_order(shop)
    status, body, _ = await shop.api("POST", f"orders/{order['id']}/refunds", json=payload)
    assert status == 400 and body["code"] == "rest_invalid_param", body
    assert body["message"] == f"Invalid parameter(s): {param}"
    assert param in body["data"]["params"] and body["data"]["status"] == 400
    _, after, _ = await shop.api("GET", f"orders/{order['id']}")
    assert after["refunds"] == []
