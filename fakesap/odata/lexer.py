"""Tokens of an OData ``$filter``: the Service Layer's lexical rules, with clear errors.

OData keywords and operators are lower-case and case-sensitive (``eq``, not ``EQ``); string
literals are single-quoted with ``''`` as the escaped quote; v4 (``/b1s/v2``) also takes
unquoted dates such as ``2024-01-31``; v3 (``/b1s/v1``) spells them ``datetime'…'``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from fakesap.odata.errors import QueryError
from fakesap.odata.values import DATE_TEXT, datetime_from_match, decimal_literal

TokenKind = Literal[
    "string", "number", "datetime", "ident", "lparen", "rparen", "comma", "colon", "slash", "eof"
]

FILTER = "$filter"

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?:[mMlLdDfF](?![A-Za-z0-9_]))?", re.ASCII)
_BARE_DATE = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?",
    re.ASCII,
)
_SPACE = frozenset(" \t\r\n")
_DIGITS = frozenset("0123456789")
_PUNCT: dict[str, TokenKind] = {
    "(": "lparen",
    ")": "rparen",
    ",": "comma",
    ":": "colon",
    "/": "slash",
}
#: characters people type from SQL/C habits, with the OData spelling
_HINTS = {
    "=": "use eq for equality",
    "!": "use ne or not",
    "<": "use lt or le",
    ">": "use gt or ge",
    "&": "use and",
    "|": "use or",
    '"': "string literals use single quotes",
    "*": "arithmetic is not supported",
    "+": "arithmetic is not supported",
}
#: typed literals written as ``prefix'…'`` that mean a date/time instant
_DATE_PREFIXES = frozenset({"datetime", "datetimeoffset", "date"})
_OTHER_PREFIXES = frozenset({"guid", "time", "binary", "X", "duration", "timeofday"})


@dataclass(frozen=True)
class Token:
    """One token; ``pos`` is its 0-based offset in the filter text."""

    kind: TokenKind
    value: Any
    pos: int
    text: str


def fail(message: str, pos: int | None, tail: str = "") -> QueryError:
    """A ``$filter`` QueryError: ``message at position N`` (1-based), then ``tail``."""
    if pos is None:
        return QueryError(FILTER, message + tail)
    return QueryError(FILTER, f"{message} at position {pos + 1}{tail}", pos + 1)


def tokenize(text: str, version: Literal["v1", "v2"]) -> list[Token]:
    """Split ``text`` into tokens, ending with an ``eof`` token; QueryError on bad input."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in _SPACE:
            i += 1
            continue
        kind = _PUNCT.get(ch)
        if kind is not None:
            tokens.append(Token(kind, ch, i, ch))
            i += 1
            continue
        if ch == "'":
            value, end = _read_string(text, i)
            tokens.append(Token("string", value, i, text[i:end]))
            i = end
            continue
        if ch in _DIGITS or (ch == "-" and i + 1 < n and text[i + 1] in _DIGITS):
            token = _read_number_or_date(text, i, version)
            tokens.append(token)
            i += len(token.text)
            continue
        match = _IDENT.match(text, i)
        if match is not None:
            word = match.group()
            end = match.end()
            if end < n and text[end] == "'":
                token = _read_typed_literal(text, i, word, end)
                tokens.append(token)
                i += len(token.text)
                continue
            tokens.append(Token("ident", word, i, word))
            i = end
            continue
        hint = _HINTS.get(ch)
        suffix = f" ({hint})" if hint else ""
        raise fail(f"unexpected character {ch!r}{suffix}", i)
    tokens.append(Token("eof", None, n, ""))
    return tokens


def _read_string(text: str, start: int) -> tuple[str, int]:
    """Read ``'…'`` from ``start`` (the opening quote); ``''`` is one quote."""
    parts: list[str] = []
    i = start + 1
    n = len(text)
    while True:
        end = text.find("'", i)
        if end < 0:
            raise fail("unterminated string literal starting", start)
        parts.append(text[i:end])
        if end + 1 < n and text[end + 1] == "'":
            parts.append("'")
            i = end + 2
            continue
        return "".join(parts), end + 1


def _read_number_or_date(text: str, start: int, version: Literal["v1", "v2"]) -> Token:
    date_match = _BARE_DATE.match(text, start)
    if date_match is not None and not _continues_word(text, date_match.end()):
        literal = date_match.group()
        if version == "v1":
            raise fail(
                f"unquoted date {literal} is OData v4 syntax (/b1s/v2); "
                f"on /b1s/v1 write '{literal}' or datetime'{literal}'",
                start,
            )
        moment = _parse_instant(literal, start)
        return Token("datetime", moment, start, literal)
    match = _NUMBER.match(text, start)
    if match is None or _continues_word(text, match.end()):
        end = start + 1
        while end < len(text) and (text[end].isalnum() or text[end] in "._-"):
            end += 1
        raise fail(f"invalid number {text[start:end]!r}", start)
    literal = match.group()
    digits = literal[:-1] if literal[-1] in "mMlLdDfF" else literal
    value = decimal_literal(digits)
    if value is None:
        raise fail(f"number {literal!r} is out of range", start)
    return Token("number", value, start, literal)


def _read_typed_literal(text: str, start: int, prefix: str, quote: int) -> Token:
    body, end = _read_string(text, quote)
    literal = text[start:end]
    if prefix in _DATE_PREFIXES:
        return Token("datetime", _parse_instant(body, quote + 1), start, literal)
    if prefix in _OTHER_PREFIXES:
        raise fail(f"typed literal {prefix}'…' is not supported by fakesap", start)
    raise fail(f"unexpected string right after {prefix!r} (missing operator?)", quote)


def _parse_instant(literal: str, pos: int) -> Any:
    match = DATE_TEXT.match(literal)
    moment = datetime_from_match(match) if match is not None else None
    if moment is None:
        raise fail(f"invalid date/time {literal!r}", pos)
    return moment


def _continues_word(text: str, end: int) -> bool:
    return end < len(text) and (text[end].isalnum() or text[end] in "_.")
