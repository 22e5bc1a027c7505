"""``X-WC-Webhook-Signature``: base64(HMAC-SHA256(secret, body)), raw digest then base64.

WooCommerce stores the secret HTML-escaped and decodes it (``wp_specialchars_decode``)
before signing, so ``a&amp;b`` signs as ``a&b``.
"""

from __future__ import annotations

import hmac

from sapchaos.signing import decode_secret, webhook_signature

__all__ = ["decode_secret", "verify_signature", "webhook_signature"]


def verify_signature(secret: str, body: bytes, header: str) -> bool:
    """What a receiver should do: recompute over the raw bytes, compare in constant time."""
    return hmac.compare_digest(webhook_signature(secret, body).encode(), header.encode())
