"""The Service Layer's "configuration by request" headers that shape a query.

- ``B1S-PageSize: N`` sets the server page size of this one request (the manual's
  per-request override of ``PageSize`` in ``b1s.conf``); ``0`` answers everything in
  one page, as ``PageSize=0`` does.
- ``Prefer: odata.maxpagesize=N`` does the same the OData way and is answered with
  ``Preference-Applied``. When both are sent, ``B1S-PageSize`` wins (it is the SL's own).
- ``B1S-CaseInsensitive: true`` compares strings in ``$filter`` ignoring case (a HANA
  company is case-sensitive by default).

Either header is per request: a client that follows ``odata.nextLink`` sends it again
(it is a client-level default in every SL wrapper) and pages keep that size.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from fakesap.config import FakeSapConfig
from fakesap.errors import SLError
from fakesap.odata import page_size_from_prefer

MAX_HEADER_DIGITS = 9


@dataclass(frozen=True)
class RequestConfig:
    """What one request asked for: its page size, the ``Preference-Applied`` answer (or
    None) and whether string comparisons ignore case."""

    page_size: int
    preference_applied: str | None
    case_insensitive: bool


def _shown(raw: str) -> str:
    """A header value fit to quote in the error: non-UTF-8 bytes (which aiohttp hands over
    as surrogates) become escapes instead of breaking the response."""
    return raw[:40].encode("utf-8", "backslashreplace").decode("utf-8")


def request_config(request: web.Request, config: FakeSapConfig) -> RequestConfig:
    """Read the per-request headers; a malformed ``B1S-*`` value is a 400 naming it."""
    headers = request.headers
    page_size, applied = page_size_from_prefer(headers.get("Prefer"), config.page_size)
    raw = headers.get("B1S-PageSize")
    if raw is not None:
        text = raw.strip()
        if not (text.isascii() and text.isdigit() and len(text) <= MAX_HEADER_DIGITS):
            raise SLError.of("invalid_header", value=_shown(raw), header="B1S-PageSize")
        page_size, applied = int(text), False
    page_size = min(page_size, config.max_page_size)
    case = headers.get("B1S-CaseInsensitive")
    if case is not None and case.strip().lower() not in ("true", "false"):
        raise SLError.of("invalid_header", value=_shown(case), header="B1S-CaseInsensitive")
    return RequestConfig(
        page_size=page_size,
        preference_applied=f"odata.maxpagesize={page_size}" if applied else None,
        case_insensitive=case is not None and case.strip().lower() == "true",
    )
