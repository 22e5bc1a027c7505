"""``X-WC-Webhook-Signature``: base64(HMAC-SHA256(secret, body)), raw digest then base64.

WooCommerce stores the secret HTML-escaped and decodes it (``wp_specialchars_decode``)
before signing, so ``a&amp;b`` signs as ``a&b``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&#039;", "'"), ("&amp;", "&"))


def decode_secret(secret: str) -> str:
    for entity, char in _ENTITIES:
        secret = secret.replace(entity, char)
    return secret


def webhook_signature(secret: str, body: bytes) -> str:
    digest = hmac.new(decode_secret(secret).encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def verify_signature(secret: str, body: bytes, header: str) -> bool:
    """What a receiver should do: recompute over the raw bytes, compare in constant time."""
    return hmac.compare_digest(webhook_signature(secret, body).encode(), header.encode())
