"""fakesap back office (issue 5): what happens inside SAP after an order is created.

Seam with the core app: ``BackOfficeConfig`` (part of fakesap's config) and
``install_backoffice(app, state, config)``, called by ``fakesap.app.create_app``; it
registers startup/cleanup hooks that run the simulation against the backend's Python API.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class BackOfficeConfig:
    enabled: bool = False
    seed: int = 0


def install_backoffice(app: Any, state: Any, config: BackOfficeConfig) -> None:
    """Placeholder until the back office lands: installs nothing."""
    return None
