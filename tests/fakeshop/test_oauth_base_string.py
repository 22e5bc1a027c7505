"""The OAuth base string's pairs are ``rawurlencode(rawurlencode(k) . '=' . rawurlencode(v))``
exactly as WooCommerce builds them, for any key and value text."""

from __future__ import annotations

import random
from urllib.parse import quote

from fakeshop.auth.oauth1 import base_string


def _reference(method: str, url: str, params: dict[str, str]) -> str:
    def enc(text: str) -> str:
        return quote(text, safe="-_.~")

    items = sorted(
        ((k, v) for k, v in params.items() if k != "oauth_signature"),
        key=lambda kv: kv[0].split("[", 1)[0].encode(),
    )
    pairs = [enc(f"{enc(k)}={enc(v)}") for k, v in items]
    return f"{method}&{enc(url)}&{'%26'.join(pairs)}"


def test_pairs_match_double_rawurlencode() -> None:
    rng = random.Random(3)
    alphabet = "aZ09-_.~ %+=&/?:#[]\"'ñé€😀\n"
    for _ in range(2000):
        params = {
            "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 8))): "".join(
                rng.choice(alphabet) for _ in range(rng.randint(0, 12))
            )
            for _ in range(rng.randint(1, 6))
        }
        params["oauth_signature"] = "ignored"
        url = "http://127.0.0.1:8080/wp-json/wc/v3/orders/1001/notes"
        assert base_string("POST", url, params) == _reference("POST", url, params)
