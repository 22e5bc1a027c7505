"""One HTTP POST the way ``wp_safe_remote_request`` sends a webhook: HTTP/1.0, a new
connection each time, no redirects followed, a 60 s timeout. Plain ``http``/``https``
delivery URLs go through the lean :class:`~fakeshop.webhooks.http10.Http10Client` (the
same bytes on the wire at a fraction of the CPU); anything else (credentials in the URL,
other schemes) through the shared aiohttp session, which answers it as before."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import aiohttp

from fakeshop.webhooks.http10 import Http10Client


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
    client: Http10Client | None = None,
) -> SendResult:
    target = client.target(url) if client is not None else None
    try:
        if client is not None and target is not None:
            async with asyncio.timeout(timeout_s):
                status, raw = await client.post(target, body, headers)
            return SendResult(status, None, raw[:2000].decode("utf-8", "replace")[:500])
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
