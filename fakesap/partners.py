"""``POST /BusinessPartners``: a new business partner (OCRD) as the Service Layer adds it.

Imitates SAP Business One's partner master: ``CardCode`` is the key (NVARCHAR(15)) and is
mandatory unless a numbering ``Series`` is given (the code is then taken from the
series); ``CardType`` is ``cCustomer`` (default), ``cSupplier`` or ``cLid`` (lead);
``CardName`` (100), ``EmailAddress`` (100) and ``FederalTaxID`` (32, Spain's NIF/CIF) are
length-checked; a ``U_`` field must be declared on OCRD (``UserFieldsMD``). A second
partner with an existing ``CardCode`` is refused with SAP's "This entry already exists
in the following tables" error (ODBC -2035), and nothing changes.
"""

from __future__ import annotations

from typing import Any

from fakesap.errors import SLError
from fakesap.masterdata import MasterData, normalise_row

__all__ = ["CARD_TYPES", "PARTNER_FIELDS", "prepare_partner", "series_code"]

CARD_TYPES = ("cCustomer", "cSupplier", "cLid")
#: property → max length (None: not a string property checked for length)
PARTNER_FIELDS: dict[str, int | None] = {
    "CardCode": 15,
    "CardName": 100,
    "CardType": None,
    "EmailAddress": 100,
    "Phone1": 20,
    "FederalTaxID": 32,
    "Currency": 3,
    "Notes": 100,
    "Series": None,
    "GroupCode": None,
    "Valid": None,
    "Frozen": None,
    "BPAddresses": None,
}


def series_code(series: int, number: int) -> str:
    """The code a numbering series gives its ``number``-th partner (``S{series}-000001``)."""
    return f"S{series}-{number:06d}"[:15]


def prepare_partner(
    body: Any, md: MasterData, udfs: frozenset[str], next_in_series: int | None = None
) -> dict[str, Any]:
    """The normalised OCRD row for ``body``, or an ``SLError`` (nothing changed).
    ``next_in_series``: the next number of the body's ``Series`` (the caller's counter)."""
    if not isinstance(body, dict):
        raise SLError.of("invalid_json", detail="the body must be a JSON object")
    for name, value in body.items():
        if name.startswith("U_"):
            if name not in udfs:
                raise SLError.of("invalid_udf", name=name[:60], entity="BusinessPartner")
            continue
        if name not in PARTNER_FIELDS:
            raise SLError.of("invalid_property", name=str(name)[:60], entity="BusinessPartner")
        limit = PARTNER_FIELDS[name]
        if limit is not None:
            if not isinstance(value, str):
                raise SLError.of("invalid_value", value=str(value)[:60], name=name)
            if len(value) > limit:
                raise SLError.of(
                    "value_too_long", name=name, entity="BusinessPartner", max_len=limit
                )
    row = dict(body)
    series = row.get("Series")
    if series is not None and (isinstance(series, bool) or not isinstance(series, int)):
        raise SLError.of("invalid_value", value=str(series)[:60], name="Series")
    code = row.get("CardCode")
    if code is None or code == "":
        if series is None or next_in_series is None:
            raise SLError.of("missing_field", field="CardCode", table="OCRD", column="CardCode")
        row["CardCode"] = series_code(series, next_in_series)
    card_type = row.setdefault("CardType", "cCustomer")
    if card_type not in CARD_TYPES:
        raise SLError.of("invalid_value", value=str(card_type)[:60], name="CardType")
    if row["CardCode"] in md.business_partners:
        raise SLError.of("already_exists", table="OCRD")
    return normalise_row("BusinessPartners", row, md)
