"""The Service Layer's SQL query service: ``SQLQueries`` (SAP Business One 10.0 FP 2011
and later), as fakesap emulates it.

- ``POST SQLQueries`` stores ``{SqlCode, SqlName, SqlText}`` (201); ``GET SQLQueries``,
  ``GET/PATCH/DELETE SQLQueries('code')`` read, change and remove definitions.
  ``ParamList`` of a stored query lists its ``:name`` placeholders (comma-separated).
- ``POST SQLQueries('code')/List`` (body ``{"ParamList": "docTotal=100&card='C1'"}``) or
  ``GET SQLQueries('code')/List?docTotal=100`` runs it: ``{SqlText, value: [rows]}`` with
  server paging and a ``nextLink``.

Only one ``SELECT`` over the allowed B1 tables may run: anything else is refused with
the SL's codes (702 a table or statement not allowed, 704 a parameter missing or not
declared). fakesap runs the SQL with SQLite over a snapshot of its own data, one table
per B1 table (``ORDR``/``RDR1``, ``ODLN``/``DLN1``, ``OINV``/``INV1``, ``ORIN``/``RIN1``,
``ORCT``, ``OCRD``, ``OITM``, ``OWHS``, ``OVTG``) whose columns are the SL property names
of the scalar fields (``DocTotal``, ``CardCode``, ``DocumentStatus`` …): the real
database's column names and codes (``DocStatus = 'O'``) differ where the SL renames them.
An SQLite authorizer allows reads and functions only.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from fakesap.documents.schema import DOCUMENT_KINDS, PAYMENT_SETS
from fakesap.errors import SLError

MAX_SQL_CHARS = 20_000
_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_][A-Za-z0-9_]*)")
_CODE = re.compile(r"[A-Za-z0-9_.-]{1,50}\Z")
_SELECT = re.compile(r"\s*select\b", re.I)
MASTER_TABLES = {
    "OCRD": "BusinessPartners",
    "OITM": "Items",
    "OWHS": "Warehouses",
    "OVTG": "VatGroups",
}


def sql_error(code: int, message: str, status: int = 400) -> SLError:
    """The SQL service's own error codes (702 not allowed, 704 parameters, …)."""
    return SLError(status, code, message, "sql_query")


def placeholders(sql: str) -> list[str]:
    """The ``:name`` parameters of ``sql`` in order of first use (quoted text skipped)."""
    names: list[str] = []
    for part in re.split(r"'(?:[^']|'')*'", sql):
        for name in _PARAM.findall(part):
            if name not in names:
                names.append(name)
    return names


