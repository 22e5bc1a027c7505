"""The body WooCommerce posts: ``trim(wp_json_encode($payload))``.

PHP's ``json_encode`` without flags escapes ``/`` as ``\\/`` and non-ASCII as ``\\uXXXX``,
and writes no spaces; a receiver must verify the signature over these exact bytes, not
over a re-serialisation of the parsed JSON.
"""

from __future__ import annotations

import json
from typing import Any


def php_json(value: Any) -> bytes:
    text = json.dumps(value, ensure_ascii=True, separators=(",", ":"))
    return text.replace("/", "\\/").strip().encode("ascii")


def build_payload(topic: str, order: dict[str, Any]) -> dict[str, Any]:
    """``WC_Webhook::build_payload``: the REST resource, or only ``{"id"}`` for deletions."""
    if topic.endswith(".deleted"):
        return {"id": order["id"]}
    return order
