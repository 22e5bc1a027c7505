"""WooCommerce REST authentication, in the order ``WC_REST_Authentication::authenticate``
tries it: over HTTPS the consumer key/secret as query parameters, then HTTP Basic; if that
found no user, OAuth 1.0a one-legged (the only method that works over plain HTTP).
"""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from fakeshop.auth.basic import basic_credentials
from fakeshop.auth.oauth1 import OAuthRequest, verify_oauth
from fakeshop.auth.query import query_credentials
from fakeshop.config import ApiKey
from fakeshop.errors import WooError
from fakeshop.store import ShopState

BASIC_REALM = (
    'Basic realm="WooCommerce API. Use a consumer key in the username field and a consumer '
    'secret in the password field."'
)


def is_ssl(request: web.Request, trust_forwarded_proto: bool) -> bool:
    """WordPress ``is_ssl()``: the connection's own scheme; ``X-Forwarded-Proto: https``
    counts only when the operator said a TLS-terminating proxy sits in front."""
    if request.scheme == "https":
        return True
    return trust_forwarded_proto and request.headers.get("X-Forwarded-Proto", "").lower() == "https"


def _check_permissions(key: ApiKey, method: str) -> None:
    if method in ("GET", "HEAD"):
        if key.permissions not in ("read", "read_write"):
            raise WooError("no_read")
    elif method in ("POST", "PUT", "PATCH", "DELETE") and key.permissions not in (
        "write",
        "read_write",
    ):
        raise WooError("no_write")


def authenticate(request: web.Request, state: ShopState, form: Mapping[str, str]) -> ApiKey | None:
    """The API key the request authenticates as; None if it carries no credentials at all.

    Raises :class:`WooError` for credentials that are present but wrong, as WooCommerce
    sets its authentication error then.
    """
    ssl = is_ssl(request, state.config.trust_forwarded_proto)
    key: ApiKey | None = None
    if ssl:
        creds = query_credentials(request.query) or basic_credentials(request.headers)
        if creds is not None:
            candidate = state.api_key(creds[0])
            if candidate is not None:
                if not _consteq(candidate.consumer_secret, creds[1]):
                    raise WooError(
                        "consumer_secret_invalid", headers={"WWW-Authenticate": BASIC_REALM}
                    )
                key = candidate
    if key is None:
        oauth = OAuthRequest.from_request(request, form, ssl, state.config.home_url)
        key = verify_oauth(oauth, state)
    if key is not None:
        _check_permissions(key, request.method)
    return key


def _consteq(a: str, b: str) -> bool:
    import hmac

    return hmac.compare_digest(a.encode(), b.encode())
