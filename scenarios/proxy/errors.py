"""Toxiproxy's API errors, declared together as data: key → (HTTP status, message).

The reference server answers every error with ``{"error": message, "status": code}``;
errors that wrap a cause append ``": cause"`` to the message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ErrorSpec:
    status: int
    message: str


ERRORS: Mapping[str, ErrorSpec] = {
    "bad_request_body": ErrorSpec(400, "bad request body"),
    "missing_field": ErrorSpec(400, "missing required field"),
    "proxy_not_found": ErrorSpec(404, "proxy not found"),
    "proxy_exists": ErrorSpec(409, "proxy already exists"),
    "invalid_stream": ErrorSpec(400, "stream was invalid, can be either upstream or downstream"),
    "invalid_toxic_type": ErrorSpec(400, "invalid toxic type"),
    "toxic_exists": ErrorSpec(409, "toxic already exists"),
    "toxic_not_found": ErrorSpec(404, "toxic not found"),
    "browser_refused": ErrorSpec(403, "User agent not allowed"),
    # the reference server reports OS errors (listen failures) as 500 with their text
    "internal": ErrorSpec(500, "internal error"),
}


class ApiError(Exception):
    """An error the API returns to the client in Toxiproxy's JSON shape."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    @classmethod
    def of(cls, key: str, cause: str | None = None) -> ApiError:
        spec = ERRORS[key]
        message = spec.message if cause is None else f"{spec.message}: {cause}"
        return cls(spec.status, message)

    @classmethod
    def os_error(cls, text: str) -> ApiError:
        """An operating-system failure (e.g. address in use): 500 with the OS text."""
        return cls(ERRORS["internal"].status, text)

    def body(self) -> dict[str, Any]:
        return {"error": self.message, "status": self.status}
