"""Magento 2 REST subset: ``GET /rest/V1/orders/{id}``, ``GET /rest/V1/orders`` with
``searchCriteria``, ``POST /rest/V1/orders/{id}/comments``; integration bearer token;
errors as ``{"message": ..., "parameters": ...}``."""

from __future__ import annotations

import contextlib
import hmac
import json
import math
import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from fakeshop.context import FAKESHOP_KEY
from fakeshop.magento.mapping import dumps, to_magento
from fakeshop.store import ShopState
from fakeshop.timefmt import iso_ms
from sapchaos.logs import get_logger

log = get_logger("fakeshop.magento")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
NOT_FOUND = "The entity that was requested doesn't exist. Verify the entity and try again."
_SC = re.compile(r"^searchCriteria\[filter_groups\]\[(\d+)\]\[filters\]\[(\d+)\]\[(\w+)\]$")
_SORT = re.compile(r"^searchCriteria\[sortOrders\]\[(\d+)\]\[(\w+)\]$")
CONDITIONS = (
    "eq",
    "neq",
    "gt",
    "gteq",
    "lt",
    "lteq",
    "like",
    "nlike",
    "in",
    "nin",
    "null",
    "notnull",
    "from",
    "to",
)


class MagentoError(Exception):
    def __init__(self, status: int, message: str, parameters: Any = None) -> None:
        super().__init__(message)
        self.status, self.message, self.parameters = status, message, parameters

    def response(self) -> web.Response:
        body: dict[str, Any] = {"message": self.message}
        if self.parameters is not None:
            body["parameters"] = self.parameters
        return web.json_response(body, status=self.status)


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(text=dumps(data), status=status, content_type="application/json")


def _state(request: web.Request) -> ShopState:
    return request.app[FAKESHOP_KEY].state


def _auth(request: web.Request, resource: str) -> None:
    token = _state(request).config.magento_token
    header = request.headers.get("Authorization", "")
    given = header[7:].strip() if header[:7].lower() == "bearer " else ""
    if not given or not hmac.compare_digest(given.encode(), token.encode()):
        raise MagentoError(
            401, "The consumer isn't authorized to access %resources.", {"resources": resource}
        )


def magento_order(state: ShopState, oid: int) -> dict[str, Any]:
    rec = state.orders.get(oid)
    if rec is None or rec.deleted:
        raise MagentoError(404, NOT_FOUND)
    override = state.magento_status.get(oid)
    return to_magento(rec.order, state.catalog, state.magento_comments.get(oid), override)


async def get_order(request: web.Request) -> web.Response:
    _auth(request, "Magento_Sales::actions_view")
    try:
        oid = int(request.match_info["id"])
    except ValueError as exc:
        raise MagentoError(404, NOT_FOUND) from exc
    return _json(magento_order(_state(request), oid))


def _match(value: Any, cond: str, target: str) -> bool:
    text = "" if value is None else str(value)
    if cond == "null":
        return value is None
    if cond == "notnull":
        return value is not None
    if cond in ("in", "nin"):
        hit = text in [t.strip() for t in target.split(",")]
        return hit if cond == "in" else not hit
    if cond in ("like", "nlike"):
        pattern = "^" + re.escape(target).replace("%", ".*").replace("_", ".") + "$"
        hit = re.match(pattern, text, re.IGNORECASE) is not None
        return hit if cond == "like" else not hit
    a: Any = text
    b: Any = target
    with contextlib.suppress(ValueError):
        a, b = float(text), float(target)
    return {
        "eq": a == b,
        "neq": a != b,
        "gt": a > b,
        "gteq": a >= b,
        "from": a >= b,
        "lt": a < b,
        "lteq": a <= b,
        "to": a <= b,
    }[cond]


def _sort_key(field: str) -> Callable[[dict[str, Any]], tuple[bool, str]]:
    def key(order: dict[str, Any]) -> tuple[bool, str]:
        value = order.get(field)
        text = f"{value:020d}" if isinstance(value, int) else str(value)
        return value is None, text

    return key


