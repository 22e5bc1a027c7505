"""``/wc/v3/orders``: list with WordPress paging and date filters, get, partial update
(status, meta, payment fields), delete/trash. Every save fires ``order.updated``."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from aiohttp import web

from fakeshop.errors import WooError, invalid_param
from fakeshop.orders_model import ORDER_STATUSES, STATUS_LABELS, change_status, upsert_meta
from fakeshop.rest.common import (
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
from fakeshop.stock import count_sales
from fakeshop.store import OrderRecord, ShopState
from fakeshop.timefmt import parse_resource_date, parse_wp_date

ORDERBY = ("date", "id", "include", "title", "slug", "modified")
STATUS_FILTER = ("any", "trash", *ORDER_STATUSES)
WRITABLE_TEXT = ("transaction_id", "customer_note", "payment_method", "payment_method_title")


def render(request: web.Request, rec: OrderRecord) -> dict[str, Any]:
    """The order resource with its ``_links``, for a response encoded right away: a new
    top level (``_links`` must not land in the stored order) that shares everything below
    it with the stored order. A result kept while other changes run (a batch item) must
    be :func:`detached`."""
    data = dict(rec.order)
    data["_links"] = links(request, f"orders/{rec.id}", "orders")
    return data


def detached(request: web.Request, rec: OrderRecord) -> dict[str, Any]:
    """:func:`render` as an independent copy: later items of a batch may change the order."""
    return copy.deepcopy(render(request, rec))


def _date_filter(request: web.Request, name: str) -> datetime | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return None
    dt = parse_wp_date(raw)
    if dt is None:
        raise invalid_param(**{name: "Invalid date."})
    return dt


def _statuses(request: web.Request) -> list[str]:
    raw = request.query.getall("status[]", []) or [request.query.get("status", "any")]
    statuses = [s.strip() for chunk in raw for s in str(chunk).split(",") if s.strip()]
    for i, s in enumerate(statuses):
        if s not in STATUS_FILTER:
            raise invalid_param(status=f"status[{i}] is not one of {', '.join(STATUS_FILTER)}.")
    return statuses or ["any"]


async def list_orders(request: web.Request) -> web.Response:
    require(request, "cannot_list")
    state = shop(request).state
    page = int_param(request, "page", 1, 1)
    per_page = int_param(request, "per_page", 10, 1, 100)
    order = enum_param(request, "order", "desc", ("asc", "desc"))
    orderby = enum_param(request, "orderby", "date", ORDERBY)
    gmt = bool_param(request, "dates_are_gmt", False)
    statuses = _statuses(request)
    filters = {
        "after": ("date_created", _date_filter(request, "after"), 1),
        "before": ("date_created", _date_filter(request, "before"), -1),
        "modified_after": ("date_modified", _date_filter(request, "modified_after"), 1),
        "modified_before": ("date_modified", _date_filter(request, "modified_before"), -1),
    }
    customer = request.query.get("customer")
    product = request.query.get("product")
    search = (request.query.get("search") or "").lower()
    include = {int(x) for x in request.query.get("include", "").split(",") if x.strip().isdigit()}
    exclude = {int(x) for x in request.query.get("exclude", "").split(",") if x.strip().isdigit()}

    def keep(rec: OrderRecord) -> bool:
        o = rec.order
        if rec.deleted:
            return False
        if "trash" in statuses:
            if not rec.trashed:
                return False
        elif rec.trashed or ("any" not in statuses and o.get("status") not in statuses):
            return False
        for fld, when, sign in (f for f in filters.values() if f[1] is not None):
            value = parse_resource_date(o.get(f"{fld}_gmt" if gmt else fld))
            if value is None or when is None:
                return False
            # WP_Query date_query after/before are exclusive, at one-second resolution
            if (sign > 0 and not value > when) or (sign < 0 and not value < when):
                return False
        if customer is not None and str(o.get("customer_id")) != customer:
            return False
        if product is not None and not any(
            str(li.get("product_id")) == product for li in o.get("line_items", [])
        ):
            return False
        if include and rec.id not in include:
            return False
        if exclude and rec.id in exclude:
            return False
        if search:
            hay = " ".join(
                str(x)
                for x in (
                    o.get("number"),
                    o.get("billing", {}).get("email"),
                    o.get("billing", {}).get("first_name"),
                    o.get("billing", {}).get("last_name"),
                )
            ).lower()
            if search not in hay:
                return False
        return True

    records = [r for r in state.orders.values() if keep(r)]
    sort_keys = {
        "date": lambda r: (r.order.get("date_created_gmt") or "", r.id),
        "modified": lambda r: (r.order.get("date_modified_gmt") or "", r.id),
        "id": lambda r: (r.id,),
        "include": lambda r: (r.id,),
        "title": lambda r: (r.id,),
        "slug": lambda r: (r.id,),
    }
    records.sort(key=sort_keys[orderby], reverse=(order == "desc"))
    chunk, headers = paginate(request, records, page, per_page)
    return wp_json([render(request, r) for r in chunk], headers=headers)


async def get_order(request: web.Request) -> web.Response:
    require(request, "cannot_view")
    rec = shop(request).state.record(route_id(request))
    return wp_json(render(request, rec))


def apply_update(
    state: ShopState, rec: OrderRecord, data: dict[str, Any], source: str
) -> dict[str, Any]:
    """``WC_REST_Orders_Controller::update_item`` for the fields a bridge writes."""
    order = copy.deepcopy(rec.order)
    ts = state.now()
    prev = str(order.get("status"))
    off = state.config.utc_offset_hours
    if "status" in data and data["status"] not in ORDER_STATUSES:
        raise invalid_param(status=f"status is not one of {', '.join(ORDER_STATUSES)}.")
    if "meta_data" in data and not (
        isinstance(data["meta_data"], list) and all(isinstance(m, dict) for m in data["meta_data"])
    ):
        raise invalid_param(meta_data="meta_data is not of type array.")
    for name in ("billing", "shipping"):
        if name in data and not isinstance(data[name], dict):
            raise invalid_param(**{name: f"{name} is not of type object."})
    for name in WRITABLE_TEXT:
        if name in data:
            order[name] = "" if data[name] is None else str(data[name])
    for name in ("billing", "shipping"):
        if name in data:
            order[name] = {**order.get(name, {}), **{k: str(v) for k, v in data[name].items()}}
    if "meta_data" in data:
        written = upsert_meta(
            order.setdefault("meta_data", []), data["meta_data"], state.next_meta_id
        )
        if source == "rest":
            state.record_received("meta", rec.id, {"meta_data": written})
    new_status = data.get("status")
    if data.get("set_paid") in (True, "true", "1", 1) and prev not in ("processing", "completed"):
        # WC_Order::payment_complete: processing, date_paid, transaction id, sales counts
        new_status = new_status or "processing"
        count_sales(state, order)
        if order.get("customer_id") in state.customers:  # wc_paying_customer
            state.customers[order["customer_id"]]["is_paying_customer"] = True
    if new_status is not None and new_status != prev:
        change_status(order, str(new_status), ts, off)
        note = state.next_note_id()
        state.notes.setdefault(rec.id, []).append(
            {
                "id": note,
                "author": "system",
                **state.dates("date_created", ts),
                "note": f"Order status changed from {STATUS_LABELS.get(prev, prev)} to "
                f"{STATUS_LABELS.get(str(new_status), str(new_status))}.",
                "customer_note": False,
            }
        )
    if "status" in data and source == "rest":
        state.record_received("status", rec.id, {"from": prev, "to": data["status"]})
    return state.commit_order(rec, order, source, prev, ts=ts)


def _editable(state: ShopState, oid: int) -> OrderRecord:
    """``WC_REST_CRUD_Controller::update_item``: an unknown id is 400 "Invalid ID."."""
    rec = state.orders.get(oid)
    if rec is None or rec.deleted:
        raise WooError("order_invalid_id_400")
    return rec


async def update_order(request: web.Request) -> web.Response:
    require(request, "cannot_edit")
    state = shop(request).state
    rec = _editable(state, route_id(request))
    apply_update(state, rec, body(request), "rest")
    return wp_json(render(request, rec))


def delete_one(state: ShopState, oid: int, force: bool) -> tuple[OrderRecord, dict[str, Any]]:
    """Trash (``order.deleted``) or, with ``force``, delete for good (no webhook)."""
    rec = state.record(oid)
    if rec.trashed and not force:
        raise WooError("order_already_trashed")
    return rec, state.trash_order(rec, force, "rest")


async def batch_orders(request: web.Request) -> web.Response:
    """``orders/batch``: create, update and (forced) delete; failures are ``{id, error}``."""
    from fakeshop.rest.batch import run_batch
    from fakeshop.rest.order_create import create

    require(request, "cannot_batch")
    state = shop(request).state

    def created(item: dict[str, Any]) -> dict[str, Any]:
        return detached(request, state.record(int(create(state, item)["id"])))

    def updated(oid: int, item: dict[str, Any]) -> dict[str, Any]:
        rec = _editable(state, oid)
        apply_update(state, rec, item, "rest")
        return detached(request, rec)

    def deleted(oid: int) -> dict[str, Any]:
        _rec, snapshot = delete_one(state, oid, True)
        return snapshot

    return wp_json(
        run_batch(
            body(request),
            create=created,
            update=updated,
            delete=deleted,
            invalid_id=WooError("order_invalid_id_400"),
        )
    )


async def delete_order(request: web.Request) -> web.Response:
    require(request, "cannot_delete")
    state = shop(request).state
    force = bool_param(request, "force", False)
    rec, snapshot = delete_one(state, route_id(request), force)
    result = render(request, rec) if not force else snapshot
    return wp_json(result)
