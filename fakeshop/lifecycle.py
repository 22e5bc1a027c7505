"""What happens to a WooCommerce order after checkout: payment, holds, cancellation,
completion and refunds, as seeded plans of valid status changes.

Each action is a small unit registered in :data:`ACTIONS` with the statuses it may start
from, imitating what a gateway callback (``payment_complete``), an admin (hold, cancel,
complete) or ``wc_create_refund`` does to the REST order resource.
"""

from __future__ import annotations

import copy
import math
import random
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any

from fakeshop.generator.refunds import (
    REFUNDABLE_GATEWAYS,
    RefundError,
    add_refund,
    compute_refund,
    full_refund_body,
    partial_line_body,
    remaining_refund_amount,
)
from fakeshop.generator.settings import order_tz, wp_dates
from fakeshop.taxes import ZERO, money_str, round_half_up

__all__ = [
    "ACTIONS",
    "LifecycleError",
    "LifecycleMix",
    "RefundError",
    "Step",
    "StepResult",
    "add_refund",
    "apply_step",
    "compute_refund",
    "is_valid_path",
    "plan_lifecycle",
]

REFUND_REASONS = (
    "Producto dañado en el envío",
    "El cliente lo devolvió",
    "Talla equivocada",
    "",
)


class LifecycleError(ValueError):
    """An action that WooCommerce's status rules do not allow from the current status."""


@dataclass
class LifecycleMix:
    """Probabilities per order (absolute, not conditional) and the mean pause between steps.

    ``pay``: the order gets paid; ``cancel_unpaid``: an unpaid order is cancelled (else it
    stays pending); ``hold``: it spends time on-hold (before payment, as bank transfers do,
    or after it, as a fraud review); ``cancel_paid``/``refund_full``: how a paid order
    ends besides staying processing/completed; ``refund_partial``: a paid order gets a
    partial refund; ``complete``: a paid order is marked completed.
    """

    pay: float = 0.9
    hold: float = 0.05
    cancel_unpaid: float = 0.05
    cancel_paid: float = 0.03
    refund_full: float = 0.03
    refund_partial: float = 0.05
    complete: float = 0.3
    #: mean seconds between consecutive steps (exponentially distributed); 0 = no pause
    mean_step_s: float = 1.0

    def __post_init__(self) -> None:
        for name in (
            "pay",
            "hold",
            "cancel_unpaid",
            "cancel_paid",
            "refund_full",
            "refund_partial",
            "complete",
        ):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be within 0..1, got {value!r}")
        eps = 1e-9
        if self.cancel_unpaid > 1.0 - self.pay + eps:
            raise ValueError("cancel_unpaid cannot exceed the unpaid share (1 - pay)")
        if self.cancel_paid + self.refund_full > self.pay + eps:
            raise ValueError("cancel_paid + refund_full cannot exceed pay")
        if self.complete > self.pay + eps or self.refund_partial > self.pay + eps:
            raise ValueError("complete and refund_partial cannot exceed pay")
        if not math.isfinite(self.mean_step_s) or self.mean_step_s < 0:
            raise ValueError("mean_step_s must be a finite number >= 0")


@dataclass(frozen=True)
class Step:
    """One action, ``after_s`` seconds after the previous step (the first: after creation)."""

    action: str
    after_s: float


@dataclass
class StepResult:
    order: dict[str, Any]
    refund: dict[str, Any] | None
    from_status: str
    to_status: str


@dataclass(frozen=True)
class StepContext:
    order: dict[str, Any]  # a private copy the action may change
    now: datetime
    rng: random.Random
    refund_id: int
    tz: tzinfo
    next_item_id: Callable[[], int] | None


ActionFn = Callable[[StepContext], dict[str, Any] | None]


@dataclass(frozen=True)
class Action:
    name: str
    allowed_from: frozenset[str]
    needs_paid: bool
    run: ActionFn


def _is_paid(order: dict[str, Any]) -> bool:
    return bool(order.get("date_paid_gmt") or order.get("date_paid"))


