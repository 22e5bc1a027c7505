"""``consumer_key``/``consumer_secret`` query parameters (HTTPS only; checked before Basic)."""

from __future__ import annotations

from collections.abc import Mapping


def query_credentials(query: Mapping[str, str]) -> tuple[str, str] | None:
    key, secret = query.get("consumer_key", ""), query.get("consumer_secret", "")
    if key and secret:
        return key, secret
    return None
