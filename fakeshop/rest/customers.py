"""``/wc/v3/customers``: registered customers (WordPress users with the ``customer``
role). Create (unique e-mail), read, update, delete (``force`` only: customers cannot be
trashed, 501), list with ``email``, ``role`` and ``search`` filters, and batch."""

from __future__ import annotations

import copy
from typing import Any

from aiohttp import web

from fakeshop.customers import ROLES, CustomerBook
from fakeshop.errors import WooError
from fakeshop.rest.batch import run_batch
from fakeshop.rest.common import (
    API_PREFIX,
    body,
    bool_param,
    enum_param,
    int_param,
    links,
    paginate,
    require,
    route_id,
    shop,
    wp_json,
)

ORDERBY = ("id", "include", "name", "registered_date")


def render(request: web.Request, res: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(res)
    data["_links"] = links(request, f"customers/{res['id']}", "customers")
    return data


def _ids(request: web.Request, name: str) -> set[int]:
    raw = ",".join(request.query.getall(name, []) + request.query.getall(f"{name}[]", []))
    return {int(x) for x in raw.split(",") if x.strip().isdigit()}


async def list_customers(request: web.Request) -> web.Response:
    require(request, "cannot_list")
    book = CustomerBook(shop(request).state)
    page = int_param(request, "page", 1, 1)
    per_page = int_param(request, "per_page", 10, 1, 100)
    role = enum_param(request, "role", "customer", ROLES)
    order = enum_param(request, "order", "asc", ("asc", "desc"))
    orderby = enum_param(request, "orderby", "name", ORDERBY)
    email = request.query.get("email") or None
    items = book.search(
        email=email,
        role=role,
        search=request.query.get("search", ""),
        include=_ids(request, "include"),
        exclude=_ids(request, "exclude"),
    )
    keys = {
        "id": lambda c: (c["id"],),
        "include": lambda c: (c["id"],),
        "name": lambda c: (c["username"].lower(), c["id"]),  # display_name = user_login
        "registered_date": lambda c: (c["date_created_gmt"], c["id"]),
    }
    items.sort(key=keys[orderby], reverse=order == "desc")
    chunk, headers = paginate(request, items, page, per_page)
    return wp_json([render(request, c) for c in chunk], headers=headers)


async def get_customer(request: web.Request) -> web.Response:
    require(request, "cannot_view")
    res = shop(request).state.customers.get(route_id(request))
    if res is None:
        raise WooError("customer_invalid_id")
    return wp_json(render(request, res))


async def create_customer(request: web.Request) -> web.Response:
    require(request, "cannot_create")
    res = CustomerBook(shop(request).state).create(body(request))
    loc = f"{request.scheme}://{request.host}{API_PREFIX}/customers/{res['id']}"
    return wp_json(render(request, res), status=201, headers={"Location": loc})


async def update_customer(request: web.Request) -> web.Response:
    require(request, "cannot_edit")
    res = CustomerBook(shop(request).state).update(route_id(request), body(request))
    return wp_json(render(request, res))


async def delete_customer(request: web.Request) -> web.Response:
    require(request, "cannot_delete")
    if not bool_param(request, "force", False):
        raise WooError("trash_not_supported", {"what": "Customers"})
    res = CustomerBook(shop(request).state).delete(route_id(request))
    return wp_json(render(request, res))


async def batch_customers(request: web.Request) -> web.Response:
    require(request, "cannot_batch")
    book = CustomerBook(shop(request).state)
    return wp_json(
        run_batch(
            body(request),
            create=lambda item: render(request, book.create(item)),
            update=lambda cid, item: render(request, book.update(cid, item)),
            delete=lambda cid: render(request, book.delete(cid)),
            invalid_id=WooError("customer_invalid_id_400"),
        )
    )
