"""WooCommerce order bodies the way a storefront's checkout (or a headless client) sends
them to ``POST /wp-json/wc/v3/orders``: payment method and ``set_paid``, billing and shipping
addresses, ``line_items`` by ``product_id``, a shipping line, and ``meta_data``.

The mix imitates a small Spanish shop: mostly card payments (paid at once →
``processing``), some bank transfers (``pending`` until the money arrives), and orders that
are later cancelled or refunded by the customer service. Lines are drawn across the
catalogue's tax classes (standard, reduced, super-reduced, zero rate). Every choice comes
from the caller's seeded ``random.Random``.
"""

from __future__ import annotations

import random
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

#: meta key that marks the orders of one load run (the oracle judges only those)
RUN_META_KEY = "_sapchaos_load_run"

#: intent → (weight, payment method, title, set_paid, follow-up action after the ack)
INTENTS: dict[str, tuple[int, str, str, bool, str | None]] = {
    "paid": (65, "stripe", "Tarjeta de crédito", True, None),
    "bank_transfer": (15, "bacs", "Transferencia bancaria", False, None),
    "cancelled": (10, "stripe", "Tarjeta de crédito", True, "cancel"),
    "refunded": (10, "stripe", "Tarjeta de crédito", True, "refund"),
}

_FIRST = ("Lucía", "Hugo", "Martina", "Mateo", "Sofía", "Leo", "Julia", "Daniel", "Paula", "Álvaro")
_LAST = ("García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez", "Pérez")
_CITIES = (
    ("Madrid", "M", "28013"),
    ("Barcelona", "B", "08002"),
    ("Sevilla", "SE", "41004"),
    ("Valencia", "V", "46002"),
    ("Bilbao", "BI", "48001"),
    ("Zaragoza", "Z", "50001"),
)
_SHIPPING = (
    ("flat_rate", "Envío estándar", "4.95"),
    ("free_shipping", "Envío gratuito", "0.00"),
    ("local_pickup", "Recogida en tienda", "0.00"),
)


@dataclass(frozen=True)
class Product:
    id: int
    sku: str
    price: Decimal
    tax_class: str


def products_from_rest(items: list[dict[str, Any]]) -> list[Product]:
    """Purchasable, in-stock simple products from ``GET /products``."""
    out = []
    for p in items:
        if p.get("status", "publish") != "publish" or p.get("purchasable") is False:
            continue
        if p.get("stock_status", "instock") == "outofstock" or not p.get("sku"):
            continue
        out.append(
            Product(
                int(p["id"]),
                str(p["sku"]),
                Decimal(str(p.get("price") or "0")),
                str(p.get("tax_class", "")),
            )
        )
    return out


def choose_intent(rng: random.Random) -> str:
    names = list(INTENTS)
    return rng.choices(names, weights=[INTENTS[n][0] for n in names])[0]


def order_body(
    rng: random.Random, products: list[Product], intent: str, run_id: str
) -> dict[str, Any]:
    """One checkout's ``POST /orders`` body."""
    if not products:
        raise ValueError("the shop has no purchasable products")
    _, method, title, paid, _ = INTENTS[intent]
    by_class: dict[str, list[Product]] = defaultdict(list)
    for p in products:
        by_class[p.tax_class].append(p)
    classes = sorted(by_class)
    lines: dict[int, int] = {}
    for _ in range(rng.choices((1, 2, 3, 4), weights=(45, 30, 15, 10))[0]):
        product = rng.choice(by_class[rng.choice(classes)])
        lines[product.id] = (
            lines.get(product.id, 0) + rng.choices((1, 2, 3), weights=(75, 20, 5))[0]
        )
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    city, state, postcode = rng.choice(_CITIES)
    address = {
        "first_name": first,
        "last_name": last,
        "address_1": f"Calle Mayor {rng.randint(1, 200)}",
        "city": city,
        "state": state,
        "postcode": postcode,
        "country": "ES",
    }
    ship_id, ship_title, ship_total = rng.choice(_SHIPPING)
    return {
        "payment_method": method,
        "payment_method_title": title,
        "set_paid": paid,
        "billing": {
            **address,
            "email": f"{_ascii(first)}.{_ascii(last)}{rng.randint(10, 99)}@example.com",
            "phone": f"6{rng.randint(10_000_000, 99_999_999)}",
        },
        "shipping": address,
        "line_items": [{"product_id": pid, "quantity": qty} for pid, qty in lines.items()],
        "shipping_lines": [{"method_id": ship_id, "method_title": ship_title, "total": ship_total}],
        "meta_data": [
            {"key": RUN_META_KEY, "value": run_id},
            {"key": "_sapchaos_intent", "value": intent},
        ],
    }


def _ascii(name: str) -> str:
    """``Lucía`` → ``lucia``: WordPress's ``is_email`` accepts ASCII local parts only."""
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()


def follow_up(intent: str) -> str | None:
    """What customer service does to the order once the bridge acknowledged it."""
    return INTENTS[intent][4]
