"""A test-side OAuth 1.0a signer written from RFC 5849 and WooCommerce's docs (not from
the server code), so tests do not verify the server against itself."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from urllib.parse import quote, urlencode


def enc(s: str) -> str:
    return quote(s, safe="-_.~")


def signed_url(
    method: str,
    url: str,
    ck: str,
    cs: str,
    params: dict[str, str],
    *,
    algo: str = "HMAC-SHA256",
    timestamp: int | None = None,
    nonce: str | None = None,
) -> str:
    p = dict(params)
    p.update(
        oauth_consumer_key=ck,
        oauth_timestamp=str(timestamp if timestamp is not None else int(time.time())),
        oauth_nonce=nonce or secrets.token_hex(16),
        oauth_signature_method=algo,
    )
    pairs = "%26".join(enc(f"{enc(k)}={enc(v)}") for k, v in sorted(p.items()))
    base = f"{method.upper()}&{enc(url)}&{pairs}"
    h = hashlib.sha256 if algo == "HMAC-SHA256" else hashlib.sha1
    p["oauth_signature"] = base64.b64encode(
        hmac.new(f"{cs}&".encode(), base.encode(), h).digest()
    ).decode()
    return f"{url}?{urlencode(p)}"
