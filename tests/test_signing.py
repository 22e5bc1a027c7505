"""One signer for shop and bridge: entities decoded exactly as WordPress does."""

from __future__ import annotations

from bridge.signature import sign, verify
from fakeshop.webhooks.signature import webhook_signature
from sapchaos.signing import decode_secret


def test_only_wordpress_entities_are_decoded() -> None:
    assert decode_secret("a&amp;b&lt;&#039;") == "a&b<'"
    # html.unescape would turn &copy; into ©; WordPress leaves it alone
    assert decode_secret("x&copy;y") == "x&copy;y"


def test_bridge_verifies_what_the_shop_signs_for_any_secret() -> None:
    body = b'{"id":1}'
    for secret in ("plain", "a&amp;b", "x&copy;y"):
        header = webhook_signature(secret, body)
        assert sign(secret, body) == header
        assert verify((secret,), body, header)
