"""WooCommerce webhook signatures, in one place for the shop emulator and the bridge.

WooCommerce stores a webhook secret HTML-escaped and decodes it with
``wp_specialchars_decode`` (only ``&lt; &gt; &quot; &#039; &amp;``) before signing the exact
body bytes: ``base64(HMAC-SHA256(secret, body))``, raw digest then base64.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&#039;", "'"), ("&amp;", "&"))


def decode_secret(secret: str) -> str:
    """``wp_specialchars_decode``: the five entities WordPress decodes, nothing more."""
    for entity, char in _ENTITIES:
        secret = secret.replace(entity, char)
    return secret


def webhook_signature(secret: str, body: bytes) -> str:
    digest = hmac.new(decode_secret(secret).encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")
