"""Who may use ``/ops``: bearer tokens with a role, login sessions, and the cross-site guard.

Imitates how self-hosted operator UIs protect themselves (Jupyter, Grafana, Prometheus
admin APIs): ``/ops`` is never open. Tokens come from the environment or a secrets file;
without any, the bridge generates them at start and writes them to a file readable only
by its user, and says where that file is (never the token itself). Two roles:
``read-only`` sees everything with personal data masked; ``operator`` may also write
(replay). A browser session is an HMAC-signed cookie; every write needs the same origin
(``Origin``/``Sec-Fetch-Site``) and, for cookie sessions, a CSRF token, so a page on
another site cannot make an operator's browser replay anything (text/plain forms
included).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from bridge.config import BridgeConfigError

READ_ONLY = "read-only"
OPERATOR = "operator"
ROLES = (READ_ONLY, OPERATOR)
#: the browser session cookie (HttpOnly, SameSite=Strict)
SESSION_COOKIE = "sapchaos_ops"
#: header a script sends the CSRF token in (forms send the ``csrf`` field)
CSRF_HEADER = "X-CSRF-Token"
SESSION_TTL_S = 8 * 3600.0
#: the file generated tokens are written to, in the bridge's state folder
TOKEN_FILE_NAME = "bridge-ops-tokens.json"


class TokenFileError(BridgeConfigError):
    """A tokens file that cannot be used; the message names the file and the cause."""


@dataclass(frozen=True)
class Principal:
    """Someone authenticated: ``name`` appears in the audit log, ``role`` decides writes."""

    name: str
    role: str
    via: str = "token"  # "token" (Authorization: Bearer) or "session" (login cookie)

    @property
    def can_write(self) -> bool:
        return self.role == OPERATOR


@dataclass(frozen=True)
class OpsToken:
    name: str
    role: str
    token: str

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise TokenFileError(f"token {self.name!r}: role must be one of {ROLES}")
        if len(self.token) < 16:
            raise TokenFileError(f"token {self.name!r}: shorter than 16 characters")

    def __repr__(self) -> str:  # never shows the secret
        return f"OpsToken(name={self.name!r}, role={self.role!r}, token='***')"


def generate_tokens() -> list[OpsToken]:
    """One operator and one read-only token, 256 bits each."""
    return [
        OpsToken("operator", OPERATOR, secrets.token_urlsafe(32)),
        OpsToken("read-only", READ_ONLY, secrets.token_urlsafe(32)),
    ]


def write_token_file(path: Path, tokens: list[OpsToken]) -> None:
    """Write the tokens as JSON, created with mode 0600 (only the bridge's user reads it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump({"tokens": [t.__dict__ for t in tokens]}, f, indent=2)
    os.replace(tmp, path)


def read_token_file(path: Path) -> list[OpsToken]:
    """``{"tokens": [{"name", "role", "token"}, …]}``; ``TokenFileError`` names the problem."""
    try:
        data = json.loads(path.read_text("utf-8"))
        items = data["tokens"]
        tokens = [OpsToken(str(t["name"]), str(t["role"]), str(t["token"])) for t in items]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        if isinstance(exc, TokenFileError):
            raise TokenFileError(f"ops tokens file {path}: {exc}") from None
        raise TokenFileError(f"ops tokens file {path}: unreadable ({exc})") from None
    if not tokens:
        raise TokenFileError(f"ops tokens file {path}: no tokens")
    return tokens


@dataclass(frozen=True)
class TokenSource:
    """Where the tokens came from: ``configured`` (env / secrets file), ``file`` (an
    existing tokens file) or ``generated`` (written to ``path`` at this start)."""

    tokens: list[OpsToken]
    kind: str
    path: Path | None = None


def resolve_tokens(operator_token: str, readonly_token: str, token_file: Path) -> TokenSource:
    """Configured tokens win; else an existing tokens file; else new ones, written there."""
    configured = []
    if operator_token:
        configured.append(OpsToken("operator", OPERATOR, operator_token))
    if readonly_token:
        configured.append(OpsToken("read-only", READ_ONLY, readonly_token))
    if configured:
        return TokenSource(configured, "configured")
    if token_file.exists():
        return TokenSource(read_token_file(token_file), "file", token_file)
    tokens = generate_tokens()
    write_token_file(token_file, tokens)
    return TokenSource(tokens, "generated", token_file)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class OpsAuth:
    """Token check, signed login sessions and CSRF tokens for one bridge process.

    ``session_key`` signs cookies (random per process unless given: a restart logs
    everyone out, which is acceptable for an ops console)."""

    def __init__(
        self,
        tokens: list[OpsToken],
        session_key: bytes | None = None,
        session_ttl_s: float = SESSION_TTL_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not tokens:
            raise ValueError("at least one ops token is required")
        self._tokens = [(t.token.encode(), Principal(t.name, t.role)) for t in tokens]
        self._key = session_key or secrets.token_bytes(32)
        self.session_ttl_s = session_ttl_s
        self.clock = clock

    def by_token(self, token: str) -> Principal | None:
        """The principal of a bearer token (constant-time comparison with every token)."""
        found: Principal | None = None
        given = token.encode()
        for secret, principal in self._tokens:
            if hmac.compare_digest(secret, given):
                found = principal
        return found

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode(), hashlib.sha256).digest())

    def issue_session(self, principal: Principal) -> str:
        """A cookie value: ``payload.signature`` with name, role and expiry."""
        payload = {"n": principal.name, "r": principal.role, "e": self.clock() + self.session_ttl_s}
        body = _b64(json.dumps(payload, separators=(",", ":")).encode())
        return f"{body}.{self._sign(body)}"

    def session(self, cookie: str) -> Principal | None:
        body, _, sig = cookie.partition(".")
        if not body or not hmac.compare_digest(sig, self._sign(body)):
            return None
        try:
            data = json.loads(_unb64(body))
            name, role, expires = str(data["n"]), str(data["r"]), float(data["e"])
        except (ValueError, KeyError, TypeError):
            return None
        if expires < self.clock() or role not in ROLES:
            return None
        return Principal(name, role, "session")

    def csrf_token(self, cookie: str) -> str:
        """The CSRF token bound to one session cookie (the page embeds it in its forms)."""
        return self._sign("csrf:" + cookie)

    def authenticate(self, request: web.Request) -> Principal | None:
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return self.by_token(value.strip())
        cookie = request.cookies.get(SESSION_COOKIE)
        return self.session(cookie) if cookie else None


