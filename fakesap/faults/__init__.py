"""fakesap fault engine (issue 5): named faults chosen at run time by rules.

Seam with the core app (owned by the faults area; the core calls only these names):
- ``FaultsConfig``: the part of fakesap's config that concerns faults.
- ``install_faults(app, state, config)``: called by ``fakesap.app.create_app`` once,
  after the core middlewares are in place; adds the fault middleware (innermost, so a
  dropped session or a late commit goes through the core's own checks) and the
  ``/__admin/faults`` routes. The journal middleware (core, outermost) reads
  ``request.get(FAULT_KEY)`` to record which rule fired.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from fakesap.faults.engine import FaultEngine
from fakesap.faults.profiles import Profile, ProfileError, load_profile, shipped_profiles
from fakesap.faults.registry import FAULTS
from fakesap.faults.rules import Rule, RuleError, parse_rule

#: request key under which the fault middleware records ``{"rule": name, "fault": kind, ...}``
FAULT_KEY: web.RequestKey[dict[str, Any]] = web.RequestKey("sapchaos.fault", dict)
#: where ``install_faults`` keeps the engine (the back office uses it for callback faults)
FAULT_ENGINE_KEY = web.AppKey("fakesap.faults.engine", FaultEngine)


@dataclass
class FaultsConfig:
    profile: str | None = None  # profile name (shipped) or path to a TOML/YAML file
    seed: int = 0
    rules: list[dict[str, Any]] = field(default_factory=list)  # extra rules, after the profile's


def build_engine(config: FaultsConfig, clock: Any = time.time) -> FaultEngine:
    """An engine with the profile's rules then ``config.rules``; raises ``ProfileError``."""
    rules: list[Rule] = load_profile(config.profile).rules if config.profile else []
    engine = FaultEngine(rules, seed=config.seed, clock=clock, profile=config.profile)
    for raw in config.rules:
        try:
            engine.parse_and_add(raw)
        except RuleError as exc:
            raise ProfileError(f"extra rule: {exc}") from None
    return engine


def install_faults(app: web.Application, state: Any, config: FaultsConfig) -> FaultEngine:
    """Add the fault middleware, ``/__admin/faults`` routes and the engine's cleanup."""
    from fakesap.faults.admin import add_admin_routes
    from fakesap.faults.middleware import make_middleware

    engine = build_engine(config, getattr(state, "clock", time.time))
    app[FAULT_ENGINE_KEY] = engine
    app.middlewares.append(make_middleware(engine, state, FAULT_KEY))
    add_admin_routes(app, engine)

    async def stop(_app: web.Application) -> None:
        await engine.shutdown()

    app.on_cleanup.append(stop)
    return engine


__all__ = [
    "FAULTS",
    "FAULT_ENGINE_KEY",
    "FAULT_KEY",
    "FaultEngine",
    "FaultsConfig",
    "Profile",
    "ProfileError",
    "Rule",
    "RuleError",
    "build_engine",
    "install_faults",
    "load_profile",
    "parse_rule",
    "shipped_profiles",
]
