"""JSON-lines logging with a correlation id and personal data masked.

Every log line is one JSON object. The correlation id (``wc:{order_id}`` for an order,
``mg:{increment_id}`` in Magento mode) travels in a context variable, so code deep in a
call chain logs it without passing it around. Personal data (names, e-mail addresses,
phones, street addresses, tax ids) never reaches a log unmasked: the masking processor
rewrites known keys wherever they appear, including nested dicts.
"""

from __future__ import annotations

import contextlib
import logging
import re
import sys
from collections.abc import Iterator, Mapping, MutableMapping
from contextvars import ContextVar
from typing import Any

import structlog

correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)

#: keys whose values are personal data in WooCommerce/Magento payloads and SAP partners
PII_KEYS = frozenset(
    {
        "first_name",
        "last_name",
        "company",
        "address_1",
        "address_2",
        "city",
        "postcode",
        "email",
        "phone",
        "customer_ip_address",
        "customer_user_agent",
        "customer_note",
        "customer_email",
        "customer_firstname",
        "customer_lastname",
        "billing",
        "shipping",
        "CardName",
        "EmailAddress",
        "Phone1",
        "FederalTaxID",
        "Address",
        "nif",
        "dni",
        "vat_id",
        "telephone",
        "street",
        "name_on_card",
    }
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


def mask(value: Any) -> Any:
    """Mask a personal value, keeping just enough to recognise it in an incident."""
    if isinstance(value, Mapping):
        return {k: mask(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v) for v in value]
    if value is None or value == "":
        return value
    text = str(value)
    if len(text) <= 2:
        return "**"
    return f"{text[0]}***{text[-1]}"


def _mask_tree(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: (mask(v) if k in PII_KEYS else _mask_tree(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_tree(v) for v in value]
    if isinstance(value, str) and "@" in value:
        return _EMAIL.sub(lambda m: mask(m.group(0)), value)
    return value


def mask_pii(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: mask personal data anywhere in the event."""
    return {k: (mask(v) if k in PII_KEYS else _mask_tree(v)) for k, v in event_dict.items()}


def add_correlation_id(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    cid = correlation_id.get()
    if cid is not None and "correlation_id" not in event_dict:
        event_dict["correlation_id"] = cid
    return event_dict


@contextlib.contextmanager
def correlated(cid: str) -> Iterator[None]:
    """Bind a correlation id for the duration of a block (and the tasks it starts)."""
    token = correlation_id.set(cid)
    try:
        yield
    finally:
        correlation_id.reset(token)


class _CurrentStderr:
    """Writes to whatever ``sys.stderr`` is *now*, not the one at configure time (a test
    runner or a redirect may replace and close it later)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(level: str = "INFO", stream: Any = None) -> None:
    """Configure structlog and the stdlib root logger to emit masked JSON lines."""
    lvl = getattr(logging, level.upper(), logging.INFO)
    stream = stream if stream is not None else _CurrentStderr()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            add_correlation_id,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            mask_pii,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(sort_keys=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(lvl),
        logger_factory=structlog.PrintLoggerFactory(file=stream or sys.stderr),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(StdlibJsonFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_sapchaos", False):
            root.removeHandler(old)
    handler._sapchaos = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(max(lvl, logging.WARNING))
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)


def _is_client_protocol_error(exc: BaseException) -> bool:
    """A malformed HTTP request (line too long, bad header): the client's mistake."""
    from aiohttp.http_exceptions import HttpProcessingError

    return isinstance(exc, HttpProcessingError)


class StdlibJsonFormatter(logging.Formatter):
    """Render records of stdlib loggers (aiohttp, asyncio, …) as masked JSON lines too.

    A malformed request reported by aiohttp's server (a URL over 8 KB, a bad header) is
    the client's mistake: one warning line with the cause, not a traceback."""

    def format(self, record: logging.LogRecord) -> str:
        import json
        from datetime import UTC, datetime

        level = record.levelname.lower()
        data: dict[str, Any] = {
            "event": record.getMessage(),
            "logger": record.name,
            "level": level,
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(),
        }
        cid = correlation_id.get()
        if cid:
            data["correlation_id"] = cid
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            if _is_client_protocol_error(exc):
                data["level"] = "warning"
                data["error"] = " ".join(str(exc).split())[:300]
            else:
                data["exception"] = self.formatException(record.exc_info)
        return json.dumps(_mask_tree(data), default=str)


def get_logger(name: str) -> Any:
    """A structlog logger bound with the component name."""
    return structlog.get_logger(component=name)
