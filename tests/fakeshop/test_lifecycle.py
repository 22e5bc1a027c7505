"""Lifecycle plans are valid WooCommerce status paths; steps and refunds stay consistent."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fakeshop.generator import GeneratorSettings, OrderGenerator
from fakeshop.lifecycle import (
    LifecycleError,
    LifecycleMix,
    RefundError,
    Step,
    apply_step,
    compute_refund,
    is_valid_path,
    plan_lifecycle,
)
from sapchaos.catalog import load_catalog

CAT = load_catalog()
T0 = datetime(2026, 7, 1, 10, 0, 0, tzinfo=UTC)


def order(seed: int = 1, method: str | None = None, **kw: Any) -> dict[str, Any]:
    g = OrderGenerator(CAT, random.Random(seed), GeneratorSettings(**kw))
    o = g.new_order(500, T0)
    if method:
        o["payment_method"] = method
    return o


def run(
    o: dict[str, Any], actions: list[str], rng: random.Random | None = None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    rng = rng or random.Random(0)
    refunds = []
    now = T0
    for n, a in enumerate(actions):
        now += timedelta(seconds=5)
        res = apply_step(o, Step(a, 5.0), now, rng, refund_id=900 + n)
        o = res.order
        if res.refund:
            refunds.append(res.refund)
    return o, refunds


def test_plans_are_valid_paths_and_follow_the_mix() -> None:
    rng = random.Random(5)
    mix = LifecycleMix()
    plans = [plan_lifecycle(rng, mix) for _ in range(4000)]
    assert all(is_valid_path(p) for p in plans)
    first = Counter(p[0].action if p else "none" for p in plans)
    paid = sum(any(s.action == "pay" for s in p) for p in plans)
    assert abs(paid / 4000 - mix.pay) < 0.03
    cancelled_unpaid = sum(
        p[-1].action == "cancel" and not any(s.action == "pay" for s in p) for p in plans if p
    )
    assert abs(cancelled_unpaid / 4000 - mix.cancel_unpaid) < 0.02
    completed = sum(any(s.action == "complete" for s in p) for p in plans)
    assert abs(completed / 4000 - mix.complete) < 0.04
    assert first["none"] > 0 and first["pay"] > 0
    assert all(s.after_s >= 0 for p in plans for s in p)


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32), pay=st.floats(0, 1), hold=st.floats(0, 1))
def test_plans_valid_for_any_mix(seed: int, pay: float, hold: float) -> None:
    mix = LifecycleMix(
        pay=pay,
        hold=hold,
        cancel_unpaid=(1 - pay) / 2,
        cancel_paid=pay / 3,
        refund_full=pay / 3,
        refund_partial=pay / 2,
        complete=pay / 2,
    )
    plan = plan_lifecycle(random.Random(seed), mix)
    assert is_valid_path(plan)
    actions = [s.action for s in plan]
    if "refund_partial" in actions or "refund_full" in actions or "complete" in actions:
        assert "pay" in actions and actions.index("pay") < min(
            actions.index(a) for a in ("refund_partial", "refund_full", "complete") if a in actions
        )


def test_invalid_paths_are_rejected() -> None:
    assert not is_valid_path([Step("refund_full", 0)])
    assert not is_valid_path([Step("complete", 0)])
    assert not is_valid_path([Step("pay", 0), Step("cancel", 0), Step("pay", 0), Step("pay", 0)])
    assert not is_valid_path([Step("hold", 0), Step("complete", 0)])
    assert not is_valid_path([Step("teleport", 0)])
    assert is_valid_path(
        [Step("hold", 0), Step("pay", 0), Step("complete", 0), Step("refund_full", 0)]
    )


def test_pay_sets_paid_fields_and_modified_date() -> None:
    o = order(method="stripe")
    res = apply_step(o, Step("pay", 1.0), T0 + timedelta(seconds=3), random.Random(1), refund_id=0)
    p = res.order
    assert (res.from_status, res.to_status) == ("pending", "processing")
    assert p["transaction_id"].startswith("pi_")
    assert p["date_paid_gmt"] == "2026-07-01T10:00:03" and p["date_paid"] == "2026-07-01T12:00:03"
    assert p["date_modified_gmt"] == "2026-07-01T10:00:03"
    assert p["needs_payment"] is False and p["is_editable"] is False
    assert o["status"] == "pending"  # the input is not mutated


def test_bank_transfer_pay_has_no_transaction_id() -> None:
    p, _ = run(order(method="bacs"), ["hold", "pay"])
    assert p["status"] == "processing" and p["transaction_id"] == ""


def test_complete_sets_date_completed() -> None:
    p, _ = run(order(), ["pay", "complete"])
    assert p["status"] == "completed" and p["date_completed_gmt"] == "2026-07-01T10:00:10"


def test_unhold_goes_back_to_where_it_was() -> None:
    assert run(order(), ["hold", "unhold"])[0]["status"] == "pending"
    assert run(order(), ["pay", "hold", "unhold"])[0]["status"] == "processing"


def test_steps_not_allowed_raise() -> None:
    with pytest.raises(LifecycleError):
        run(order(), ["complete"])
    with pytest.raises(LifecycleError):
        run(order(), ["refund_partial"])
    with pytest.raises(LifecycleError):
        run(order(), ["cancel", "pay"])


def test_full_refund_refunds_everything_and_sets_status() -> None:
    p, refunds = run(
        order(seed=3, method="stripe", coupon_share=1.0, fee_share=1.0),
        ["pay", "complete", "refund_full"],
    )
    assert p["status"] == "refunded"
    r = refunds[0]
    assert r["amount"] == p["total"]
    assert p["refunds"] == [{"id": r["id"], "reason": r["reason"], "total": "-" + p["total"]}]
    assert r["refunded_payment"] is True
    refunded = sum(
        D(li["total"]) + D(li["total_tax"])
        for k in ("line_items", "shipping_lines", "fee_lines")
        for li in r[k]
    )
    assert -refunded == D(p["total"])
    for li in r["line_items"]:
        assert li["quantity"] < 0 and D(li["total"]) <= 0
        assert li["meta_data"][0]["key"] == "_refunded_item_id"


def test_partial_then_full_refund_never_exceeds_total() -> None:
    for seed in range(40):
        rng = random.Random(seed)
        p, refunds = run(
            order(seed=seed, method="paypal"), ["pay", "refund_partial", "refund_full"], rng
        )
        assert p["status"] == "refunded"
        assert sum(D(r["amount"]) for r in refunds) == D(p["total"])
        assert D(refunds[0]["amount"]) < D(p["total"])


def test_partial_refund_keeps_status() -> None:
    p, refunds = run(order(seed=4, method="cod"), ["pay", "complete", "refund_partial"])
    assert p["status"] == "completed" and len(p["refunds"]) == 1
    assert refunds[0]["refunded_payment"] is False  # cash on delivery is refunded by hand


def test_random_lifecycles_stay_consistent() -> None:
    rng = random.Random(77)
    mix = LifecycleMix(refund_full=0.2, refund_partial=0.4, cancel_paid=0.1)
    g = OrderGenerator(CAT, random.Random(8), GeneratorSettings(prices_include_tax=True))
    rid = 10_000
    for i in range(300):
        o = g.new_order(i + 1, T0)
        now = T0
        for step in plan_lifecycle(rng, mix):
            now += timedelta(seconds=step.after_s)
            rid += 1
            res = apply_step(o, step, now, rng, rid)
            o = res.order
            refunded = -sum(D(r["total"]) for r in o["refunds"])
            assert refunded <= D(o["total"])
            assert (o["status"] == "refunded") == (refunded == D(o["total"]) and refunded > 0)


# -- compute_refund: the REST POST orders/{id}/refunds rules --------------------------------


def paid(method: str = "stripe") -> dict[str, Any]:
    return run(order(seed=2, method=method), ["pay"])[0]


def test_refund_more_than_remaining_is_refused_like_woocommerce() -> None:
    o = paid()
    too_much = str(D(o["total"]) + D("0.01"))
    with pytest.raises(RefundError) as exc:
        compute_refund(o, {"amount": too_much}, refund_id=1, now=T0)
    err = exc.value
    assert isinstance(err, ValueError)
    assert err.to_wire() == {
        "code": "woocommerce_rest_cannot_create_order_refund",
        "message": "Invalid refund amount.",
        "data": {"status": 500},
    }


def test_negative_refund_is_400() -> None:
    with pytest.raises(RefundError) as exc:
        compute_refund(paid(), {"amount": "-1"}, refund_id=1, now=T0)
    assert (exc.value.code, exc.value.status) == ("woocommerce_rest_invalid_order_refund", 400)


def test_garbage_amount_is_invalid_param() -> None:
    with pytest.raises(RefundError) as exc:
        compute_refund(paid(), {"amount": "lots"}, refund_id=1, now=T0)
    assert exc.value.code == "rest_invalid_param" and exc.value.status == 400
    assert "amount" in exc.value.to_wire()["data"]["params"]


def test_api_refund_through_gateway_without_refunds_fails() -> None:
    o = paid("bacs")
    with pytest.raises(RefundError) as exc:
        compute_refund(o, {"amount": "1.00"}, refund_id=1, now=T0)
    assert (
        exc.value.message
        == "The payment gateway for this order does not support automatic refunds."
    )
    r = compute_refund(o, {"amount": "1.00", "api_refund": False}, refund_id=1, now=T0)
    assert r["refunded_payment"] is False and r["amount"] == "1.00"


def test_amount_from_line_items_when_missing() -> None:
    o = paid()
    li = o["line_items"][0]
    body = {
        "reason": "Talla equivocada",
        "line_items": [
            {
                "id": li["id"],
                "quantity": 1,
                "refund_total": "5.00",
                "refund_tax": [{"id": li["taxes"][0]["id"], "refund_total": "1.05"}],
            },
            {
                "id": 999999,
                "quantity": 1,
                "refund_total": "1.00",
            },  # not an item of this order: ignored
        ],
    }
    r = compute_refund(o, body, refund_id=77, now=T0)
    assert r["amount"] == "7.05"  # amounts are summed, unknown items are not refunded
    assert len(r["line_items"]) == 1
    lr = r["line_items"][0]
    assert (lr["quantity"], lr["total"], lr["total_tax"], lr["refund_total"]) == (
        -1,
        "-5.00",
        "-1.05",
        5.0,
    )
    assert lr["taxes"] == [{"id": li["taxes"][0]["id"], "total": "-1.05", "subtotal": "-1.05"}]
    assert r["id"] == 77 and r["reason"] == "Talla equivocada"
    assert (
        r["date_created"] == "2026-07-01T12:00:00"
        and r["date_created_gmt"] == "2026-07-01T10:00:00"
    )
    assert r["_links"]["up"][0]["href"].endswith("/orders/500")
