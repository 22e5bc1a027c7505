"""fakesap fault engine (issue 5): named faults chosen at run time by rules.

Seam with the core app (owned by the faults area; the core calls only these names):
- ``FaultsConfig``: the part of fakesap's config that concerns faults.
- ``install_faults(app, state, config)``: called by ``fakesap.app.create_app`` once,
  after the core middlewares are in place; adds the fault middleware and
  ``/__admin/faults`` routes. The journal middleware (core, outermost) reads
  ``request.get(FAULT_KEY)`` to record which rule fired.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: request key under which the fault middleware records ``{"rule": name, "fault": kind}``
FAULT_KEY = "sapchaos.fault"


@dataclass
class FaultsConfig:
    profile: str | None = None  # profile name (shipped) or path to a TOML/YAML file
    seed: int = 0


def install_faults(app: Any, state: Any, config: FaultsConfig) -> None:
    """Placeholder until the fault engine lands: installs nothing."""
    return None