def _set_status(ctx: StepContext, status: str) -> None:
    o = ctx.order
    o["status"] = status
    if status in ("processing", "completed") and not _is_paid(o):
        o.update(wp_dates("date_paid", ctx.now, ctx.tz))  # WC_Order::maybe_set_date_paid
    if status == "completed" and not o.get("date_completed_gmt"):
        o.update(wp_dates("date_completed", ctx.now, ctx.tz))
    o["is_editable"] = status in ("pending", "on-hold", "auto-draft")
    o["needs_payment"] = (
        status in ("pending", "failed") and Decimal(str(o.get("total", "0"))) > ZERO
    )


def transaction_id(method: str, rng: random.Random) -> str:
    """Gateway transaction ids: Stripe payment intents, PayPal capture ids; none for bacs/cod."""
    alnum = string.ascii_letters + string.digits
    if method == "stripe":
        return "pi_3" + "".join(rng.choice(alnum) for _ in range(23))
    if method in ("paypal", "ppcp-gateway"):
        return "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(17))
    return ""


def _pay(ctx: StepContext) -> None:
    """``WC_Order::payment_complete`` (what ``set_paid: true`` does): transaction id, paid date, processing."""
    tid = transaction_id(str(ctx.order.get("payment_method", "")), ctx.rng)
    if tid and not ctx.order.get("transaction_id"):
        ctx.order["transaction_id"] = tid
    _set_status(ctx, "processing")


def _hold(ctx: StepContext) -> None:
    _set_status(ctx, "on-hold")


def _unhold(ctx: StepContext) -> None:
    _set_status(ctx, "processing" if _is_paid(ctx.order) else "pending")


def _cancel(ctx: StepContext) -> None:
    _set_status(ctx, "cancelled")


def _complete(ctx: StepContext) -> None:
    _set_status(ctx, "completed")


def _api_refund(order: dict[str, Any]) -> bool:
    """Admins refund card/PayPal orders through the gateway, bank transfers and COD by hand."""
    return str(order.get("payment_method", "")) in REFUNDABLE_GATEWAYS


def _refund(ctx: StepContext, body: dict[str, Any]) -> dict[str, Any]:
    refund = compute_refund(
        ctx.order,
        body,
        refund_id=ctx.refund_id,
        now=ctx.now,
        next_item_id=ctx.next_item_id,
        tz=ctx.tz,
    )
    updated = add_refund(ctx.order, refund, ctx.now, ctx.tz)
    ctx.order.clear()
    ctx.order.update(updated)
    if ctx.order["status"] == "refunded":
        _set_status(ctx, "refunded")
    return refund


def _refund_full(ctx: StepContext) -> dict[str, Any]:
    body = full_refund_body(ctx.order, ctx.rng.choice(REFUND_REASONS), _api_refund(ctx.order))
    return _refund(ctx, body)


def _refund_partial(ctx: StepContext) -> dict[str, Any]:
    rng, order = ctx.rng, ctx.order
    reason = rng.choice(REFUND_REASONS)
    lines = order.get("line_items") or []
    body = None
    if lines:
        idx = rng.randrange(len(lines))
        body = partial_line_body(
            order, (idx, rng.randint(1, int(lines[idx]["quantity"]))), reason, _api_refund(order)
        )
    if body is None:
        remaining = remaining_refund_amount(order)
        amount = round_half_up(remaining * Decimal(str(round(rng.uniform(0.1, 0.5), 2))))
        if amount <= ZERO or amount >= remaining:
            raise LifecycleError("nothing left to refund partially")
        body = {"amount": money_str(amount), "reason": reason, "api_refund": _api_refund(order)}
    return _refund(ctx, body)


def _register(
    name: str, allowed: Sequence[str], needs_paid: bool, fn: Callable[[StepContext], Any]
) -> Action:
    return Action(name, frozenset(allowed), needs_paid, fn)