async def search_orders(request: web.Request) -> web.Response:
    _auth(request, "Magento_Sales::actions_view")
    state = _state(request)
    q = request.query
    if not any(k.startswith("searchCriteria") for k in q):
        raise MagentoError(
            400, '"%fieldName" is required. Enter and try again.', {"fieldName": "searchCriteria"}
        )
    groups: dict[int, dict[int, dict[str, str]]] = {}
    sorts: dict[int, dict[str, str]] = {}
    for key, value in q.items():
        if m := _SC.match(key):
            groups.setdefault(int(m[1]), {}).setdefault(int(m[2]), {})[m[3]] = value
        elif m := _SORT.match(key):
            sorts.setdefault(int(m[1]), {})[m[2]] = value
    for g in groups.values():
        for f in g.values():
            if f.setdefault("condition_type", "eq") not in CONDITIONS:
                raise MagentoError(400, 'Invalid condition type "%1"', [f["condition_type"]])
            if "field" not in f:
                raise MagentoError(
                    400, '"%fieldName" is required. Enter and try again.', {"fieldName": "field"}
                )
    try:
        page_size = int(q.get("searchCriteria[pageSize]", "0") or 0)
        current = int(q.get("searchCriteria[currentPage]", "1") or 1)
    except ValueError as exc:
        raise MagentoError(
            400, "The value of the searchCriteria page parameters is invalid."
        ) from exc
    orders = [magento_order(state, oid) for oid, rec in state.orders.items() if not rec.deleted]
    for g in groups.values():  # groups AND, filters within a group OR
        orders = [
            o
            for o in orders
            if any(
                _match(o.get(f["field"]), f["condition_type"], f.get("value", ""))
                for f in g.values()
            )
        ]
    for _, s in sorted(sorts.items(), reverse=True):
        orders.sort(
            key=_sort_key(s.get("field", "entity_id")),
            reverse=s.get("direction", "ASC").upper() == "DESC",
        )
    total = len(orders)
    if page_size > 0:
        # Magento clamps a page past the end to the last page (it does not answer empty)
        last = max(1, math.ceil(total / page_size))
        page = min(max(current, 1), last)
        orders = orders[(page - 1) * page_size : page * page_size]
    criteria: dict[str, Any] = {
        "filter_groups": [
            {"filters": [dict(f) for _, f in sorted(g.items())]} for _, g in sorted(groups.items())
        ]
    }
    if sorts:
        criteria["sort_orders"] = [s for _, s in sorted(sorts.items())]
    if page_size:
        criteria["page_size"] = page_size
        criteria["current_page"] = current
    return _json({"items": orders, "search_criteria": criteria, "total_count": total})


def _typed(value: Any, kind: str) -> Any:
    """The webapi deserializer's scalar conversion: ``int`` fields take integers, numeric
    strings and booleans; ``string`` fields take scalars; anything else is a 400."""
    if value is None:
        return 0 if kind == "int" else ""
    if kind == "int":
        if isinstance(value, bool | int):
            return int(value)
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value.strip())
        if value == "":
            return 0
    elif isinstance(value, str | int | float) and not isinstance(value, bool):
        return str(value)
    elif isinstance(value, bool):
        return "1" if value else ""
    shown = value if isinstance(value, str | int | float) else type(value).__name__
    raise MagentoError(
        400,
        'The "%value" value\'s type is invalid. The "%type" type was expected. '
        "Verify and try again.",
        {"value": str(shown)[:100], "type": kind},
    )


async def add_comment(request: web.Request) -> web.Response:
    _auth(request, "Magento_Sales::comment")
    state = _state(request)
    try:
        oid = int(request.match_info["id"])
        data = json.loads((await request.read()) or b"{}")
    except (ValueError, RecursionError) as exc:
        raise MagentoError(400, "Decoding error: \nSyntax error") from exc
    history = data.get("statusHistory") if isinstance(data, dict) else None
    if not isinstance(history, dict):
        raise MagentoError(
            400, '"%fieldName" is required. Enter and try again.', {"fieldName": "statusHistory"}
        )
    comment = _typed(history.get("comment", ""), "string")
    status = _typed(history.get("status"), "string") or None
    notified = _typed(history.get("is_customer_notified", 0), "int")
    visible = _typed(history.get("is_visible_on_front", 0), "int")
    magento_order(state, oid)  # 404 for unknown orders
    ts = state.now()
    comments = state.magento_comments.setdefault(oid, [])
    entry = {
        "comment": comment,
        "created_at": iso_ms(ts)[:19].replace("T", " "),
        "entity_id": len(comments) + 1,
        "entity_name": "order",
        "is_customer_notified": notified,
        "is_visible_on_front": visible,
        "parent_id": oid,
        "status": status or magento_order(state, oid)["status"],
    }
    comments.append(entry)
    if status:
        state.magento_status[oid] = str(status)
    state.record_received("comment", oid, {"comment": entry["comment"], "status": status})
    return _json(True)


@web.middleware
async def magento_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.path.startswith("/rest/"):
        return await handler(request)
    try:
        return await handler(request)
    except MagentoError as err:
        return err.response()
    except (web.HTTPNotFound, web.HTTPMethodNotAllowed):
        return MagentoError(404, "Request does not match any route.").response()
    except web.HTTPException:
        raise
    except Exception:
        log.exception("magento_handler_failed", path=request.path)
        return MagentoError(
            500, "Internal Error. Details are available in Magento log file."
        ).response()


def add_routes(app: web.Application) -> None:
    for prefix in ("/rest/V1", "/rest/default/V1", "/rest/all/V1"):
        app.router.add_get(prefix + "/orders/{id}", get_order)
        app.router.add_get(prefix + "/orders", search_orders)
        app.router.add_post(prefix + "/orders/{id}/comments", add_comment)
