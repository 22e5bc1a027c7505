"""``X-WC-Webhook-Delivery-ID`` = ``wp_hash($webhook_id . strtotime('now'))``.

``wp_hash`` is HMAC-MD5 keyed with the site's salt: a 32-hex string that is the same for
every delivery of one webhook within one second (different orders included).
"""

from __future__ import annotations

import hashlib
import hmac


def delivery_id(webhook_id: int, now: float, salt: str) -> str:
    message = f"{webhook_id}{int(now)}".encode()
    return hmac.new(salt.encode(), message, hashlib.md5).hexdigest()
