"""Seeded WooCommerce orders as ``GET /wp-json/wc/v3/orders/{id}`` returns them right after
checkout: status ``pending``, ``created_via`` ``checkout``, totals from :mod:`.cart`.

One generator holds the store-wide order-item id sequence (line, shipping, fee, coupon and
tax items share ``woocommerce_order_items``) and the meta id sequence, like the database.
"""

from __future__ import annotations

import hashlib
import json
import random
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from fakeshop.generator import nif, people
from fakeshop.generator.cart import CartLine, CartTotals, ChargeTotals, FeeSpec, calculate
from fakeshop.generator.coupons import Coupon, coupons_from_catalog
from fakeshop.generator.settings import GeneratorSettings, wp_dates
from fakeshop.taxes import ZERO, exact_str, money_str
from sapchaos.catalog import Catalog, Customer, TaxClass

CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF", "SEK": "kr"}
PAYMENT_TITLES = {
    "stripe": "Tarjeta de crédito (Stripe)",
    "paypal": "PayPal",
    "bacs": "Transferencia bancaria directa",
    "cod": "Contra reembolso",
}
USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15",
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
)
#: used when the catalog has no ``fees`` key
DEFAULT_FEES: tuple[FeeSpec, ...] = (
    FeeSpec("Envoltorio de regalo", Decimal("1.95"), "", True),
    FeeSpec("Recargo contra reembolso", Decimal("2.50"), "", True, payment_method="cod"),
    FeeSpec("Suplemento «envío urgente»", Decimal("3.99"), "", True),
)


def fees_from_catalog(catalog: Catalog) -> tuple[FeeSpec, ...]:
    raw: list[dict[str, Any]] = list(catalog.raw.get("fees") or [])
    if not raw:
        return DEFAULT_FEES
    return tuple(
        FeeSpec(
            name=str(f["name"]),
            amount=Decimal(str(f["amount"])),
            tax_class=str(f.get("tax_class", "")),
            taxable=bool(f.get("taxable", True)),
            payment_method=f.get("payment_method"),
        )
        for f in raw
    )


@dataclass(frozen=True)
class ShippingSpec:
    """A shipping line to charge: title, method id and net cost (taxed by the store's
    shipping tax class rule)."""

    title: str
    method_id: str
    cost: Decimal
    instance_id: str = "1"


@dataclass
class OrderSpec:
    """Everything an order is made of before totals: what checkout (the generator) or a
    ``POST /orders`` request decided. :meth:`OrderGenerator.assemble` computes the rest."""

    lines: list[CartLine]
    payment_method: str
    payment_method_title: str
    customer_id: int
    billing: dict[str, Any]
    shipping: dict[str, Any]
    order_key: str
    meta: list[dict[str, Any]]
    coupon: Coupon | None = None
    fees: list[FeeSpec] = field(default_factory=list)
    #: None = the catalog's shipping method
    shipping_lines: list[ShippingSpec] | None = None
    created_via: str = "checkout"
    customer_ip_address: str = ""
    customer_user_agent: str = ""
    customer_note: str = ""
    transaction_id: str = ""


def _ip(rng: random.Random) -> str:
    """Documentation address ranges (RFC 5737 / RFC 3849) — never a real shopper's IP."""
    if rng.random() < 0.2:
        return f"2001:db8:{rng.randrange(65536):x}::{rng.randrange(1, 65536):x}"
    net = rng.choice(("192.0.2", "198.51.100", "203.0.113"))
    return f"{net}.{rng.randrange(1, 255)}"


