"""WordPress REST value checks shared by the models and the HTTP layer."""

from __future__ import annotations

import math
from typing import Any


def wp_integer(value: Any) -> int | None:
    """``rest_is_integer``: a number (or numeric string) with no fraction; None otherwise
    (booleans, NaN, Infinity, text, arrays)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if not math.isfinite(number) or number != int(number):
        return None
    return int(number)
