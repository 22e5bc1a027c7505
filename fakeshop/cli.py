"""CLI for fakeshop (placeholder until its issue fills it in)."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser("fakeshop", help="fakeshop commands")
    p.set_defaults(func=lambda _a: (p.print_help(), 2)[1])
    _ = argparse
