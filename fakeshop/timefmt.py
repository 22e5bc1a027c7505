"""Time formats fakeshop speaks: WordPress REST dates (naive local + ``*_gmt``), Magento
``YYYY-MM-DD HH:MM:SS`` (UTC), and the ground-truth ISO 8601 UTC with milliseconds and Z.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def iso_ms(ts: float) -> str:
    """Ground-truth timestamp: ``2026-11-23T20:11:19.123Z``."""
    dt = datetime.fromtimestamp(ts, UTC)
    # field by field: the same text as strftime, at about half its cost (every delivery
    # record, note and status write-back stamps one)
    return (
        f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T{dt.hour:02d}:{dt.minute:02d}:"
        f"{dt.second:02d}.{dt.microsecond // 1000:03d}Z"
    )


def wp_text(dt: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS`` (what ``strftime("%Y-%m-%dT%H:%M:%S")`` gives, at less cost:
    every order carries half a dozen of these)."""
    return (
        f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}"
    )


def utc_dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def wp_gmt(ts: float) -> str:
    """``wc_rest_prepare_date_response(..., true)``: UTC, no offset, second resolution."""
    return wp_text(datetime.fromtimestamp(int(ts), UTC))


def wp_local(ts: float, offset_hours: int) -> str:
    """The site-local counterpart of :func:`wp_gmt` (fixed offset, as ``gmt_offset``)."""
    return wp_text(datetime.fromtimestamp(int(ts), UTC) + timedelta(hours=offset_hours))


def magento(ts: float) -> str:
    return datetime.fromtimestamp(int(ts), UTC).strftime("%Y-%m-%d %H:%M:%S")


def parse_wp_date(text: str) -> datetime | None:
    """Parse an ISO 8601 query date as WordPress's ``rest_parse_date`` accepts it; None if bad.

    A value with an offset is converted to UTC; a naive value is returned naive.
    """
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC).replace(tzinfo=None)
    return dt


def parse_resource_date(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None
