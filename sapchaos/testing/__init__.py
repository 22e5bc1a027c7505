"""sapchaos as pytest fixtures: fakesap, fakeshop, the proxy and the whole stack in a
bridge's own test suite (the plugin is ``sapchaos.testing.plugin``, registered as a
``pytest11`` entry point). Import the types from here for annotations.

Names resolve on first access: the plugin loads in every pytest run of every project
that installs sapchaos, so importing this package must not start the emulators' imports.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sapchaos.testing.bridges import BRIDGE_ENV, Bridge
    from sapchaos.testing.clients import FakeSapClient, FakeShopClient, FaultRules, ProxyClient
    from sapchaos.testing.scenario import ScenarioVerdict
    from sapchaos.testing.servers import AdminError
    from sapchaos.testing.stack import Stack
    from sapchaos.testing.verdict import StackVerdict
    from scenarios.bridge_process import BridgeEnv

_WHERE = {
    "BRIDGE_ENV": "sapchaos.testing.bridges",
    "Bridge": "sapchaos.testing.bridges",
    "FakeSapClient": "sapchaos.testing.clients",
    "FakeShopClient": "sapchaos.testing.clients",
    "FaultRules": "sapchaos.testing.clients",
    "ProxyClient": "sapchaos.testing.clients",
    "ScenarioVerdict": "sapchaos.testing.scenario",
    "AdminError": "sapchaos.testing.servers",
    "Stack": "sapchaos.testing.stack",
    "StackVerdict": "sapchaos.testing.verdict",
    "BridgeEnv": "scenarios.bridge_process",
}

__all__ = [
    "BRIDGE_ENV",
    "AdminError",
    "Bridge",
    "BridgeEnv",
    "FakeSapClient",
    "FakeShopClient",
    "FaultRules",
    "ProxyClient",
    "ScenarioVerdict",
    "Stack",
    "StackVerdict",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'sapchaos.testing' has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name]), name)
