"""Registered customers as ``GET /wp-json/wc/v3/customers/{id}`` returns them.

WooCommerce customers are WordPress users (their own id sequence, ``wp_users``), with the
``customer`` role and ``billing_*``/``shipping_*`` user meta. The shop starts with the
catalog's registered customers (ids ≥ 1, the same ids fakesap's business partners carry);
``POST customers`` and the order generator's sign-ups add more.
"""

from __future__ import annotations

import re
from typing import Any

from fakeshop.generator.people import ascii_slug, split_name
from sapchaos.catalog import Catalog

BILLING_FIELDS = (
    "first_name",
    "last_name",
    "company",
    "address_1",
    "address_2",
    "city",
    "state",
    "postcode",
    "country",
    "email",
    "phone",
)
#: ``shipping`` has no e-mail; ``phone`` since WooCommerce 5.6
SHIPPING_FIELDS = tuple(f for f in BILLING_FIELDS if f != "email")
#: ``wp_roles()`` of a WooCommerce site, as the ``role`` filter accepts them
ROLES = (
    "all",
    "administrator",
    "editor",
    "author",
    "contributor",
    "subscriber",
    "customer",
    "shop_manager",
)
# is_email(): local@domain with a dot in the domain, no spaces
_EMAIL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


def is_email(value: str) -> bool:
    """WordPress ``is_email``, close enough: one ``@``, a dotted domain, 6+ characters."""
    return len(value) >= 6 and bool(_EMAIL.match(value))


def address(data: dict[str, Any] | None, fields: tuple[str, ...]) -> dict[str, str]:
    """An address object with every field present, values kept verbatim (as strings)."""
    data = data or {}
    return {f: "" if data.get(f) is None else str(data.get(f)) for f in fields}


def username_for(email: str, taken: set[str]) -> str:
    """``wc_create_new_username``: the e-mail's local part, suffixed until unique."""
    base = ascii_slug(email.split("@", 1)[0]).replace(".", "") or "customer"
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}{n}"
    return name


def customer_resource(
    cid: int,
    email: str,
    first_name: str,
    last_name: str,
    username: str,
    dates: dict[str, str],
    billing: dict[str, Any] | None = None,
    shipping: dict[str, Any] | None = None,
    role: str = "customer",
) -> dict[str, Any]:
    """The REST v3 customer resource (``WC_REST_Customers_Controller``)."""
    bill = address(billing, BILLING_FIELDS)
    return {
        "id": cid,
        "date_created": dates["date_created"],
        "date_created_gmt": dates["date_created_gmt"],
        "date_modified": dates["date_created"],
        "date_modified_gmt": dates["date_created_gmt"],
        "email": email,
        "first_name": first_name,
        "last_name": last_name,
        "role": role,
        "username": username,
        "billing": bill,
        "shipping": address(shipping, SHIPPING_FIELDS),
        "is_paying_customer": False,
        "avatar_url": "https://secure.gravatar.com/avatar/?s=96&d=mm&r=g",
        "meta_data": [],
    }


def seed_customers(catalog: Catalog, dates: dict[str, str]) -> dict[int, dict[str, Any]]:
    """The catalog's registered customers (id ≥ 1) as customer resources."""
    out: dict[int, dict[str, Any]] = {}
    taken: set[str] = set()
    for c in catalog.customers:
        if c.id < 1:
            continue
        first, last = split_name(c.name)
        user = username_for(c.email, taken)
        taken.add(user)
        billing = {"first_name": first, "last_name": last, "email": c.email, "country": "ES"}
        out[c.id] = customer_resource(c.id, c.email, first, last, user, dates, billing)
    return out
