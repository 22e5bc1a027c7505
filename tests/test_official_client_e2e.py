"""An order created with WooCommerce's official Python client over REST reaches SAP once.

This is the path a real shop takes (checkout or an admin's REST call creates the order,
WooCommerce fires ``order.created``), driven end to end through the pytest plugin's stack
with the reference bridge: fakeshop → proxy → bridge → proxy → fakesap, then the
confirmation note back in the shop, judged by the oracle.
"""

from __future__ import annotations

from decimal import Decimal

from woocommerce import API

from sapchaos.testing import FakeSapClient, FakeShopClient, Stack


def test_official_client_order_is_carried_to_sap(
    sapchaos_stack: Stack, fakeshop: FakeShopClient, fakesap: FakeSapClient
) -> None:
    wc = API(
        url=fakeshop.url,
        consumer_key=fakeshop.key,
        consumer_secret=fakeshop.secret,
        version="wc/v3",
        timeout=30,
    )
    resp = wc.post(
        "orders",
        {
            "payment_method": "bacs",
            "set_paid": True,
            "billing": {
                "first_name": "Ana",
                "last_name": "Pérez",
                "email": "ana@example.com",
                "country": "ES",
            },
            "line_items": [
                {"product_id": 101, "quantity": 2},
                {"sku": "MUG-LOGO", "quantity": 1},
            ],
        },
    )
    assert resp.status_code == 201, resp.text
    order = resp.json()
    assert resp.headers["Location"].endswith(f"/wp-json/wc/v3/orders/{order['id']}")

    assert sapchaos_stack.wait_quiescent(timeout=60)
    sapchaos_stack.verdict().assert_passed()

    [doc] = fakesap.orders(key=f"wc:{order['id']}:order")
    lines = {line["ItemCode"]: Decimal(str(line["Quantity"])) for line in doc["DocumentLines"]}
    assert lines == {"TSH-RED-M": Decimal(2), "MUG-LOGO": Decimal(1)}
    assert Decimal(str(doc["DocTotal"])) == Decimal(order["total"])
    notes = wc.get(f"orders/{order['id']}/notes").json()
    assert any(str(doc["DocNum"]) in n["note"] for n in notes), notes
