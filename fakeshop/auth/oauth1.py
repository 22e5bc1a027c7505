"""OAuth 1.0a one-legged, exactly as WooCommerce checks it over plain HTTP.

Parameters come from the query string, a form body and an ``Authorization: OAuth`` header.
Base string = ``METHOD&rawurlencode(scheme://home-host/path)&`` + the sorted parameters
(without ``oauth_signature``), each ``key=value`` with key and value RFC 3986-encoded and
the pair encoded again, joined by ``%26``. Key = consumer secret + ``&``. HMAC-SHA1 or
HMAC-SHA256, base64. The signature is checked first, then the timestamp (±15 min) and
the nonce (refused if seen for this key within the window).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from aiohttp import web

from fakeshop.config import ApiKey
from fakeshop.errors import WooError
from fakeshop.nonces import NonceCache
from fakeshop.store import ShopState

REQUIRED = (
    "oauth_consumer_key",
    "oauth_timestamp",
    "oauth_nonce",
    "oauth_signature",
    "oauth_signature_method",
)
WINDOW_S = 15 * 60
_HEADER_PARAM = re.compile(r'(oauth_[a-z_-]*)=(:?"([^"]*)"|([^,]*))')
_HASHES = {"HMAC-SHA1": hashlib.sha1, "HMAC-SHA256": hashlib.sha256}


def rawurlencode(text: str) -> str:
    """PHP ``rawurlencode`` (RFC 3986: only ``A-Za-z0-9-_.~`` stay as they are)."""
    return quote(text, safe="-_.~")


@dataclass(frozen=True)
class OAuthRequest:
    method: str
    base_url: str  # scheme://host[:port]/path, no query
    params: dict[str, str]

    @classmethod
    def from_request(
        cls,
        request: web.Request,
        form: Mapping[str, str],
        ssl: bool,
        home_url: str | None,
    ) -> OAuthRequest:
        params: dict[str, str] = {}
        for k, v in request.query.items():
            params[k] = v
        for k, v in form.items():
            params[k] = v
        params.update(parse_oauth_header(request.headers.get("Authorization", "")))
        host = urlsplit(home_url).netloc if home_url else request.host
        scheme = "https" if ssl else "http"
        return cls(request.method.upper(), f"{scheme}://{host}{request.path}", params)


def parse_oauth_header(header: str) -> dict[str, str]:
    header = header.strip()
    if not header.startswith("OAuth "):
        return {}
    out: dict[str, str] = {}
    for m in _HEADER_PARAM.finditer(header):
        out[m.group(1)] = unquote(m.group(3) or m.group(4) or "")
    return out


def base_string(method: str, base_url: str, params: Mapping[str, str]) -> str:
    """The OAuth string to sign as WooCommerce builds it (``check_oauth_signature``)."""
    items = [(k, v) for k, v in params.items() if k != "oauth_signature"]
    # uksort(strcmp) on PHP's top-level array keys: ``a[b]`` sorts under ``a``, stable
    items.sort(key=lambda kv: kv[0].split("[", 1)[0].encode())
    # the pair is encoded again; an encoded key or value holds nothing but unreserved
    # characters and "%", so that second rawurlencode only turns "%" into "%25" and "=" into
    # "%3D" (the same text, without quoting every pair twice)
    pairs = [
        f"{rawurlencode(k).replace('%', '%25')}%3D{rawurlencode(v).replace('%', '%25')}"
        for k, v in items
    ]
    return f"{method.upper()}&{rawurlencode(base_url)}&{'%26'.join(pairs)}"


def sign(method: str, base_url: str, params: Mapping[str, str], secret: str, algo: str) -> str:
    digest = hmac.new(
        f"{secret}&".encode(), base_string(method, base_url, params).encode(), _HASHES[algo]
    ).digest()
    return base64.b64encode(digest).decode()


def verify_oauth(req: OAuthRequest, state: ShopState) -> ApiKey | None:
    """The key the signature proves, None when no OAuth parameter is present at all."""
    params = req.params
    missing = [n for n in REQUIRED if not params.get(n)]
    if len(missing) == len(REQUIRED):
        return None
    if missing:
        word = "parameter" if len(missing) == 1 else "parameters"
        raise WooError("missing_oauth", {"message": f"Missing OAuth {word} {', '.join(missing)}"})
    key = state.api_key(params["oauth_consumer_key"])
    if key is None:
        raise WooError("consumer_key_invalid")
    algo = params["oauth_signature_method"]
    if algo not in _HASHES:
        raise WooError("signature_method")
    provided = unquote(params["oauth_signature"].replace(" ", "+"))
    expected = sign(req.method, req.base_url, params, key.consumer_secret, algo)
    if not hmac.compare_digest(expected.encode(), provided.encode()):
        raise WooError("signature_mismatch")
    _check_timestamp_and_nonce(state, key, params["oauth_timestamp"], params["oauth_nonce"])
    return key


def _check_timestamp_and_nonce(state: ShopState, key: ApiKey, ts_text: str, nonce: str) -> None:
    now = int(state.now())
    try:
        ts = int(ts_text)
    except ValueError as exc:
        raise WooError("timestamp") from exc
    if ts < now - WINDOW_S or ts > now + WINDOW_S:
        raise WooError("timestamp")
    used = state.nonces.get(key.consumer_key)
    if used is None:
        used = state.nonces[key.consumer_key] = NonceCache(WINDOW_S)
    if not used.use(nonce, ts, now):
        raise WooError("nonce_used")
