"""Small gevent-cooperative HTTP helpers for the parts of a load test that must not show up
in Locust's request statistics (acknowledgement polls, Toxiproxy calls).

geventhttpclient is what Locust's FastHttpUser is built on: it yields to other greenlets
while waiting, so a poll never blocks the users of the same process.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from geventhttpclient import HTTPClient

from bridge.shop.oauth import oauth_params


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.body) if self.body.strip() else None


@dataclass
class Http:
    """One keep-alive connection pool to one origin; ``base`` may carry a path prefix."""

    base: str
    timeout_s: float = 10.0
    concurrency: int = 4
    _client: HTTPClient | None = field(default=None, repr=False)
    _prefix: str = ""

    def __post_init__(self) -> None:
        parts = urlsplit(self.base)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {self.base!r}")
        self._prefix = parts.path.rstrip("/")
        self._client = HTTPClient(
            parts.hostname,
            parts.port or (443 if parts.scheme == "https" else 80),
            ssl=parts.scheme == "https",
            concurrency=self.concurrency,
            connection_timeout=self.timeout_s,
            network_timeout=self.timeout_s,
        )

    def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> Reply:
        assert self._client is not None
        hdrs = {"Accept": "application/json", **(headers or {})}
        raw = b""
        if body is not None:
            raw = body if isinstance(body, bytes) else json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        resp = self._client.request(method, self._prefix + path, body=raw, headers=hdrs)
        try:
            data = resp.read()
        finally:
            resp.release()
        return Reply(resp.status_code, data, {str(k).lower(): str(v) for k, v in resp.headers})

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


def woo_signed_path(
    method: str, site: str, path: str, key: str, secret: str, query: dict[str, str] | None = None
) -> str:
    """``/wp-json/wc/v3{path}?…`` signed with one-legged OAuth 1.0a, as WooCommerce requires
    on plain http (over https it accepts the key pair as query parameters or Basic auth)."""
    rest = f"/wp-json/wc/v3{path}"
    if site.startswith("https://"):
        q = {**(query or {}), "consumer_key": key, "consumer_secret": secret}
        return f"{rest}?{urlencode(q)}"
    url = site.rstrip("/") + rest + (f"?{urlencode(query)}" if query else "")
    params = oauth_params(method, url, key, secret, int(time.time()))
    return f"{rest}?{urlencode(params)}"
