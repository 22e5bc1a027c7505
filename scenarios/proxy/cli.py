"""CLI for ``sapchaos proxy serve`` (placeholder until issue 6 fills it in)."""

from __future__ import annotations

from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser("proxy", help="Toxiproxy-compatible proxy")
    p.set_defaults(func=lambda _a: 2)
