"""CLI for demo, up, scenario run/list and proxy serve (placeholder)."""

from __future__ import annotations

from typing import Any


def register(sub: Any) -> None:
    for name in ("demo", "up"):
        p = sub.add_parser(name, help=name)
        p.set_defaults(func=lambda _a: 2)
