"""TLS for the bridge: its own listener (certificate and key), and how outbound calls
verify certificates.

A bridge reachable beyond its host serves HTTPS like any production integration endpoint
(WooCommerce refuses to deliver webhooks to plain http on many hosting setups). Outbound
calls verify the peer's certificate by default (aiohttp's default context); only a call
to a loopback address (a local emulator, a sidecar proxy) may skip it, since no one else
can answer on the loopback interface.
"""

from __future__ import annotations

import ipaddress
import ssl
from pathlib import Path
from urllib.parse import urlsplit

from bridge.config import BridgeConfigError

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


class TlsConfigError(BridgeConfigError):
    """A certificate or key that cannot be used; the message names the file."""


def server_context(cert_file: str, key_file: str) -> ssl.SSLContext:
    """A server context (TLS 1.2+) with the PEM certificate chain and private key."""
    for what, path in (("tls_cert_file", cert_file), ("tls_key_file", key_file)):
        if not Path(path).is_file():
            raise TlsConfigError(f"{what} {path}: not found or not a regular file")
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        ctx.load_cert_chain(cert_file, key_file)
    except (ssl.SSLError, OSError) as exc:
        raise TlsConfigError(
            f"tls_cert_file {cert_file} / tls_key_file {key_file}: {exc}"
        ) from None
    return ctx


def is_loopback(url: str) -> bool:
    """True for ``http(s)://127.x``, ``[::1]`` and ``localhost`` URLs."""
    host = (urlsplit(url).hostname or "").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def client_ssl(url: str, verify: str = "auto", ca_file: str = "") -> ssl.SSLContext | bool:
    """What to pass as aiohttp's ``ssl=`` for calls to ``url``: ``verify`` is ``"auto"``
    (verify, except toward loopback), ``"true"`` or ``"false"``; ``ca_file`` adds a
    private CA (PEM) to the trusted roots."""
    if verify not in ("auto", "true", "false"):
        raise TlsConfigError(f"tls verify must be auto, true or false, got {verify!r}")
    if verify == "false" or (verify == "auto" and is_loopback(url)):
        return False
    ctx = ssl.create_default_context()
    if ca_file:
        try:
            ctx.load_verify_locations(ca_file)
        except (ssl.SSLError, OSError) as exc:
            raise TlsConfigError(f"CA file {ca_file}: {exc}") from None
    return ctx
