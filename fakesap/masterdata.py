"""Master data as the Service Layer shows it: Items (with ItemWarehouseInfoCollection),
BusinessPartners, Warehouses and VatGroups, seeded from the shared sapchaos catalog.

In B1 these come from the item master (OITM/OITW), partners (OCRD), warehouses (OWHS) and
tax groups (OVTG); fakesap keeps them as SL-shaped dicts with Decimal quantities and rates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sapchaos.catalog import Catalog, Product

MASTER_SETS = ("Items", "BusinessPartners", "Warehouses", "VatGroups")
#: the key property of each master-data set
MASTER_KEYS = {
    "Items": "ItemCode",
    "BusinessPartners": "CardCode",
    "Warehouses": "WarehouseCode",
    "VatGroups": "Code",
}
ZERO = Decimal(0)


@dataclass
class MasterData:
    """The master-data tables, keyed by their SL key, plus the lookups documents need."""

    currency: str = "EUR"
    prices_include_tax: bool = False
    default_warehouse: str = "01"
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    business_partners: dict[str, dict[str, Any]] = field(default_factory=dict)
    warehouses: dict[str, dict[str, Any]] = field(default_factory=dict)
    vat_groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    vat_rates: dict[str, Decimal] = field(default_factory=dict)  # Code -> percent
    stock: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (item, whs) -> row

    def table(self, entity_set: str) -> dict[str, dict[str, Any]]:
        return {
            "Items": self.items,
            "BusinessPartners": self.business_partners,
            "Warehouses": self.warehouses,
            "VatGroups": self.vat_groups,
        }[entity_set]

    def reindex(self) -> None:
        """Recompute lookups after items or VAT groups changed."""
        self.vat_rates = {code: vat_rate(vg) for code, vg in self.vat_groups.items()}
        self.stock = {}
        for code, item in self.items.items():
            for row in item.get("ItemWarehouseInfoCollection", []):
                self.stock[(code, row["WarehouseCode"])] = row
            refresh_item_totals(item)


def vat_rate(group: dict[str, Any]) -> Decimal:
    lines = group.get("VatGroups_Lines") or []
    if not lines:
        return ZERO
    latest = max(lines, key=lambda ln: str(ln.get("Effectivefrom", "")))
    return Decimal(str(latest.get("Rate", 0)))


def refresh_item_totals(item: dict[str, Any]) -> None:
    """Item-level sums the SL shows next to the per-warehouse rows."""
    rows = item.get("ItemWarehouseInfoCollection", [])
    item["QuantityOnStock"] = sum((r["InStock"] for r in rows), ZERO)
    item["QuantityOrderedByCustomers"] = sum((r["Committed"] for r in rows), ZERO)
    item["QuantityOrderedFromVendors"] = sum((r["Ordered"] for r in rows), ZERO)


def stock_row(warehouse: str, in_stock: Decimal) -> dict[str, Any]:
    return {
        "WarehouseCode": warehouse,
        "InStock": in_stock,
        "Committed": ZERO,
        "Ordered": ZERO,
        "MinimalStock": ZERO,
        "Locked": "tNO",
    }


def _uom(catalog: Catalog, sku: str) -> str:
    for raw in catalog.raw.get("products", []) or []:
        if isinstance(raw, dict) and raw.get("sku") == sku:
            return str(raw.get("uom") or "Unit")
    return "Unit"


def item_from_product(p: Product, catalog: Catalog) -> dict[str, Any]:
    vat_group = catalog.tax_class(p.tax_class).vat_group
    warehouses = [code for code, _ in catalog.warehouses]
    return {
        "ItemCode": p.sku,
        "ItemName": p.name,
        "ItemType": "itItems",
        "InventoryItem": "tYES",
        "SalesItem": "tYES",
        "PurchaseItem": "tYES",
        "Valid": "tNO" if p.frozen else "tYES",
        "Frozen": "tYES" if p.frozen else "tNO",
        "SalesVATGroup": vat_group,
        # the sales unit of measure (OITM.SalUnitMsr; catalog product ``uom``)
        "SalesUnit": _uom(catalog, p.sku),
        "DefaultWarehouse": catalog.default_warehouse,
        "ItemPrices": [{"PriceList": 1, "Price": p.price, "Currency": catalog.currency}],
        "ItemWarehouseInfoCollection": [
            stock_row(w, Decimal(p.stock.get(w, 0))) for w in warehouses
        ],
    }


def masterdata_from_catalog(catalog: Catalog) -> MasterData:
    """Seed SL master data from the shared catalog (the shop's products are SAP's items)."""
    md = MasterData(
        currency=catalog.currency,
        prices_include_tax=catalog.prices_include_tax,
        default_warehouse=catalog.default_warehouse,
    )
    for tc in catalog.tax_classes:
        md.vat_groups[tc.vat_group] = {
            "Code": tc.vat_group,
            "Name": tc.label,
            "Category": "bovcOutputTax",
            "Inactive": "tNO",
            "VatGroups_Lines": [{"Effectivefrom": "2012-09-01", "Rate": tc.rate}],
        }
    for code, name in catalog.warehouses:
        md.warehouses[code] = {"WarehouseCode": code, "WarehouseName": name, "Inactive": "tNO"}
    for p in (*catalog.products, *catalog.inactive_products):
        md.items[p.sku] = item_from_product(p, catalog)
    for c in catalog.customers:
        md.business_partners[c.card_code] = {
            "CardCode": c.card_code,
            "CardName": c.name,
            "CardType": "cCustomer",
            "EmailAddress": c.email,
            "FederalTaxID": c.tax_id or None,
            "Currency": catalog.currency,
            "Valid": "tYES",
            "Frozen": "tNO",
            "BPAddresses": [],
        }
    md.reindex()
    return md


class MasterDataError(ValueError):
    """An uploaded master-data row is unusable; the message names it."""


def _dec(value: Any, where: str) -> Decimal:
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        raise MasterDataError(f"{where}: not a number: {value!r}") from None
    if not d.is_finite():
        raise MasterDataError(f"{where}: not a number: {value!r}")
    return d


def normalise_row(entity_set: str, row: dict[str, Any], md: MasterData) -> dict[str, Any]:
    """Fill defaults and Decimal numbers into an uploaded SL-shaped master-data row."""
    key = MASTER_KEYS[entity_set]
    if not isinstance(row, dict) or not isinstance(row.get(key), str) or not row[key]:
        raise MasterDataError(f"{entity_set}: every row needs a string {key}")
    out = dict(row)
    if entity_set == "Items":
        out.setdefault("ItemName", out["ItemCode"])
        out.setdefault("ItemType", "itItems")
        for flag in ("InventoryItem", "SalesItem", "PurchaseItem", "Valid"):
            out.setdefault(flag, "tYES")
        out.setdefault("Frozen", "tNO")
        out.setdefault("SalesVATGroup", next(iter(md.vat_groups), None))
        out.setdefault("DefaultWarehouse", md.default_warehouse)
        out["ItemPrices"] = [
            {**p, "Price": _dec(p.get("Price", 0), f"Items('{out['ItemCode']}').ItemPrices")}
            for p in out.get("ItemPrices", [])
        ]
        rows = []
        for r in out.get("ItemWarehouseInfoCollection", []):
            where = f"Items('{out['ItemCode']}').ItemWarehouseInfoCollection"
            base = stock_row(str(r["WarehouseCode"]), _dec(r.get("InStock", 0), where))
            base["Committed"] = _dec(r.get("Committed", 0), where)
            base["Ordered"] = _dec(r.get("Ordered", 0), where)
            rows.append(base)
        out["ItemWarehouseInfoCollection"] = rows
    elif entity_set == "VatGroups":
        out.setdefault("Name", out["Code"])
        out.setdefault("Category", "bovcOutputTax")
        out.setdefault("Inactive", "tNO")
        out["VatGroups_Lines"] = [
            {**ln, "Rate": _dec(ln.get("Rate", 0), f"VatGroups('{out['Code']}')")}
            for ln in out.get("VatGroups_Lines", [])
        ]
    elif entity_set == "BusinessPartners":
        out.setdefault("CardName", out["CardCode"])
        out.setdefault("CardType", "cCustomer")
        out.setdefault("Currency", md.currency)
        out.setdefault("Valid", "tYES")
        out.setdefault("Frozen", "tNO")
        out.setdefault("BPAddresses", [])
    elif entity_set == "Warehouses":
        out.setdefault("WarehouseName", out["WarehouseCode"])
        out.setdefault("Inactive", "tNO")
    return out


def upsert_rows(md: MasterData, upload: dict[str, Any]) -> dict[str, int]:
    """Add or replace SL-shaped rows: ``{"Items": [...], "VatGroups": [...], ...}``."""
    unknown = sorted(set(upload) - set(MASTER_SETS))
    if unknown:
        raise MasterDataError(f"unknown master-data sets: {', '.join(unknown)}")
    counts: dict[str, int] = {}
    # VAT groups and warehouses first: items refer to them
    for entity_set in ("VatGroups", "Warehouses", "BusinessPartners", "Items"):
        rows = upload.get(entity_set)
        if rows is None:
            continue
        if not isinstance(rows, list):
            raise MasterDataError(f"{entity_set}: expected a list of rows")
        normalised = [normalise_row(entity_set, r, md) for r in rows]
        table = md.table(entity_set)
        for row in normalised:
            table[row[MASTER_KEYS[entity_set]]] = row
        counts[entity_set] = len(normalised)
    md.reindex()
    return counts
