"""Coupons and how WooCommerce spreads them over order lines (``WC_Discounts``).

Everything is in integer cents, as in WooCommerce: items are sorted by line price (largest
first, stable); a percent coupon floors each line's share, then hands the cents still
missing from ``round(cart × percent)`` out one cent per unit, in that order; a fixed-cart
coupon gives every unit ``floor(amount / units)`` cents, repeats with what is left, and
spreads a final remainder one cent per unit. Discounts never push a line below zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_DOWN, Decimal
from typing import Any

from fakeshop.taxes import to_cents
from sapchaos.catalog import Catalog

COUPON_TYPES = ("percent", "fixed_cart", "fixed_product")


@dataclass(frozen=True)
class Coupon:
    """A ``shop_coupon``: code (lower-case, as ``wc_format_coupon_code`` stores it), type, amount."""

    code: str
    discount_type: str
    amount: Decimal
    id: int = 0

    def __post_init__(self) -> None:
        if self.discount_type not in COUPON_TYPES:
            raise ValueError(f"unknown coupon type {self.discount_type!r}")


#: used when the catalog has no ``coupons`` key
DEFAULT_COUPONS: tuple[Coupon, ...] = (
    Coupon("bienvenida10", "percent", Decimal("10"), 9001),
    Coupon("verano15", "percent", Decimal("15"), 9002),
    Coupon("black-friday-33", "percent", Decimal("33"), 9003),
    Coupon("5euros", "fixed_cart", Decimal("5.00"), 9004),
    Coupon("regalo-7,77", "fixed_cart", Decimal("7.77"), 9005),
    Coupon("taza-1", "fixed_product", Decimal("1.00"), 9006),
)


def coupons_from_catalog(catalog: Catalog) -> tuple[Coupon, ...]:
    raw: list[dict[str, Any]] = list(catalog.raw.get("coupons") or [])
    if not raw:
        return DEFAULT_COUPONS
    return tuple(
        Coupon(
            code=str(c["code"]).lower(),
            discount_type=str(c.get("discount_type", "percent")),
            amount=Decimal(str(c["amount"])),
            id=int(c.get("id", 0)),
        )
        for c in raw
    )


@dataclass
class DiscountItem:
    """One cart line as ``WC_Discounts`` sees it: line price in cents (as entered: gross
    when the store enters prices with tax) and quantity."""

    key: int
    quantity: int
    price: int


class Discounts:
    """Per-line discount cents for the coupons applied so far (``WC_Discounts::$discounts``)."""

    def __init__(self, items: list[DiscountItem]) -> None:
        # sort_by_price compares price * quantity (price is already the line price), largest
        # first; PHP 8's sort is stable, so ties keep cart order.
        self.items = sorted(items, key=lambda it: -(it.price * it.quantity))
        self.by_item: dict[int, int] = {it.key: 0 for it in items}
        self.by_coupon: dict[str, dict[int, int]] = {}

    def discounted_price(self, item: DiscountItem) -> int:
        return max(0, item.price - self.by_item[item.key])

    def apply(self, coupon: Coupon) -> int:
        """Apply one coupon; returns the cents it discounted."""
        per = self.by_coupon.setdefault(coupon.code, {it.key: 0 for it in self.items})
        items = [it for it in self.items if self.discounted_price(it) > 0 and it.quantity > 0]
        rule = DISCOUNT_RULES[coupon.discount_type]
        return rule(self, coupon, items, per)

    def _add(self, per: dict[int, int], item: DiscountItem, cents: int) -> None:
        per[item.key] += cents
        self.by_item[item.key] += cents

    def remainder(self, items: list[DiscountItem], amount: int, per: dict[int, int]) -> int:
        """``apply_coupon_remainder``: one cent per unit, items in order, until ``amount``."""
        total = 0
        for item in items:
            for _ in range(item.quantity):
                cents = min(self.discounted_price(item), 1)
                total += cents
                self._add(per, item, cents)
                if total >= amount:
                    return total
        return total

    def fixed_product(self, items: list[DiscountItem], unit_cents: int, per: dict[int, int]) -> int:
        total = 0
        for item in items:
            cents = min(self.discounted_price(item), unit_cents * item.quantity)
            total += cents
            self._add(per, item, cents)
        return total

    def fixed_cart(self, items: list[DiscountItem], amount: int, per: dict[int, int]) -> int:
        items = [it for it in items if self.discounted_price(it) > 0]
        units = sum(it.quantity for it in items)
        if not units or amount <= 0:
            return 0
        per_unit = amount // units
        if per_unit > 0:
            total = self.fixed_product(items, per_unit, per)
            if 0 < total < amount:
                total += self.fixed_cart(items, amount - total, per)
            return total
        return self.remainder(items, amount, per)


def _percent(d: Discounts, coupon: Coupon, items: list[DiscountItem], per: dict[int, int]) -> int:
    total = 0
    cart_total = 0
    for item in items:
        share = int(
            (Decimal(item.price) * coupon.amount / 100).to_integral_value(rounding=ROUND_FLOOR)
        )
        cents = min(d.discounted_price(item), share)
        cart_total += item.price
        total += cents
        d._add(per, item, cents)
    # wc_round_discount uses WC_DISCOUNT_ROUNDING_MODE = PHP_ROUND_HALF_DOWN
    whole = int(
        (Decimal(cart_total) * coupon.amount / 100).to_integral_value(rounding=ROUND_HALF_DOWN)
    )
    if total < whole:
        total += d.remainder(items, whole - total, per)
    return total


def _fixed_cart(
    d: Discounts, coupon: Coupon, items: list[DiscountItem], per: dict[int, int]
) -> int:
    return d.fixed_cart(items, to_cents(coupon.amount), per)


def _fixed_product(
    d: Discounts, coupon: Coupon, items: list[DiscountItem], per: dict[int, int]
) -> int:
    return d.fixed_product(items, to_cents(coupon.amount), per)


#: discount type → rule, as ``WC_Discounts::apply_coupon`` dispatches them
DISCOUNT_RULES = {
    "percent": _percent,
    "fixed_cart": _fixed_cart,
    "fixed_product": _fixed_product,
}
