"""``WC_REST_Controller::batch_items``: ``create``, ``update`` and ``delete`` lists in one
request (at most 100 objects, else 413), each item run as its own request. An item that
fails is answered as ``{"id": …, "error": {"code", "message", "data"}}`` inside the 200
response; the others still apply. Deletes in a batch are always forced."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from fakeshop.errors import WooError, invalid_param
from fakeshop.wp_types import wp_integer

LIMIT = 100


def run_batch(
    data: dict[str, Any],
    *,
    create: Callable[[dict[str, Any]], dict[str, Any]],
    update: Callable[[int, dict[str, Any]], dict[str, Any]],
    delete: Callable[[int], dict[str, Any]],
    invalid_id: WooError,
) -> dict[str, list[dict[str, Any]]]:
    groups = {k: data.get(k) or [] for k in ("create", "update", "delete")}
    for name, items in groups.items():
        if not isinstance(items, list):
            raise invalid_param(**{name: f"{name} is not of type array."})
    if sum(len(v) for v in groups.values()) > LIMIT:
        raise WooError("batch_too_large", {"limit": str(LIMIT)})
    out: dict[str, list[dict[str, Any]]] = {}
    if groups["create"]:
        out["create"] = [_one(0, partial(_create, create, item)) for item in groups["create"]]
    if groups["update"]:
        results = []
        for item in groups["update"]:
            ident = _id(item.get("id") if isinstance(item, dict) else None)
            if ident is None:
                results.append({"id": 0, "error": invalid_id.item_error()})
                continue
            results.append(_one(ident, partial(update, ident, item)))
        out["update"] = results
    if groups["delete"]:
        results = []
        for raw in groups["delete"]:
            ident = _id(raw.get("id") if isinstance(raw, dict) else raw)
            if ident is None:
                results.append({"id": 0, "error": invalid_id.item_error()})
                continue
            results.append(_one(ident, partial(delete, ident)))
        out["delete"] = results
    return out


def _create(create: Callable[[dict[str, Any]], dict[str, Any]], item: Any) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise invalid_param(create="create[] items must be objects.")
    return create(item)


def _id(raw: Any) -> int | None:
    value = wp_integer(raw) if raw is not None else None
    return value if value is not None and 0 < value < 2**63 else None


def _one(ident: int, call: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    try:
        return call()
    except WooError as err:
        return {"id": ident, "error": err.item_error()}
