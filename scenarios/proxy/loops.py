"""Which event loop the proxy runs on: ``auto`` (uvloop when installed), ``uvloop``, ``asyncio``.

Toxiproxy is a Go binary whose scheduler is always the same; here the loop is a choice.
The proxy is byte-exact on both (its suite runs on each), uvloop is the faster one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

LOOP_CHOICES = ("auto", "uvloop", "asyncio")

LoopFactory = Callable[[], asyncio.AbstractEventLoop]


def loop_factory(choice: str) -> LoopFactory:
    """A factory for the loop named ``choice``.

    Raises ``ImportError`` when ``uvloop`` is asked for and not installed (the ``fast``
    extra), ``ValueError`` for a name not in ``LOOP_CHOICES``.
    """
    if choice not in LOOP_CHOICES:
        raise ValueError(f"unknown event loop {choice!r}: choose one of {', '.join(LOOP_CHOICES)}")
    if choice == "asyncio":
        return asyncio.SelectorEventLoop
    try:
        import uvloop
    except ImportError:
        if choice == "uvloop":
            raise
        return asyncio.SelectorEventLoop
    factory: LoopFactory = uvloop.new_event_loop
    return factory


def loop_name(loop: asyncio.AbstractEventLoop) -> str:
    """``uvloop`` or ``asyncio``: the kind of a running loop, for logs and reports."""
    return "uvloop" if type(loop).__module__.startswith("uvloop") else "asyncio"
