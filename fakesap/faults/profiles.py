"""Fault profiles: TOML (or YAML) files with a list of rules, shipped in
``fakesap/profiles/`` and loadable by name or by path."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from fakesap.faults.rules import Rule, RuleError, parse_rule

PROFILES_DIR = Path(__file__).resolve().parent.parent / "profiles"
PROFILE_FIELDS = {"description", "rules"}


class ProfileError(ValueError):
    """A profile cannot be found or is invalid."""


@dataclass
class Profile:
    name: str
    description: str
    rules: list[Rule] = field(default_factory=list)
    path: Path | None = None


def shipped_profiles() -> dict[str, Path]:
    """Ready profiles by name (file stem)."""
    return {p.stem: p for p in sorted(PROFILES_DIR.glob("*.toml"))}


def _read(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix in (".yaml", ".yml"):
            return yaml.safe_load(text) or {}
        return tomllib.loads(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise ProfileError(f"{path}: not valid {path.suffix.lstrip('.').upper()}: {exc}") from None


def parse_profile(name: str, data: Any, path: Path | None = None) -> Profile:
    where = str(path or name)
    if not isinstance(data, dict):
        raise ProfileError(f"{where}: a profile must be a table/mapping with a 'rules' list")
    unknown = sorted(set(data) - PROFILE_FIELDS)
    if unknown:
        raise ProfileError(f"{where}: unknown top-level field(s) {', '.join(unknown)}")
    raw_rules = data.get("rules", [])
    if not isinstance(raw_rules, list):
        raise ProfileError(f"{where}: 'rules' must be a list of rules")
    rules: list[Rule] = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_rules, start=1):
        try:
            rule = parse_rule(raw, f"{name}-{i}")
        except RuleError as exc:
            raise ProfileError(f"{where}: rule {i}: {exc}") from None
        if rule.id in seen:
            raise ProfileError(f"{where}: rule {i}: duplicate id {rule.id!r}")
        seen.add(rule.id)
        rules.append(rule)
    return Profile(name=name, description=str(data.get("description", "")), rules=rules, path=path)


def load_profile(name_or_path: str) -> Profile:
    """Load a shipped profile by name (``flaky-5xx``) or any TOML/YAML file by path."""
    shipped = shipped_profiles()
    if name_or_path in shipped:
        path = shipped[name_or_path]
    else:
        path = Path(name_or_path)
        if not path.is_file():
            raise ProfileError(
                f"unknown fault profile {name_or_path!r}; shipped: {', '.join(shipped)} (or give a file path)"
            )
    return parse_profile(path.stem, _read(path), path)
