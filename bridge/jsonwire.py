"""JSON on the wire with exact money: Decimals are written as JSON numbers, digit for digit.

The Service Layer takes amounts as JSON numbers; going through float would be exact for
most 2-decimal values but not provably so. Decimals are written from their own text.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

_MARK = "\u0000dec:"
_PATTERN = re.compile('"\\\\u0000dec:(-?[0-9.E+-]+)"')


def _mark(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{_MARK}{value}"
    if isinstance(value, dict):
        return {k: _mark(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_mark(v) for v in value]
    return value


def dumps(value: Any) -> str:
    """``json.dumps`` where every Decimal becomes a bare JSON number with its exact digits."""
    return _PATTERN.sub(lambda m: m.group(1), json.dumps(_mark(value), ensure_ascii=False))


def loads_decimal(text: str | bytes) -> Any:
    """Parse JSON reading every non-integer number as Decimal."""
    return json.loads(text, parse_float=Decimal)