def definition(body: Any, existing: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A stored query from a POST/PATCH body (PATCH: merged over ``existing``)."""
    if not isinstance(body, dict):
        raise SLError.of("invalid_json", detail="the body must be a JSON object")
    allowed = {"SqlCode", "SqlName", "SqlText"}
    unknown = sorted(set(body) - allowed - {"ParamList", "CreateDate", "UpdateDate"})
    if unknown:
        raise SLError.of("invalid_property", name=unknown[0][:60], entity="SQLQuery")
    merged = {**(existing or {}), **{k: v for k, v in body.items() if k in allowed}}
    for key in ("SqlCode", "SqlName", "SqlText"):
        if not isinstance(merged.get(key), str) or not merged[key].strip():
            raise SLError.of("missing_field", field=key, table="OSQL", column=key)
    if not _CODE.match(merged["SqlCode"]):
        raise SLError.of("invalid_value", value=merged["SqlCode"][:50], name="SqlCode")
    text = merged["SqlText"]
    if len(text) > MAX_SQL_CHARS:
        raise SLError.of("value_too_long", name="SqlText", entity="SQLQuery", max_len=MAX_SQL_CHARS)
    check_statement(text)
    return {
        "SqlCode": merged["SqlCode"],
        "SqlName": merged["SqlName"],
        "SqlText": text,
        "ParamList": ",".join(placeholders(text)),
    }


def check_statement(sql: str) -> None:
    if not _SELECT.match(sql) or ";" in sql.strip().rstrip(";"):
        raise sql_error(702, "Only one SELECT statement is allowed")


def parse_param_list(text: str) -> dict[str, Any]:
    """``docTotal=100&card='C1'`` → ``{"docTotal": 100, "card": "C1"}``."""
    out: dict[str, Any] = {}
    for part in text.split("&"):
        if not part.strip():
            continue
        name, sep, raw = part.partition("=")
        if not sep:
            raise sql_error(704, f"Parameter '{part[:40]}' has no value")
        out[name.strip()] = literal(raw.strip())
    return out


def literal(raw: str) -> Any:
    if len(raw) >= 2 and raw[0] == raw[-1] == "'":
        return raw[1:-1].replace("''", "'")
    try:
        return int(raw)
    except ValueError:
        pass
    try:
        return float(raw)
    except ValueError:
        return raw


def _scalar(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bool):
        return int(value)
    if value is None or isinstance(value, int | float | str):
        return value
    return None  # collections are not columns


def _load(db: sqlite3.Connection, table: str, rows: Iterable[Mapping[str, Any]]) -> None:
    rows = list(rows)
    columns: list[str] = []
    for row in rows:
        for key, value in row.items():
            if key not in columns and not isinstance(value, list | dict):
                columns.append(key)
    if not columns:
        columns = ["DocEntry"]
    cols = ", ".join(f'"{c}"' for c in columns)
    db.execute(f'CREATE TABLE "{table}" ({cols})')
    marks = ", ".join("?" for _ in columns)
    db.executemany(
        f'INSERT INTO "{table}" VALUES ({marks})',
        [[_scalar(row.get(c)) for c in columns] for row in rows],
    )


def snapshot_tables(state: Any) -> dict[str, list[dict[str, Any]]]:
    """B1 table name → rows, from the emulator's current data."""
    tables: dict[str, list[dict[str, Any]]] = {}
    for entity_set, kind in DOCUMENT_KINDS.items():
        docs = list(state.docs.get(entity_set, {}).values())
        tables[kind.header_table] = docs
        tables[kind.line_table] = [line for d in docs for line in d.get("DocumentLines") or ()]
    for entity_set, (table, _) in PAYMENT_SETS.items():
        tables[table] = list(state.docs.get(entity_set, {}).values())
    for table, entity_set in MASTER_TABLES.items():
        tables[table] = state.list_entities(entity_set)
    return tables


def run_query(state: Any, sql: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Run a stored query's ``SqlText`` with ``params``; rows as dicts (column → value)."""
    check_statement(sql)
    wanted = placeholders(sql)
    missing = [p for p in wanted if p not in params]
    if missing:
        raise sql_error(704, f"Parameter '{missing[0]}' is missing")
    extra = [p for p in params if p not in wanted]
    if extra:
        raise sql_error(704, f"Parameter '{extra[0]}' is not declared in the query")
    tables = snapshot_tables(state)
    db = sqlite3.connect(":memory:")
    try:
        for table, rows in tables.items():
            _load(db, table, rows)

        def authorize(action: int, arg1: Any, arg2: Any, dbname: Any, source: Any) -> int:
            if action in (sqlite3.SQLITE_SELECT, sqlite3.SQLITE_FUNCTION):
                return sqlite3.SQLITE_OK
            if action == sqlite3.SQLITE_READ and str(arg1).upper() in tables:
                return sqlite3.SQLITE_OK
            return sqlite3.SQLITE_DENY

        db.set_authorizer(authorize)
        try:
            cursor = db.execute(sql.strip().rstrip(";"), dict(params))
        except sqlite3.DatabaseError as exc:
            text = str(exc)
            if "no such table" in text or "not authorized" in text or "prohibited" in text:
                raise sql_error(702, f"Not allowed: {text[:120]}") from None
            raise sql_error(703, f"Invalid SQL: {text[:160]}") from None
        names = [d[0] for d in cursor.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        db.close()
