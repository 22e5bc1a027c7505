"""WooCommerce REST authentication: one-legged OAuth 1.0a over http, Basic over https.

WooCommerce refuses Basic credentials on plain http; there the client signs each request:
base string = METHOD & enc(url without query) & enc(sorted, encoded ``k=v`` pairs),
key = consumer secret + ``&``, signature = base64(HMAC-SHA256). The server refuses reused
nonces and timestamps older than 15 minutes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit


def _enc(value: str) -> str:
    return quote(value, safe="~")


def oauth_signature(method: str, url: str, params: Mapping[str, str], consumer_secret: str) -> str:
    """Signature over ``params`` (all query parameters except ``oauth_signature``)."""
    pairs = sorted((_enc(k), _enc(v)) for k, v in params.items() if k != "oauth_signature")
    normalized = "&".join(f"{k}={v}" for k, v in pairs)
    base = "&".join((method.upper(), _enc(url), _enc(normalized)))
    key = f"{consumer_secret}&".encode()
    return base64.b64encode(hmac.new(key, base.encode(), hashlib.sha256).digest()).decode()


def oauth_params(
    method: str,
    url: str,
    consumer_key: str,
    consumer_secret: str,
    timestamp: int,
    nonce: str | None = None,
) -> dict[str, str]:
    """Query parameters (existing ones included) for a signed request to ``url``."""
    parts = urlsplit(url)
    bare = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    params.update(
        oauth_consumer_key=consumer_key,
        oauth_timestamp=str(timestamp),
        oauth_nonce=nonce or secrets.token_hex(16),
        oauth_signature_method="HMAC-SHA256",
    )
    params["oauth_signature"] = oauth_signature(method, bare, params, consumer_secret)
    return params


def basic_header(consumer_key: str, consumer_secret: str) -> str:
    token = base64.b64encode(f"{consumer_key}:{consumer_secret}".encode()).decode()
    return f"Basic {token}"
