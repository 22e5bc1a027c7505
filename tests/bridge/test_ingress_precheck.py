"""The ingress's quick validity check never says yes where ``OrderPayload`` says no.

``order_facts`` may answer None for a valid order (the full validator then decides), but
when it answers it must give exactly what ``parse_order_json`` gives: checked here on
generated WooCommerce orders, on thousands of single-field mutations of them and on the
JSON corner cases where two parsers could differ.
"""

from __future__ import annotations

import copy
import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bridge.ingress.precheck import order_facts
from bridge.order import ValidationError, parse_order_json

from .payloads import order_payload


def _full(body: bytes) -> tuple[int, str] | None:
    try:
        order = parse_order_json(body)
    except ValidationError:
        return None
    return order.id, order.date_modified_gmt


def _agrees(body: bytes) -> tuple[int, str] | None:
    """``order_facts`` of ``body``, after checking it is sound against the full validator."""
    quick = order_facts(body)
    if quick is not None:
        assert quick == _full(body), body[:300]
    return quick


def _generated(n: int, seed: int) -> list[dict[str, Any]]:
    from fakeshop.generator import OrderGenerator
    from sapchaos.catalog import load_catalog

    gen = OrderGenerator(load_catalog(), random.Random(seed))
    start = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    return [gen.new_order(500 + i, start + timedelta(minutes=i)) for i in range(n)]


def _php(order: dict[str, Any]) -> bytes:
    from fakeshop.webhooks.payload import php_json

    return php_json(order)


def test_well_formed_orders_take_the_quick_path_with_the_same_facts() -> None:
    bodies = [_php(o) for o in _generated(60, 3)]
    bodies += [json.dumps(order_payload(i, transaction_id="ch_1")).encode() for i in (1, 2)]
    bodies.append(json.dumps(order_payload(3, refunds=[{"id": 9, "total": "-5.00"}])).encode())
    for body in bodies:
        facts = _agrees(body)
        assert facts is not None  # the common order never needs the full validator
        assert facts == _full(body)


ODD_VALUES: list[Any] = [
    None,
    "",
    " ",
    0,
    -1,
    1,
    1.0,
    1.5,
    True,
    False,
    2**63,
    10**30,
    "abc",
    "7",
    "19.99",
    "-19.99",
    "19.999999",
    "19.9999999",
    "1.1234560",
    "999999999.999999",
    "1000000000",
    "1000000000.00",
    "-1000000000.01",
    "0012.50",
    "1e3",
    " 1.5",
    "1.5 ",
    "1_000",
    "+1",
    ".5",
    "5.",
    "NaN",
    "Infinity",
    "\u0661\u0662",
    "2026-11-23T10:00:00",
    "2026-02-30T10:00:00",
    "2026-11-23T10:00:00Z",
    "2026-11-23T10:00:00+02:00",
    "2026-11-23 10:00:00",
    "2026-11-23",
    "2026-11-23T10:00:00\n",
    "9999-12-31T23:59:59",
    {},
    {"email": None},
    [],
    [{}],
    [1],
    [{"id": 1, "sku": "X", "quantity": 1, "total": "1.00"}],
]

TOP_KEYS = [
    "id",
    "number",
    "status",
    "currency",
    "date_created_gmt",
    "date_modified_gmt",
    "date_paid_gmt",
    "customer_id",
    "transaction_id",
    "payment_method",
    "prices_include_tax",
    "total",
    "total_tax",
    "customer_note",
    "billing",
    "line_items",
    "shipping_lines",
    "fee_lines",
    "coupon_lines",
    "refunds",
    "meta_data",
]
LINE_KEYS = ["id", "sku", "quantity", "total", "total_tax", "tax_class", "name", "taxes"]
SHIP_KEYS = ["id", "method_id", "method_title", "total", "total_tax", "taxes"]
FEE_KEYS = ["id", "name", "tax_class", "tax_status", "total", "total_tax", "taxes"]
MISSING = object()


def _set(target: dict[str, Any], key: str, value: Any) -> None:
    if value is MISSING:
        target.pop(key, None)
    else:
        target[key] = copy.deepcopy(value)


def _mutate(order: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    out = copy.deepcopy(order)
    value = rng.choice([*ODD_VALUES, MISSING])
    where = rng.randrange(8)
    if where <= 2 or not out.get("line_items"):
        _set(out, rng.choice(TOP_KEYS), value)
    elif where <= 4:
        _set(rng.choice(out["line_items"]), rng.choice(LINE_KEYS), value)
    elif where == 5:
        out.setdefault("shipping_lines", []).append({"total": "4.95"})
        _set(rng.choice(out["shipping_lines"]), rng.choice(SHIP_KEYS), value)
    elif where == 6:
        out["fee_lines"] = [{"name": "Fee", "total": "1.00", "taxes": [{"id": 1}]}]
        _set(out["fee_lines"][0], rng.choice(FEE_KEYS), value)
    else:
        kind = rng.choice(["refunds", "coupon_lines", "meta_data"])
        item = {"refunds": {"id": 4, "total": "-1.00"}, "coupon_lines": {"code": "X"}}.get(
            kind, {"key": "_k", "value": [1, {"a": None}]}
        )
        out[kind] = [item]
        _set(item, rng.choice(["id", "total", "reason", "code", "key", "value"]), value)
    return out


@pytest.mark.parametrize("seed", range(4))
def test_mutated_orders_are_never_accepted_by_the_quick_path_alone(seed: int) -> None:
    rng = random.Random(seed)
    bases = [*_generated(8, seed), order_payload(9, transaction_id="ch_9")]
    quick_yes = full_yes = 0
    for _ in range(1500):
        body = json.dumps(_mutate(rng.choice(bases), rng)).encode()
        quick_yes += _agrees(body) is not None
        full_yes += _full(body) is not None
    # both answers occur: the mutations reach valid and invalid orders alike
    assert 0 < quick_yes <= full_yes < 1500


def test_json_corner_cases_follow_the_full_validator() -> None:
    good = json.dumps(order_payload(5)).encode()
    assert _agrees(good) == (5, "2026-11-23T20:11:19")
    head, tail = good[:-1], b"}"
    deep = lambda n: b"[" * n + b"]" * n  # noqa: E731
    cases = [
        b'{"id": "x", ' + good[1:],  # a later duplicate key wins in both parsers
        head + b', "id": "x"' + tail,
        head + b', "id": 6' + tail,
        head + b', "x": ' + deep(150) + tail,
        head + b', "x": ' + deep(250) + tail,  # beyond pydantic's nesting limit
        head + b', "x": 1e400' + tail,
        head + b', "x": "\\ud800"' + tail,
        head + b', "x": "\\u0000"' + tail,
        head + b', "x": 123456789012345678901234567890' + tail,
        b"\xef\xbb\xbf" + good,
        good + b" x",
        good + b"\n",
        good.replace(b'"Luc\\u00eda"', b'"Luc\xeda"'),
        b"[" + good + b"]",
        b"null",
        b"",
    ]
    for body in cases:
        _agrees(body)
    assert order_facts(head + b', "id": 6' + tail) == (6, "2026-11-23T20:11:19")
    assert order_facts(head + b', "x": ' + deep(250) + tail) is None
