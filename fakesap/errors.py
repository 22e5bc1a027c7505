"""Service Layer errors, declared together as data, and their two wire shapes.

The real Service Layer answers every failure with an ``error`` object: in OData v3
(``/b1s/v1``) ``{"error": {"code": <int>, "message": {"lang": "en-us", "value": "..."}}}``,
in OData v4 (``/b1s/v2``) ``{"error": {"code": "<string>", "message": "..."}}``. Codes are
mostly negative DI-API codes; the text varies between versions, so fakesap keeps one table
and the tests pin against it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

ODataVersion = Literal["v1", "v2"]


@dataclass(frozen=True)
class ErrorKind:
    """One row of the error table: HTTP status, SL code, message template."""

    name: str
    status: int
    code: int
    template: str


#: every error fakesap answers, by name. ``{...}`` placeholders are filled by ``SLError.of``.
ERRORS: dict[str, ErrorKind] = {
    e.name: e
    for e in (
        ErrorKind("invalid_session", 401, 301, "Invalid session or session already timeout."),
        # exact code of a failed login is unconfirmed; fakesap uses -304 consistently
        ErrorKind("login_failed", 401, -304, "Fail to get DB Credentials from SLD"),
        ErrorKind(
            "unknown_company",
            401,
            -304,
            "Login failed: company database '{company}' does not exist",
        ),
        # licence/session exhaustion; the exact SL text is unconfirmed
        ErrorKind(
            "too_many_sessions",
            401,
            -304,
            "Login failed: user '{user}' already has {limit} sessions; log out or reuse a session",
        ),
        ErrorKind("no_matching_records", 404, -2028, "No matching records found (ODBC -2028)"),
        ErrorKind("resource_not_found", 404, -1, "Resource not found for the segment '{segment}'"),
        ErrorKind(
            "etag_mismatch",
            412,
            -2039,
            "Another user or another operation modified data; to continue, open the window again",
        ),
        ErrorKind("invalid_property", 400, -1000, "Property '{name}' of '{entity}' is invalid"),
        ErrorKind("invalid_udf", 400, -1000, "Property '{name}' of '{entity}' is invalid"),
        ErrorKind("invalid_value", 400, -1000, "Value '{value}' is invalid for property '{name}'"),
        ErrorKind("invalid_json", 400, -1000, "Invalid JSON: {detail}"),
        ErrorKind(
            "value_too_long",
            400,
            -10,
            "Value too long in property '{name}' of '{entity}' (max {max_len})",
        ),
        ErrorKind(
            "base_document_not_found",
            400,
            -2028,
            "Base document not found: type {base_type}, entry {base_entry}  [{table}.BaseEntry][line: {line}]",
        ),
        ErrorKind(
            "base_line_not_found",
            400,
            -2028,
            "Base line {base_line} not found in base document {base_entry}  [{table}.BaseLine][line: {line}]",
        ),
        ErrorKind(
            "line_not_found", 400, -2028, "Line {line_num} does not exist in document {doc_entry}"
        ),
        ErrorKind(
            "payment_exceeds_open",
            400,
            -5002,
            "Amount applied exceeds the open balance of invoice {doc_entry}  [RCT2.SumApplied][line: {line}]",
        ),
        ErrorKind(
            "payment_unbalanced",
            400,
            -5002,
            "Payment total {total} is less than the sum applied {applied}",
        ),
        ErrorKind("unauthorized_action", 400, -5002, "{message}"),
        ErrorKind("missing_field", 400, -10, "Field '{field}' is mandatory  [{table}.{column}]"),
        ErrorKind(
            "invalid_card_code", 400, -10, "Invalid BP code '{card_code}'  [{table}.CardCode]"
        ),
        ErrorKind(
            "invalid_item",
            400,
            -10,
            "Item code '{item_code}' is invalid  [{table}.ItemCode][line: {line}]",
        ),
        ErrorKind(
            "item_inactive",
            400,
            -10,
            "Item '{item_code}' is inactive  [{table}.ItemCode][line: {line}]",
        ),
        ErrorKind(
            "item_not_sales",
            400,
            -10,
            "Item '{item_code}' is not a sales item  [{table}.ItemCode][line: {line}]",
        ),
        ErrorKind(
            "invalid_vat_group",
            400,
            -10,
            "Invalid tax group '{vat_group}'  [{table}.VatGroup][line: {line}]",
        ),
        ErrorKind(
            "invalid_warehouse",
            400,
            -10,
            "Invalid warehouse '{warehouse}'  [{table}.WhsCode][line: {line}]",
        ),
        ErrorKind(
            "negative_inventory",
            400,
            -10,
            "Quantity falls into negative inventory  [{table}.ItemCode][line: {line}]",
        ),
        ErrorKind(
            "base_quantity_exceeded",
            400,
            -5002,
            "Quantity exceeds the open quantity of the base document  [{table}.Quantity][line: {line}]",
        ),
        ErrorKind(
            "base_document_closed",
            400,
            -5002,
            "Base document '{base_entry}' is closed or cancelled  [{table}.BaseEntry][line: {line}]",
        ),
        ErrorKind("business_rule", 400, -5002, "{message}"),
        # a key that exists (a second BusinessPartners POST with the same CardCode)
        ErrorKind(
            "already_exists",
            400,
            -2035,
            "This entry already exists in the following tables ({table}) (ODBC -2035)",
        ),
        ErrorKind(
            "cannot_cancel",
            400,
            -4006,
            "Cannot cancel document; it is closed or has follow-up documents",
        ),
        ErrorKind("cannot_close", 400, -4014, "Document is already closed or cancelled"),
        ErrorKind("cannot_reopen", 400, -4014, "Document cannot be reopened"),
        ErrorKind(
            "documents_not_deletable",
            400,
            -5006,
            "Documents cannot be deleted; cancel or close them instead",
        ),
        # the site's TransactionNotification answers with its own code and text
        ErrorKind(
            "duplicate_key",
            400,
            -1116,
            "(1116) Duplicate {udf}: document {entity}({doc_entry}) DocNum {doc_num} already has '{value}'",
        ),
        ErrorKind("invalid_filter", 400, -1000, "Invalid $filter: {detail}"),
        ErrorKind("invalid_query_option", 400, -1000, "Invalid query option {option}: {detail}"),
        ErrorKind("invalid_batch", 400, -1000, "Invalid batch request: {detail}"),
        ErrorKind("invalid_header", 400, -1000, "Invalid value '{value}' of header {header}"),
        ErrorKind("method_not_allowed", 405, -1000, "Method {method} is not allowed on {segment}"),
        ErrorKind("request_too_large", 413, -1000, "Request body too large"),
        ErrorKind(
            "unsupported_media_type",
            415,
            -1000,
            "Content type '{content_type}' is not supported; use application/json",
        ),
        ErrorKind("too_many_requests", 429, -1000, "Too many requests; retry later"),
        ErrorKind("internal_error", 500, -1, "Internal error"),
        ErrorKind("service_unavailable", 503, -1, "Service Unavailable"),
    )
}


class SLError(Exception):
    """A Service Layer error: raise it anywhere below the HTTP layer, rendered there."""

    def __init__(self, status: int, code: int, message: str, name: str = "custom") -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.name = name
        #: extra response headers (``Allow`` on a 405)
        self.headers: dict[str, str] | None = None

    @classmethod
    def of(cls, kind_name: str, /, **fields: Any) -> SLError:
        kind = ERRORS[kind_name]
        return cls(kind.status, kind.code, kind.template.format(**fields), kind_name)

    def body(self, version: ODataVersion = "v1") -> dict[str, Any]:
        return error_body(self.code, self.message, version)

    def __repr__(self) -> str:
        return f"SLError({self.status}, {self.code}, {self.message!r})"


def error_body(code: int, message: str, version: ODataVersion = "v1") -> dict[str, Any]:
    """The SL error object in the v1 (OData v3) or v2 (OData v4) shape."""
    if version == "v2":
        return {"error": {"code": str(code), "message": message}}
    return {"error": {"code": code, "message": {"lang": "en-us", "value": message}}}


def error_bytes(err: SLError, version: ODataVersion = "v1") -> bytes:
    return json.dumps(err.body(version), ensure_ascii=False).encode("utf-8")
