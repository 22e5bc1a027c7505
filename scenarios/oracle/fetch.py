"""Fetch the oracle's histories from running emulators' ``/__admin`` ground truth.

Works against any fakeshop and fakesap reachable over HTTP — started by ``sapchaos up``, by
docker-compose, or by someone else's test rig — so a bridge can be judged without the
harness having started anything. ``since`` narrows the judgement to the orders created at
or after that instant (and the SAP documents committed since), so a long-lived stack can
be judged per test run, the way WireMock's request journal is read per test.
"""

from __future__ import annotations

import re
from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

from scenarios.oracle.histories import Histories, parse_ts

#: ``90s``, ``15m``, ``2h``, ``1d``: a duration before now
_RELATIVE = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhd])$")
_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
#: suffixes a user may paste with the URL; the admin API lives at the server's root
_SAP_SUFFIX = re.compile(r"/b1s/v[12]/?$")
_SHOP_SUFFIX = re.compile(r"/wp-json(/wc/v3)?/?$")


class FetchError(Exception):
    """The ground truth could not be read; the message names the URL and the cause."""


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """An ISO 8601 instant (``2026-12-05T20:00:00Z``; no zone = UTC), Unix seconds, or a
    duration before now (``90s``, ``15m``, ``2h``). ``ValueError`` says what is accepted."""
    raw = text.strip()
    m = _RELATIVE.match(raw)
    if m:
        base = now or datetime.now(UTC)
        return base - timedelta(seconds=float(m.group(1)) * _UNITS[m.group(2)])
    try:
        if re.fullmatch(r"\d+(\.\d+)?", raw):
            return datetime.fromtimestamp(float(raw), UTC)
        ts = parse_ts(raw)
    except (ValueError, OverflowError, OSError):
        raise ValueError(
            f"{text!r} is not a time: give ISO 8601 (2026-12-05T20:00:00Z), "
            "Unix seconds, or a duration before now (90s, 15m, 2h)"
        ) from None
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def admin_root(url: str, kind: str) -> str:
    """The emulator's root for ``/__admin``, from whatever URL a user pasted."""
    base = url.strip().rstrip("/")
    if not re.match(r"^https?://[^/]+", base):
        raise ValueError(f"{url!r} is not an http(s) URL")
    return (_SAP_SUFFIX if kind == "sap" else _SHOP_SUFFIX).sub("", base)


async def _get(
    http: aiohttp.ClientSession, url: str, what: str, *, optional: bool = False
) -> dict[str, Any] | None:
    try:
        async with http.get(url) as resp:
            if optional and resp.status == 404:
                return None
            if resp.status != 200:
                raise FetchError(
                    f"GET {url} answered {resp.status}: is this a {what} "
                    "(its /__admin ground truth must be reachable directly, not through a proxy)?"
                )
            data = await resp.json(content_type=None)
    except aiohttp.ClientError as exc:
        raise FetchError(f"cannot reach {what} at {url}: {exc}") from None
    except TimeoutError:
        raise FetchError(f"{what} at {url} did not answer in time") from None
    except ValueError:
        raise FetchError(f"GET {url} did not answer JSON: is this a {what}?") from None
    if not isinstance(data, dict):
        raise FetchError(f"GET {url} answered an unexpected shape: is this a {what}?")
    return data


def _list(data: dict[str, Any] | None, key: str, url: str) -> list[dict[str, Any]]:
    if data is None:
        return []
    value = data.get(key)
    if not isinstance(value, list):
        raise FetchError(f"GET {url}: the answer has no {key!r} list")
    return value


async def fetch_histories(
    shop_url: str,
    sap_url: str,
    *,
    since: datetime | None = None,
    timeout_s: float = 60.0,
    http: aiohttp.ClientSession | None = None,
) -> Histories:
    """Read fakeshop's orders, deliveries and received writes and fakesap's documents (and
    its fault decisions, when that fakesap records them), then apply ``since``."""
    shop = admin_root(shop_url, "shop")
    sap = admin_root(sap_url, "sap")
    own = http is None
    session = http or aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout_s))
    try:
        shop_what, sap_what = "fakeshop", "fakesap"
        orders = await _get(session, f"{shop}/__admin/orders", shop_what)
        received = await _get(session, f"{shop}/__admin/received", shop_what)
        deliveries = await _get(session, f"{shop}/__admin/deliveries", shop_what)
        docs = await _get(session, f"{sap}/__admin/documents", sap_what)
        decisions = await _get(session, f"{sap}/__admin/faults/history", sap_what, optional=True)
    finally:
        if own:
            await session.close()
    values: dict[str, Any] = {
        "shop_orders": _list(orders, "orders", f"{shop}/__admin/orders"),
        "shop_received": _list(received, "received", f"{shop}/__admin/received"),
        "deliveries": _list(deliveries, "deliveries", f"{shop}/__admin/deliveries"),
        "sap_documents": _list(docs, "documents", f"{sap}/__admin/documents"),
    }
    if decisions is not None and "fault_decisions" in {f.name for f in fields(Histories)}:
        found = decisions.get("decisions", decisions.get("history", []))
        values["fault_decisions"] = found if isinstance(found, list) else []
    h = Histories(**values)
    return h if since is None else filter_since(h, since)


def _at_or_after(rec: dict[str, Any], key: str, since: datetime) -> bool:
    raw = rec.get(key)
    if not raw:
        return False
    try:
        return parse_ts(str(raw)) >= since
    except ValueError:
        return False


def filter_since(h: Histories, since: datetime) -> Histories:
    """Only the orders created at or after ``since``, what was written back to them and
    delivered for them, and the SAP documents committed since (a duplicate or an orphan
    committed in the window still counts). Pure."""
    orders = [o for o in h.shop_orders if _at_or_after(o, "created_at", since)]
    ids = {int(o["id"]) for o in orders}
    return replace(
        h,
        shop_orders=orders,
        shop_received=[r for r in h.shop_received if _order_id(r) in ids],
        deliveries=[d for d in h.deliveries if _order_id(d) in ids],
        sap_documents=[d for d in h.sap_documents if _at_or_after(d, "committed_at", since)],
    )


def _order_id(rec: dict[str, Any]) -> int | None:
    try:
        return int(rec["order_id"])
    except (KeyError, TypeError, ValueError):
        return None
