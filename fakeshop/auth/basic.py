"""HTTP Basic with consumer key as user and consumer secret as password (HTTPS only)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping


def basic_credentials(headers: Mapping[str, str]) -> tuple[str, str] | None:
    """``PHP_AUTH_USER``/``PHP_AUTH_PW`` from an ``Authorization: Basic`` header, if both set."""
    header = headers.get("Authorization", "")
    if header[:6].lower() != "basic ":
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    if not sep or not user or not password:
        return None
    return user, password
