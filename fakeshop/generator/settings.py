"""Knobs of the order generator: the store options WooCommerce has (prices with or without
tax, shipping tax class, time zone) and the shares of each kind of order to produce."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from fakeshop.timefmt import wp_text

WP_DATE = "%Y-%m-%dT%H:%M:%S"


@dataclass
class GeneratorSettings:
    """Every field has a working default; shares are probabilities per order (0–1)."""

    #: store option ``woocommerce_prices_include_tax``: catalog prices are gross
    prices_include_tax: bool = False
    #: orders placed as guest (``customer_id`` 0); the rest use catalog customers (id ≥ 1)
    guest_share: float = 0.4
    #: guests who create an account at checkout (a new registered customer; drawn from
    #: its own RNG stream so every other choice stays as without sign-ups)
    signup_share: float = 0.1
    #: orders with one coupon (percent, fixed cart or fixed product, from the catalog)
    coupon_share: float = 0.25
    #: orders with a fee line (gift wrap, or the cash-on-delivery surcharge)
    fee_share: float = 0.1
    #: orders carrying a ``_billing_nif`` meta entry at all
    tax_id_share: float = 0.85
    #: of the orders with a ``_billing_nif``, those whose id fails its check character
    invalid_tax_id_share: float = 0.1
    #: guests whose name is in a non-Latin script (山田 太郎, Иван Петров, محمد …)
    non_latin_share: float = 0.12
    #: orders with a ``customer_note``
    customer_note_share: float = 0.15
    #: orders shipped to an address different from billing
    ship_elsewhere_share: float = 0.15
    #: distinct products per order: 1..max_lines; units per line: 1..max_qty
    max_lines: int = 5
    max_qty: int = 4
    #: include the frozen/inactive catalog products (orders SAP will reject)
    include_inactive: bool = False
    #: ``woocommerce_shipping_tax_class``: None = the catalog's shipping tax class,
    #: "inherit" = based on the cart items (as WooCommerce's "inherit" option), or a slug
    shipping_tax_class: str | None = None
    #: store time zone for the non-``_gmt`` dates (``timezone_string``)
    timezone: str = "Europe/Madrid"
    #: fixed ``gmt_offset`` in hours instead of a named zone (None = use ``timezone``)
    utc_offset_hours: float | None = None
    #: line ``taxes[]`` as WooCommerce stores them (unrounded, e.g. "12.5937") instead of
    #: rounded to 2 decimals
    raw_line_tax_data: bool = False
    #: WooCommerce version stamped on orders
    wc_version: str = "9.4.2"
    #: ``home_url('/')`` used in ``_links`` and ``payment_url``
    home_url: str = "http://127.0.0.1/"
    #: payment gateways and their weights
    payment_weights: tuple[tuple[str, float], ...] = (
        ("stripe", 0.45),
        ("paypal", 0.25),
        ("bacs", 0.15),
        ("cod", 0.15),
    )

    def __post_init__(self) -> None:
        for name in (
            "guest_share",
            "signup_share",
            "coupon_share",
            "fee_share",
            "tax_id_share",
            "invalid_tax_id_share",
            "non_latin_share",
            "customer_note_share",
            "ship_elsewhere_share",
        ):
            value = getattr(self, name)
            if not 0.0 <= float(value) <= 1.0:
                raise ValueError(f"{name} must be within 0..1, got {value!r}")
        if self.max_lines < 1 or self.max_qty < 1:
            raise ValueError("max_lines and max_qty must be at least 1")

    def tz(self) -> tzinfo:
        if self.utc_offset_hours is not None:
            return timezone(timedelta(hours=self.utc_offset_hours))
        return ZoneInfo(self.timezone)


def as_utc(now: datetime) -> datetime:
    """A naive ``now`` is taken as UTC (what ``datetime.utcnow()`` callers mean)."""
    if now.tzinfo is None:
        return now.replace(tzinfo=UTC)
    return now.astimezone(UTC)


def wp_dates(field: str, now: datetime, tz: tzinfo) -> dict[str, str]:
    """``{field: local, field_gmt: utc}`` as ``wc_rest_prepare_date_response`` formats them."""
    utc = as_utc(now)
    return {field: wp_text(utc.astimezone(tz)), f"{field}_gmt": wp_text(utc)}


def order_tz(order: dict[str, object]) -> tzinfo:
    """The store offset an order was written with (``date_created`` − ``date_created_gmt``)."""
    try:
        local = datetime.strptime(str(order["date_created"]), WP_DATE)
        gmt = datetime.strptime(str(order["date_created_gmt"]), WP_DATE)
    except (KeyError, ValueError):
        return UTC
    return timezone(local - gmt)
