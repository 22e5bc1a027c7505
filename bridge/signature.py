"""WooCommerce webhook signatures: base64(HMAC-SHA256(secret, raw body)).

WooCommerce signs the exact body bytes with the webhook secret (HTML entities decoded)
and sends the base64 of the raw digest in ``X-WC-Webhook-Signature``. The check compares
in constant time and accepts any of the configured secrets (for rotation).
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable

from sapchaos.signing import webhook_signature


def sign(secret: str, body: bytes) -> str:
    """The header value WooCommerce would send for ``body`` (entities decoded as WordPress does)."""
    return webhook_signature(secret, body)


def verify(secrets: Iterable[str], body: bytes, header: str | None) -> bool:
    """True when ``header`` is the signature of ``body`` under one of ``secrets``."""
    if not header:
        return False
    given = header.strip().encode("ascii", "replace")
    ok = False
    for secret in secrets:
        # compare against every secret so timing does not reveal which one matched
        ok |= hmac.compare_digest(sign(secret, body).encode("ascii"), given)
    return ok