#: action name → the statuses it may start from; paid-only actions also need ``date_paid``
ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        _register("pay", ("pending", "on-hold", "failed"), False, _pay),
        _register("hold", ("pending", "processing"), False, _hold),
        _register("unhold", ("on-hold",), False, _unhold),
        _register("cancel", ("pending", "on-hold", "processing", "failed"), False, _cancel),
        _register("complete", ("processing",), True, _complete),
        _register(
            "refund_full", ("processing", "completed", "on-hold", "cancelled"), True, _refund_full
        ),
        _register("refund_partial", ("processing", "completed", "on-hold"), True, _refund_partial),
    )
}
#: status each action leads to (``None``: unchanged / depends on payment)
RESULT_STATUS: dict[str, str | None] = {
    "pay": "processing",
    "hold": "on-hold",
    "unhold": None,
    "cancel": "cancelled",
    "complete": "completed",
    "refund_full": "refunded",
    "refund_partial": None,
}


def is_valid_path(steps: Sequence[Step], start: str = "pending") -> bool:
    """True when every step is allowed from the status the previous steps lead to."""
    status, paid = start, False
    for step in steps:
        action = ACTIONS.get(step.action)
        if action is None or status not in action.allowed_from or (action.needs_paid and not paid):
            return False
        if step.action == "pay":
            paid = True
        nxt = RESULT_STATUS[step.action]
        if step.action == "unhold":
            nxt = "processing" if paid else "pending"
        status = nxt or status
    return True


def plan_lifecycle(rng: random.Random, mix: LifecycleMix) -> list[Step]:
    """A seeded, valid WooCommerce status path for one order (may be empty: stays pending)."""
    actions: list[str] = []
    if rng.random() >= mix.pay:
        unpaid = 1.0 - mix.pay
        if unpaid > 0 and rng.random() < mix.cancel_unpaid / unpaid:
            if rng.random() < mix.hold:
                actions.append("hold")
            actions.append("cancel")
    else:
        if rng.random() < mix.hold:
            actions += ["hold", "pay"] if rng.random() < 0.5 else ["pay", "hold", "unhold"]
        else:
            actions.append("pay")
        r = rng.random() * mix.pay
        ending = (
            "cancel"
            if r < mix.cancel_paid
            else "refund_full"
            if r < mix.cancel_paid + mix.refund_full
            else None
        )
        complete = rng.random() * mix.pay < mix.complete
        partial = rng.random() * mix.pay < mix.refund_partial
        if ending == "cancel":
            actions += ["refund_partial", "cancel"] if partial else ["cancel"]
        else:
            if complete:
                actions.append("complete")
            if partial:
                actions.append("refund_partial")
            if ending == "refund_full":
                actions.append("refund_full")
    rate = 1.0 / mix.mean_step_s if mix.mean_step_s > 0 else 0.0
    return [Step(a, rng.expovariate(rate) if rate else 0.0) for a in actions]


def apply_step(
    order: dict[str, Any],
    step: Step,
    now: datetime,
    rng: random.Random,
    refund_id: int,
    *,
    tz: tzinfo | None = None,
    next_item_id: Callable[[], int] | None = None,
) -> StepResult:
    """Apply one step to a copy of ``order``; ``date_modified(_gmt)`` becomes ``now``.

    ``refund_id`` is used only by refund steps (WooCommerce takes it from the post id
    sequence shared with orders). Raises :class:`LifecycleError` for a step the current
    status does not allow, :class:`RefundError` for a refund WooCommerce would refuse.
    """
    action = ACTIONS.get(step.action)
    if action is None:
        raise LifecycleError(f"unknown lifecycle action {step.action!r}")
    before = str(order.get("status", "pending"))
    if before not in action.allowed_from:
        raise LifecycleError(f"cannot {step.action} an order that is {before}")
    if action.needs_paid and not _is_paid(order):
        raise LifecycleError(f"cannot {step.action} an unpaid order")
    zone = tz or order_tz(order)
    ctx = StepContext(copy.deepcopy(order), now, rng, refund_id, zone, next_item_id)
    refund = action.run(ctx)
    ctx.order.update(wp_dates("date_modified", now, zone))
    return StepResult(ctx.order, refund, before, str(ctx.order["status"]))
