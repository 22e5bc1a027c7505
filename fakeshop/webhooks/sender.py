"""One HTTP POST the way ``wp_safe_remote_request`` sends a webhook: HTTP/1.0 (set on the
shared session, see :func:`new_session`), no redirects followed, a 60 s timeout."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp


def new_session(limit: int) -> aiohttp.ClientSession:
    """The one client session all deliveries share: HTTP/1.0, a connection limit, no TLS
    verification (WooCommerce's ``sslverify`` is commonly off for self-signed receivers)."""
    connector = aiohttp.TCPConnector(limit=limit, ssl=False, force_close=True)
    return aiohttp.ClientSession(connector=connector, version=aiohttp.HttpVersion10)


@dataclass(frozen=True)
class SendResult:
    status: int | None
    error: str | None
    body: str


async def post(
    session: aiohttp.ClientSession,
    url: str,
    body: bytes,
    headers: dict[str, str],
    timeout_s: float,
) -> SendResult:
    try:
        async with session.post(
            url,
            data=body,
            headers=headers,
            allow_redirects=False,
            timeout=aiohttp.ClientTimeout(total=timeout_s),
        ) as resp:
            text = await resp.text(errors="replace")
            return SendResult(resp.status, None, text[:500])
    except TimeoutError:
        ms = int(timeout_s * 1000)
        return SendResult(None, f"cURL error 28: Operation timed out after {ms} milliseconds", "")
    except (aiohttp.ClientError, OSError) as exc:
        return SendResult(None, f"{type(exc).__name__}: {exc}", "")
