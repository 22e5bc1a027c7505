"""Registered customers as ``GET /wp-json/wc/v3/customers/{id}`` returns them.

WooCommerce customers are WordPress users (their own id sequence, ``wp_users``), with the
``customer`` role and ``billing_*``/``shipping_*`` user meta. The shop starts with the
catalog's registered customers (ids ≥ 1, the same ids fakesap's business partners carry);
``POST customers`` and the order generator's sign-ups add more.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from fakeshop.errors import WooError, invalid_param
from fakeshop.generator.people import ascii_slug, split_name
from fakeshop.orders_model import upsert_meta
from sapchaos.catalog import Catalog

if TYPE_CHECKING:
    from fakeshop.store import ShopState

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


class CustomerBook:
    """Customer rules over ``ShopState.customers``: unique e-mail and username
    (``wc_create_new_customer``), partial updates, search as ``WP_User_Query`` does it."""

    def __init__(self, state: ShopState) -> None:
        self.state = state

    def by_email(self, email: str) -> dict[str, Any] | None:
        """The first account with this e-mail, case-insensitively (``email_exists``)."""
        return self.state.customer_index.by_email(self.state.customers, email)

    def create(self, data: dict[str, Any]) -> dict[str, Any]:
        """``POST customers``: e-mail required and unique; username derived when absent."""
        state = self.state
        if data.get("id") not in (None, "", 0, "0"):
            raise WooError("customer_exists")
        email = data.get("email")
        if email is None or email == "":
            raise WooError("missing_param", {"names": "email"})
        if not isinstance(email, str) or not is_email(email):
            raise invalid_param(email="Invalid email address.")
        if self.by_email(email) is not None:
            raise WooError("email_exists")
        taken = state.customer_index.usernames(state.customers)
        username = _string(data, "username")
        if username and username in taken:
            raise WooError("username_exists")
        names = {k: _string(data, k) for k in ("first_name", "last_name")}
        billing = _address_arg(data, "billing", BILLING_FIELDS)
        shipping = _address_arg(data, "shipping", SHIPPING_FIELDS)
        cid = state.next_user_id()
        res = customer_resource(
            cid,
            email,
            names["first_name"],
            names["last_name"],
            username or username_for(email, taken),
            state.dates("date_created", state.now()),
            billing,
            shipping,
        )
        _meta(state, res, data)
        state.customers[cid] = res
        state.customer_index.added(state.customers, res)
        state.emit_resource("customer.created", cid, res, "rest")  # woocommerce_new_customer
        return res

    def update(self, cid: int, data: dict[str, Any]) -> dict[str, Any]:
        """``PUT customers/{id}``: username is not editable; a new e-mail must be free."""
        res = self.state.customers.get(cid)
        if res is None:
            raise WooError("customer_invalid_id_400")
        if "username" in data and data["username"] not in (None, "", res["username"]):
            raise WooError("username_not_editable")
        changes: dict[str, Any] = {}
        if data.get("email") not in (None, ""):
            email = data["email"]
            if not isinstance(email, str) or not is_email(email):
                raise invalid_param(email="Invalid email address.")
            other = self.by_email(email)
            if other is not None and other["id"] != cid:
                raise WooError("customer_invalid_email")
            changes["email"] = email
        for key in ("first_name", "last_name"):
            if key in data:
                changes[key] = _string(data, key)
        for key, fields in (("billing", BILLING_FIELDS), ("shipping", SHIPPING_FIELDS)):
            if key in data and data[key] is not None:
                given = _address_arg(data, key, fields)
                sent = data[key] if isinstance(data[key], dict) else {}
                changes[key] = {f: given[f] if f in sent else res[key][f] for f in fields}
        res.update(changes)
        if "email" in changes:
            self.state.customer_index.invalidate()
        _meta(self.state, res, data)
        res.update(self.state.dates("date_modified", self.state.now()))
        self.state.emit_resource("customer.updated", cid, res, "rest")  # profile_update
        return res

    def delete(self, cid: int) -> dict[str, Any]:
        """``wp_delete_user``: gone; their orders keep living as guest orders
        (``wc_reset_order_customer_id_on_deleted_user`` writes the database directly,
        so no ``order.updated`` fires)."""
        res = self.state.customers.pop(cid, None)
        if res is None:
            raise WooError("customer_invalid_id_400")
        for rec in self.state.orders.values():
            if rec.order.get("customer_id") == cid:
                rec.order["customer_id"] = 0
        self.state.emit_resource("customer.deleted", cid, res, "rest")  # delete_user
        return res

    def search(
        self, *, email: str | None, role: str, search: str, include: set[int], exclude: set[int]
    ) -> list[dict[str, Any]]:
        """``GET customers`` filters: exact e-mail, role (``all`` for any), and ``search``
        as ``*term*`` over login, e-mail, URL, nicename and display name."""
        term = search.lower()
        out = []
        for res in self.state.customers.values():
            if email is not None and res["email"].lower() != email.lower():
                continue
            if role != "all" and res["role"] != role:
                continue
            if include and res["id"] not in include:
                continue
            if res["id"] in exclude:
                continue
            if term:
                hay = " ".join(
                    (res["username"], res["email"], f"{res['first_name']} {res['last_name']}")
                ).lower()
                if term not in hay:
                    continue
            out.append(res)
        return out


def _string(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if isinstance(value, dict | list):
        raise invalid_param(**{key: f"{key} is not of type string."})
    return str(value)


def _address_arg(data: dict[str, Any], key: str, fields: tuple[str, ...]) -> dict[str, str]:
    raw = data.get(key)
    if raw is None:
        return address({}, fields)
    if not isinstance(raw, dict):
        raise invalid_param(**{key: f"{key} is not of type object."})
    for name, value in raw.items():
        if isinstance(value, dict | list):
            raise invalid_param(**{key: f"{key}[{name}] is not of type string."})
    email = raw.get("email")
    if "email" in fields and email not in (None, "") and not is_email(str(email)):
        raise invalid_param(**{key: "Invalid email address."})
    return address(raw, fields)


def _meta(state: ShopState, res: dict[str, Any], data: dict[str, Any]) -> None:
    meta = data.get("meta_data")
    if meta is None:
        return
    if not (isinstance(meta, list) and all(isinstance(m, dict) for m in meta)):
        raise invalid_param(meta_data="meta_data is not of type array.")
    upsert_meta(res.setdefault("meta_data", []), meta, state.next_meta_id)


def register_guest(state: ShopState, billing: dict[str, Any], shipping: dict[str, Any]) -> int:
    """A guest who ticks "create an account" at checkout: a new customer with the order's
    addresses; 0 (stays a guest) when the e-mail already has an account."""
    email = str(billing.get("email", ""))
    if not is_email(email) or CustomerBook(state).by_email(email) is not None:
        return 0
    taken = state.customer_index.usernames(state.customers)
    cid = state.next_user_id()
    state.customers[cid] = customer_resource(
        cid,
        email,
        str(billing.get("first_name", "")),
        str(billing.get("last_name", "")),
        username_for(email, taken),
        state.dates("date_created", state.now()),
        billing,
        shipping,
    )
    state.customer_index.added(state.customers, state.customers[cid])
    # checkout registration: user_register / woocommerce_created_customer
    state.emit_resource("customer.created", cid, state.customers[cid], "generator")
    return cid
