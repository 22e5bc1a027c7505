"""WooCommerce webhook signatures: base64(HMAC-SHA256(secret, raw body)).

WooCommerce signs the exact body bytes with the webhook secret (HTML entities decoded)
and sends the base64 of the raw digest in ``X-WC-Webhook-Signature``. The check compares
in constant time and accepts any of the configured secrets (for rotation).
"""

from __future__ import annotations

import base64
import hmac
from collections.abc import Iterable

from sapchaos.signing import decode_secret, webhook_signature


def sign(secret: str, body: bytes) -> str:
    """The header value WooCommerce would send for ``body`` (entities decoded as WordPress does)."""
    return webhook_signature(secret, body)


class Verifier:
    """``verify`` for a fixed set of secrets, with the keys decoded and encoded once.

    The receiver checks every delivery; decoding the secret (``wp_specialchars_decode``)
    and building a Python ``HMAC`` object per request cost more than the hash itself, so
    the keys are prepared up front and each digest is one call into OpenSSL.
    """

    __slots__ = ("keys",)

    def __init__(self, secrets: Iterable[str]) -> None:
        self.keys = tuple(decode_secret(s).encode("utf-8") for s in secrets)

    def __call__(self, body: bytes, header: str | None) -> bool:
        """True when ``header`` is the signature of ``body`` under one of the secrets."""
        if not header:
            return False
        given = header.strip().encode("ascii", "replace")
        ok = False
        for key in self.keys:
            # compare against every secret so timing does not reveal which one matched
            expected = base64.b64encode(hmac.digest(key, body, "sha256"))
            ok |= hmac.compare_digest(expected, given)
        return ok


def verify(secrets: Iterable[str], body: bytes, header: str | None) -> bool:
    """True when ``header`` is the signature of ``body`` under one of ``secrets``."""
    return Verifier(secrets)(body, header)
