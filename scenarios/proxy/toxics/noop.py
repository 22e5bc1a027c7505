"""``noop``: passes data through unchanged (Toxiproxy registers it as a real type)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from scenarios.proxy.toxics.base import Toxic


@dataclass
class NoopToxic(Toxic):
    """Toxiproxy's noop toxic: the pass-through every chain starts with."""

    type_name: ClassVar[str] = "noop"