def same_origin(request: web.Request) -> bool:
    """False when the browser says the request comes from another site: ``Sec-Fetch-Site``
    other than same-origin/none, or an ``Origin`` whose host differs from ``Host``.
    ``Origin: null`` (privacy-sensitive contexts) counts only when ``Sec-Fetch-Site``
    vouches for the same origin. A request with neither header (curl, the CLI) is not a
    browser's cross-site request."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    if origin == "null":
        return site is not None
    parts = urlsplit(origin)
    return bool(parts.netloc) and parts.netloc.lower() == request.host.lower()


def is_write(request: web.Request) -> bool:
    return request.method not in ("GET", "HEAD", "OPTIONS")


def error_json(status: int, code: str, message: str) -> web.Response:
    return web.json_response(
        {"code": code, "message": message, "data": {"status": status}}, status=status
    )


def guard_write(
    auth: OpsAuth, request: web.Request, principal: Principal, form: Mapping[str, Any] | None = None
) -> web.Response | None:
    """None if ``principal`` may perform this write request, else the refusal: 403 for the
    read-only role, for a cross-site request, and for a cookie session without its CSRF
    token (header ``X-CSRF-Token`` or form field ``csrf``)."""
    if not principal.can_write:
        return error_json(403, "forbidden_role", f"The {principal.role} role cannot do this.")
    if not same_origin(request):
        return error_json(403, "cross_site", "Cross-site requests cannot change anything.")
    if principal.via == "session":
        cookie = request.cookies.get(SESSION_COOKIE, "")
        given = request.headers.get(CSRF_HEADER) or (str(form.get("csrf", "")) if form else "")
        if not given or not hmac.compare_digest(given, auth.csrf_token(cookie)):
            return error_json(403, "csrf", "Missing or wrong CSRF token.")
    return None
