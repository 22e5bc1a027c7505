"""How the bridge classifies Service Layer outcomes: the basis of every retry decision.

The SL has no idempotency header, so what matters after a failed write is whether the
document *may* exist: a refused connection never reached SAP (transient), a 400 with an
SL code is a business refusal (permanent), but a timeout, a reset or a 5xx after the
body was sent may hide a committed document (ambiguous: look the key up before retrying).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


class SLFailure(Exception):
    """Base of every classified Service Layer failure."""

    kind = "failure"

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class Transient(SLFailure):
    """Nothing happened in SAP (or a read failed): retry later, honouring ``retry_after_s``."""

    kind = "transient"

    def __init__(
        self, message: str, status: int | None = None, retry_after_s: float | None = None
    ) -> None:
        super().__init__(message, status)
        self.retry_after_s = retry_after_s


class Ambiguous(Transient):
    """A write may or may not have committed (timeout, reset, 5xx after sending)."""

    kind = "ambiguous"


class Permanent(SLFailure):
    """SAP refused the request for a business/validation reason: retrying cannot help."""

    kind = "permanent"

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(message, status)
        self.code = code

    def __str__(self) -> str:
        return f"SL {self.code}: {self.message}"


class DuplicateRefused(Permanent):
    """The site's TransactionNotification refused a second document with the same key."""

    kind = "duplicate"


class NotFound(Permanent):
    """404 / -2028: no matching record."""

    kind = "not_found"


@dataclass(frozen=True)
class SLErrorBody:
    code: str
    message: str


def parse_error(body: Any) -> SLErrorBody | None:
    """Parse both SL error shapes: v1 ``{code:int, message:{lang,value}}``, v2 ``{code:str, message:str}``."""
    if isinstance(body, (bytes, str)):
        try:
            body = json.loads(body)
        except ValueError:
            return None
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        return None
    err = body["error"]
    msg = err.get("message")
    if isinstance(msg, dict):
        msg = msg.get("value", "")
    details = err.get("details")
    text = str(msg or "")
    if not text and isinstance(details, list) and details and isinstance(details[0], dict):
        text = str(details[0].get("message", ""))
    return SLErrorBody(code=str(err.get("code", "")), message=text)


#: what a uniqueness guard on U_IdemKey answers with: an SL code (exact match, e.g.
#: ``-1116``) or a fragment of its message (case-insensitive); a site whose
#: TransactionNotification speaks differently configures ``sap_duplicate_markers``
DEFAULT_DUPLICATE_MARKERS: tuple[str, ...] = ("-1116", "duplicate")


def is_duplicate_refusal(code: str, message: str, markers: tuple[str, ...]) -> bool:
    """True when an SL error names the uniqueness guard: a marker equal to the code,
    or found (case-insensitively) in the message."""
    text = message.lower()
    return any(m and (m == code or m.lower() in text) for m in markers)


def classify_status(
    status: int,
    body: Any,
    *,
    wrote: bool,
    retry_after_s: float | None = None,
    duplicate_markers: tuple[str, ...] = DEFAULT_DUPLICATE_MARKERS,
) -> SLFailure:
    """Map a non-2xx SL answer to a failure class. ``wrote``: the request could change data."""
    err = parse_error(body)
    code = err.code if err else str(status)
    message = err.message if err else f"HTTP {status}"
    if status == 429:
        return Transient(f"429 {message}", status, retry_after_s)
    if status >= 500:
        cls = Ambiguous if wrote else Transient
        return cls(f"{status} {message}", status, retry_after_s)
    if status == 401:
        return Transient(f"401 {message}", status)
    if status == 404:
        return NotFound(code, message, status)
    if status == 412:
        return Transient(f"412 {message}", status)
    if err and is_duplicate_refusal(code, message, duplicate_markers):
        return DuplicateRefused(code, message, status)
    if 400 <= status < 500:
        return Permanent(code, message, status)
    return Transient(f"unexpected {status} {message}", status)


def odata_quote(value: str) -> str:
    """An OData string literal: single quotes, embedded quotes doubled (``O'Connor`` → ``'O''Connor'``)."""
    return "'" + value.replace("'", "''") + "'"