class OrderGenerator:
    """Makes full REST v3 order resources from the shared catalog, reproducibly per seed."""

    def __init__(
        self,
        catalog: Catalog,
        rng: random.Random,
        settings: GeneratorSettings | None = None,
        *,
        next_meta_id: Callable[[], int] | None = None,
        first_item_id: int = 1,
        next_item_id: Callable[[], int] | None = None,
        register_customer: Callable[[dict[str, Any], dict[str, Any]], int] | None = None,
    ) -> None:
        self.catalog = catalog
        self.rng = rng
        self.settings = settings or GeneratorSettings()
        self.coupons: tuple[Coupon, ...] = coupons_from_catalog(catalog)
        self.fees: tuple[FeeSpec, ...] = fees_from_catalog(catalog)
        self._item_id = first_item_id - 1
        self._shared_item_id = next_item_id
        self._meta_id = 0
        self._next_meta_id = next_meta_id or self._own_meta_id
        self._tz = self.settings.tz()
        self.products = tuple(catalog.products) + (
            tuple(catalog.inactive_products) if self.settings.include_inactive else ()
        )
        self.registered = tuple(c for c in catalog.customers if c.id >= 1)
        #: creates a customer account for a guest who signs up (returns its id, 0 = none)
        self.register_customer = register_customer
        # a second stream derived from the seed's state without drawing from it
        state_digest = hashlib.sha256(repr(rng.getstate()).encode()).digest()
        self._signup_rng = random.Random(int.from_bytes(state_digest[:8], "big"))

    # -- id sequences -------------------------------------------------------------------
    def next_item_id(self) -> int:
        """``woocommerce_order_items`` auto-increment, shared by every item type."""
        if self._shared_item_id is not None:
            return self._shared_item_id()
        self._item_id += 1
        return self._item_id

    def _own_meta_id(self) -> int:
        self._meta_id += 1
        return self._meta_id

    # -- the order ----------------------------------------------------------------------
    def new_order(self, order_id: int, now: datetime) -> dict[str, Any]:
        """A fresh checkout order (status ``pending``) created at ``now``."""
        rng, st = self.rng, self.settings
        lines = self._pick_lines()
        payment_method = rng.choices(
            [m for m, _ in st.payment_weights], [w for _, w in st.payment_weights]
        )[0]
        coupon = (
            rng.choice(self.coupons) if self.coupons and rng.random() < st.coupon_share else None
        )
        fees = self._pick_fees(payment_method)
        customer_id, billing, shipping_addr, tax_id = self._customer()
        order_key = "wc_order_" + "".join(
            rng.choice(string.ascii_letters + string.digits) for _ in range(13)
        )
        meta: list[dict[str, Any]] = []
        if tax_id is not None:
            meta.append({"id": self._next_meta_id(), "key": "_billing_nif", "value": tax_id})
        meta.append({"id": self._next_meta_id(), "key": "is_vat_exempt", "value": "no"})
        source = rng.choice(("typein", "organic", "utm", "referral"))
        meta.append(
            {
                "id": self._next_meta_id(),
                "key": "_wc_order_attribution_source_type",
                "value": source,
            }
        )
        meta.append(
            {
                "id": self._next_meta_id(),
                "key": "_wc_order_attribution_device_type",
                "value": rng.choice(("Desktop", "Mobile", "Tablet")),
            }
        )
        spec = OrderSpec(
            lines=lines,
            payment_method=payment_method,
            payment_method_title=PAYMENT_TITLES.get(payment_method, payment_method),
            customer_id=customer_id,
            billing=billing,
            shipping=shipping_addr,
            order_key=order_key,
            meta=meta,
            coupon=coupon,
            fees=fees,
            customer_ip_address=_ip(rng),
            customer_user_agent=rng.choice(USER_AGENTS),
            customer_note=rng.choice(people.CUSTOMER_NOTES)
            if rng.random() < st.customer_note_share
            else "",
        )
        return self.assemble(order_id, now, spec)

    def assemble(self, order_id: int, now: datetime, spec: OrderSpec) -> dict[str, Any]:
        """The order resource for ``spec``: totals by :func:`.cart.calculate` (the shop's
        own tax and rounding rules), item ids from the shared sequence. Checkout orders
        and ``POST /orders`` both come through here, so both follow the same rules."""
        st = self.settings
        incl = st.prices_include_tax
        if spec.shipping_lines is None:
            ship = self.catalog.shipping
            ship_specs = [ShippingSpec(ship.method_title, ship.method_id, ship.total)]
        else:
            ship_specs = list(spec.shipping_lines)
        ship_rate = self._shipping_rate(spec.lines)
        cart = calculate(
            spec.lines,
            prices_include_tax=incl,
            coupon=spec.coupon,
            shipping=[(s.title, s.cost, ship_rate) for s in ship_specs],
            fees=[(f, self._rate(f.tax_class)) for f in spec.fees],
        )
        line_items = [self._line_item(lt.line, lt) for lt in cart.lines]
        shipping_lines = [
            self._shipping_line(s, line_items, sp)
            for s, sp in zip(cart.shipping, ship_specs, strict=True)
        ]
        fee_lines = [self._fee_line(f, fs) for f, fs in zip(cart.fees, spec.fees, strict=True)]
        coupon_lines = self._coupon_lines(cart)
        tax_lines = self._tax_lines(cart)
        t = cart.totals
        home = st.home_url if st.home_url.endswith("/") else st.home_url + "/"
        created = wp_dates("date_created", now, self._tz)
        modified = wp_dates("date_modified", now, self._tz)
        cart_hash = (
            hashlib.md5(
                json.dumps([[li["product_id"], li["quantity"]] for li in line_items]).encode(),
                usedforsecurity=False,
            ).hexdigest()
            if spec.created_via == "checkout"
            else ""
        )
        links: dict[str, Any] = {
            "self": [{"href": f"{home}wp-json/wc/v3/orders/{order_id}"}],
            "collection": [{"href": f"{home}wp-json/wc/v3/orders"}],
        }
        if spec.customer_id:
            links["customer"] = [{"href": f"{home}wp-json/wc/v3/customers/{spec.customer_id}"}]
        order: dict[str, Any] = {
            "id": order_id,
            "parent_id": 0,
            "status": "pending",
            "currency": self.catalog.currency,
            "version": st.wc_version,
            "prices_include_tax": incl,
            "date_created": created["date_created"],
            "date_modified": modified["date_modified"],
            "discount_total": money_str(t["discount_total"]),
            "discount_tax": money_str(t["discount_tax"]),
            "shipping_total": money_str(t["shipping_total"]),
            "shipping_tax": money_str(t["shipping_tax"]),
            "cart_tax": money_str(t["cart_tax"]),
            "total": money_str(t["total"]),
            "total_tax": money_str(t["total_tax"]),
            "customer_id": spec.customer_id,
            "order_key": spec.order_key,
            "billing": spec.billing,
            "shipping": spec.shipping,
            "payment_method": spec.payment_method,
            "payment_method_title": spec.payment_method_title,
            "transaction_id": spec.transaction_id,
            "customer_ip_address": spec.customer_ip_address,
            "customer_user_agent": spec.customer_user_agent,
            "created_via": spec.created_via,
            "customer_note": spec.customer_note,
            "date_completed": None,
            "date_paid": None,
            "cart_hash": cart_hash,
            "number": str(order_id),
            "meta_data": spec.meta,
            "line_items": line_items,
            "tax_lines": tax_lines,
            "shipping_lines": shipping_lines,
            "fee_lines": fee_lines,
            "coupon_lines": coupon_lines,
            "refunds": [],
            "payment_url": f"{home}checkout/order-pay/{order_id}/?pay_for_order=true&key={spec.order_key}",
            "is_editable": True,
            "needs_payment": t["total"] > ZERO,
            "needs_processing": True,
            "date_created_gmt": created["date_created_gmt"],
            "date_modified_gmt": modified["date_modified_gmt"],
            "date_completed_gmt": None,
            "date_paid_gmt": None,
            "currency_symbol": CURRENCY_SYMBOLS.get(self.catalog.currency, self.catalog.currency),
            "_links": links,
        }
        return order

    # -- pieces -------------------------------------------------------------------------
    def _rate(self, tax_class: str) -> TaxClass:
        return self.catalog.tax_class(tax_class)

    def _pick_lines(self) -> list[CartLine]:
        rng, st = self.rng, self.settings
        count = rng.randint(1, min(st.max_lines, len(self.products)))
        chosen = rng.sample(self.products, count)
        return [CartLine(p, rng.randint(1, st.max_qty), self._rate(p.tax_class)) for p in chosen]

    def _pick_fees(self, payment_method: str) -> list[FeeSpec]:
        """At most one fee per order (share ``fee_share``): the gateway's own surcharge when
        there is one (cash on delivery), else one of the generic fees."""
        if not self.fees or self.rng.random() >= self.settings.fee_share:
            return []
        own = [f for f in self.fees if f.payment_method == payment_method]
        if own:
            return [own[0]]
        generic = [f for f in self.fees if f.payment_method is None]
        return [self.rng.choice(generic)] if generic else []

    def _shipping_rate(self, lines: list[CartLine]) -> TaxClass | None:
        """``WC_Tax::get_shipping_tax_rates``: the configured class, or for "inherit" the
        standard rate if any item uses it, else the first item class in the store's order."""
        option = self.settings.shipping_tax_class
        if option is None:
            return self._rate(self.catalog.shipping.tax_class)
        if option != "inherit":
            return self._rate(option)
        classes = {ln.rate.slug for ln in lines}
        if "" in classes:
            return self._rate("")
        for tc in self.catalog.tax_classes:
            if tc.slug in classes:
                return tc
        return None

    def _customer(self) -> tuple[int, dict[str, Any], dict[str, Any], str | None]:
        rng, st = self.rng, self.settings
        tax_id: str | None = None
        cust: Customer | None = None
        if self.registered and rng.random() >= st.guest_share:
            cust = rng.choice(self.registered)
            first, last = people.split_name(cust.name)
            company = ""
            if cust.tax_id[:1].isalpha() and cust.tax_id[:1] not in "XYZ":  # a CIF: a company
                company, first, last = (
                    cust.name,
                    rng.choice(people.FIRST_NAMES),
                    rng.choice(people.LAST_NAMES),
                )
            person = people.with_address(rng, first, last, cust.email, 0.0, company)
        else:
            person = people.make_person(rng, st.non_latin_share)
        if rng.random() < st.tax_id_share:
            valid = rng.random() >= st.invalid_tax_id_share
            if cust is not None and cust.tax_id and nif.is_valid_nif(cust.tax_id):
                tax_id = cust.tax_id if valid else nif.corrupt(cust.tax_id, rng)
            else:
                tax_id = nif.make_nif(rng, valid, "cif" if person.company else None)
        billing = person.billing()
        if rng.random() < st.ship_elsewhere_share:
            other = people.with_address(rng, person.first_name, person.last_name, person.email, 0.0)
            shipping = other.shipping()
        else:
            shipping = person.shipping()
        cid = cust.id if cust else 0
        if (
            cust is None
            and self.register_customer is not None
            and self._signup_rng.random() < st.signup_share
        ):
            cid = self.register_customer(billing, shipping)
        return cid, billing, shipping, tax_id

    def _taxes(
        self, rate: TaxClass | None, total: Decimal, subtotal: Decimal | None
    ) -> list[dict[str, Any]]:
        if rate is None:
            return []
        fmt = exact_str if self.settings.raw_line_tax_data else money_str
        return [
            {
                "id": rate.rate_id,
                "total": fmt(total),
                "subtotal": "" if subtotal is None else fmt(subtotal),
            }
        ]

    def _line_item(self, line: CartLine, lt: Any) -> dict[str, Any]:
        p = line.product
        raw = self.settings.raw_line_tax_data
        taxes = self._taxes(
            line.rate,
            lt.total_tax_exact if raw else lt.total_tax,
            lt.subtotal_tax_exact if raw else lt.subtotal_tax,
        )
        return {
            "id": self.next_item_id(),
            "name": p.name,
            "product_id": p.id,
            "variation_id": 0,
            "quantity": line.quantity,
            "tax_class": line.rate.slug,
            "subtotal": money_str(lt.subtotal),
            "subtotal_tax": money_str(lt.subtotal_tax),
            "total": money_str(lt.total),
            "total_tax": money_str(lt.total_tax),
            "taxes": taxes,
            "meta_data": [],
            "sku": p.sku,
            # WC_Order::get_item_total( $item, false, false ): unrounded net unit price
            "price": float(round(lt.total_exact / line.quantity, 6)),
            "image": {"id": "", "src": ""},
            "parent_name": None,
        }

    def _shipping_line(
        self, s: ChargeTotals, line_items: list[dict[str, Any]], spec: ShippingSpec
    ) -> dict[str, Any]:
        raw = self.settings.raw_line_tax_data
        items_meta = ", ".join(f"{li['name']} &times; {li['quantity']}" for li in line_items)
        return {
            "id": self.next_item_id(),
            "method_title": s.name,
            "method_id": spec.method_id,
            "instance_id": spec.instance_id,
            "total": money_str(s.total),
            "total_tax": money_str(s.tax),
            "taxes": self._taxes(s.rate, s.tax_exact if raw else s.tax, None),
            "meta_data": [
                {
                    "id": self._next_meta_id(),
                    "key": "Items",
                    "value": items_meta,
                    "display_key": "Items",
                    "display_value": items_meta,
                }
            ],
        }

    def _fee_line(self, f: ChargeTotals, spec: FeeSpec) -> dict[str, Any]:
        raw = self.settings.raw_line_tax_data
        return {
            "id": self.next_item_id(),
            "name": spec.name,
            "tax_class": spec.tax_class,
            "tax_status": "taxable" if spec.taxable else "none",
            "amount": money_str(spec.amount),
            "total": money_str(f.total),
            "total_tax": money_str(f.tax),
            "taxes": self._taxes(
                f.rate if spec.taxable else None, f.tax_exact if raw else f.tax, None
            ),
            "meta_data": [],
        }

    def _coupon_lines(self, cart: CartTotals) -> list[dict[str, Any]]:
        if cart.coupon is None:
            return []
        t = cart.totals
        return [
            {
                "id": self.next_item_id(),
                "code": cart.coupon.code,
                "discount": money_str(t["discount_total"]),
                "discount_tax": money_str(t["discount_tax"]),
                "discount_type": cart.coupon.discount_type,
                "nominal_amount": float(cart.coupon.amount),
                "free_shipping": False,
                "meta_data": [],
            }
        ]

    def _tax_lines(self, cart: CartTotals) -> list[dict[str, Any]]:
        """One ``tax`` item per rate id used by items, fees or shipping (zero rates too)."""
        per_rate: dict[int, tuple[TaxClass, Decimal, Decimal]] = {}

        def add(rate: TaxClass | None, cart_tax: Decimal, ship_tax: Decimal) -> None:
            if rate is None:
                return
            _, c, s = per_rate.get(rate.rate_id, (rate, ZERO, ZERO))
            per_rate[rate.rate_id] = (rate, c + cart_tax, s + ship_tax)

        for lt in cart.lines:
            add(lt.line.rate, lt.total_tax, ZERO)
        for f in cart.fees:
            add(f.rate, f.tax, ZERO)
        for sh in cart.shipping:
            add(sh.rate, ZERO, sh.tax)
        out = []
        for rate_id in sorted(per_rate):
            rate, c, st = per_rate[rate_id]
            out.append(
                {
                    "id": self.next_item_id(),
                    "rate_code": rate.rate_code,
                    "rate_id": rate.rate_id,
                    "label": rate.label,
                    "compound": False,
                    "tax_total": money_str(c),
                    "shipping_tax_total": money_str(st),
                    "rate_percent": float(rate.rate),
                    "meta_data": [],
                }
            )
        return out
