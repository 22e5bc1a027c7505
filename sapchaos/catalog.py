"""The catalog shared by fakeshop (products, tax classes, customers) and fakesap (items,
VAT groups, warehouses, business partners, UDF declarations).

A real integration has two copies of this data that are supposed to agree: the shop's
products and tax classes, and SAP's item master, VAT groups and partners. Keeping one file
lets the emulators start consistent; tests then make them disagree on purpose.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from sapchaos.errors import UsageError


@dataclass(frozen=True)
class TaxClass:
    slug: str  # WooCommerce tax class ("" = standard)
    name: str
    rate: Decimal  # percent, e.g. Decimal("21")
    rate_id: int
    rate_code: str
    label: str
    vat_group: str  # SAP VAT group code (VatGroups key)


@dataclass(frozen=True)
class Product:
    id: int
    sku: str  # = SAP ItemCode
    name: str
    price: Decimal  # regular price as entered in the shop
    tax_class: str
    stock: dict[str, int]  # warehouse code -> units
    frozen: bool = False


@dataclass(frozen=True)
class Customer:
    id: int  # WooCommerce customer id (0 = guest)
    card_code: str  # SAP BusinessPartners key
    name: str
    email: str
    tax_id: str


@dataclass(frozen=True)
class Shipping:
    method_id: str
    method_title: str
    total: Decimal
    tax_class: str
    sap_expense_code: int


@dataclass(frozen=True)
class Catalog:
    currency: str
    prices_include_tax: bool
    tax_classes: tuple[TaxClass, ...]
    warehouses: tuple[tuple[str, str], ...]
    default_warehouse: str
    products: tuple[Product, ...]
    inactive_products: tuple[Product, ...]
    customers: tuple[Customer, ...]
    shipping: Shipping
    udfs: dict[str, tuple[str, ...]] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def tax_class(self, slug: str) -> TaxClass:
        for tc in self.tax_classes:
            if tc.slug == slug:
                return tc
        raise KeyError(f"unknown tax class {slug!r}")

    def product_by_sku(self, sku: str) -> Product:
        for p in (*self.products, *self.inactive_products):
            if p.sku == sku:
                return p
        raise KeyError(f"unknown sku {sku!r}")

    def product_by_id(self, pid: int) -> Product:
        for p in (*self.products, *self.inactive_products):
            if p.id == pid:
                return p
        raise KeyError(f"unknown product id {pid}")

    def customer_by_id(self, cid: int) -> Customer:
        for c in self.customers:
            if c.id == cid:
                return c
        raise KeyError(f"unknown customer id {cid}")

    def guest(self) -> Customer:
        return self.customer_by_id(0)


def _product(d: dict[str, Any]) -> Product:
    return Product(
        id=int(d["id"]),
        sku=str(d["sku"]),
        name=str(d["name"]),
        price=Decimal(str(d["price"])),
        tax_class=str(d.get("tax_class", "")),
        stock={str(k): int(v) for k, v in d.get("stock", {}).items()},
        frozen=bool(d.get("frozen", False)),
    )


class CatalogError(UsageError, ValueError):
    """A catalog file that cannot be used, with the cause in words (for one CLI line)."""


#: a catalog is a few KB; a larger file is refused before it is read (``/dev/zero``)
MAX_CATALOG_BYTES = 16 * 1024 * 1024


def parse_catalog(data: Any) -> Catalog:
    """Build a Catalog from its JSON form (see ``sapchaos/data/catalog.json``).

    Raises ``CatalogError`` naming the missing key or the bad value."""
    if not isinstance(data, dict):
        raise CatalogError("expected a JSON object with products, tax_classes, warehouses, …")
    try:
        return _parse_catalog(data)
    except KeyError as exc:
        raise CatalogError(f"missing key {exc.args[0]!r}") from None
    except (TypeError, ValueError, IndexError, ArithmeticError, AttributeError) as exc:
        raise CatalogError(f"invalid value: {exc}") from None


def _parse_catalog(data: dict[str, Any]) -> Catalog:
    ship = data["shipping"]
    return Catalog(
        currency=str(data.get("currency", "EUR")),
        prices_include_tax=bool(data.get("prices_include_tax", False)),
        tax_classes=tuple(
            TaxClass(
                slug=str(t["slug"]),
                name=str(t["name"]),
                rate=Decimal(str(t["rate"])),
                rate_id=int(t["rate_id"]),
                rate_code=str(t["rate_code"]),
                label=str(t["label"]),
                vat_group=str(t["vat_group"]),
            )
            for t in data["tax_classes"]
        ),
        warehouses=tuple((str(w["code"]), str(w["name"])) for w in data["warehouses"]),
        default_warehouse=str(data.get("default_warehouse", data["warehouses"][0]["code"])),
        products=tuple(_product(p) for p in data["products"]),
        inactive_products=tuple(_product(p) for p in data.get("inactive_products", [])),
        customers=tuple(
            Customer(
                id=int(c["id"]),
                card_code=str(c["card_code"]),
                name=str(c["name"]),
                email=str(c["email"]),
                tax_id=str(c.get("tax_id", "")),
            )
            for c in data["customers"]
        ),
        shipping=Shipping(
            method_id=str(ship["method_id"]),
            method_title=str(ship["method_title"]),
            total=Decimal(str(ship["total"])),
            tax_class=str(ship.get("tax_class", "")),
            sap_expense_code=int(ship.get("sap_expense_code", 1)),
        ),
        udfs={str(k): tuple(str(x) for x in v) for k, v in data.get("udfs", {}).items()},
        raw=data,
    )


def load_catalog(path: str | Path | None = None) -> Catalog:
    """Load a catalog file, or the packaged default when ``path`` is None."""
    if path is None:
        text = resources.files("sapchaos.data").joinpath("catalog.json").read_text("utf-8")
    else:
        p = Path(path)
        try:
            if not p.is_file():
                raise CatalogError(f"{path}: not found or not a regular file")
            if p.stat().st_size > MAX_CATALOG_BYTES:
                raise CatalogError(f"{path}: larger than {MAX_CATALOG_BYTES // 2**20} MiB")
            text = p.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CatalogError(f"{path}: cannot read ({exc})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CatalogError(f"{path or 'catalog'}: not valid JSON ({exc})") from None
    try:
        return parse_catalog(data)
    except CatalogError as exc:
        raise CatalogError(f"{path or 'catalog'}: {exc}") from None
