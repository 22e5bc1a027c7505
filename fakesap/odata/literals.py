"""OData literal spelling for clients: strings in single quotes, ``'`` doubled."""

from __future__ import annotations


def quote_string(value: str) -> str:
    """``O'Brien`` → ``'O''Brien'``: the only escaping an OData string literal needs."""
    return "'" + value.replace("'", "''") + "'"
