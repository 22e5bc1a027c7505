"""Fault rules: which requests a fault applies to, how often, how many times and when.

A rule is plain data (a profile row or an ``/__admin/faults`` body) turned into a
validated ``Rule``; every mistake is a ``RuleError`` with a message naming the field.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from fakesap.faults.base import Fault, FaultParamError, RequestView
from fakesap.faults.registry import FAULTS

Target = Literal["sl", "callback"]
TARGETS: tuple[Target, ...] = ("sl", "callback")
METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE", "HEAD", "OPTIONS")
RULE_FIELDS = {
    "id",
    "name",
    "fault",
    "params",
    "description",
    "methods",
    "method",
    "path",
    "path_regex",
    "entity_set",
    "version",
    "target",
    "probability",
    "max_count",
    "after_s",
    "duration_s",
}


class RuleError(ValueError):
    """A rule is invalid; ``field`` names the offending field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass
class Rule:
    """One rule. ``after_s``/``duration_s`` are relative to the engine's (re)start."""

    id: str
    fault_kind: str
    fault: Fault
    params: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    methods: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    path_regex: re.Pattern[str] | None = None
    entity_sets: tuple[str, ...] = ()
    version: str | None = None
    target: Target = "sl"
    probability: float = 1.0
    max_count: int | None = None
    after_s: float = 0.0
    duration_s: float | None = None

    def matches(self, view: RequestView, target: Target = "sl") -> bool:
        """Does this request fall under the rule (method, path, entity set, version, target)?"""
        if target != self.target:
            return False
        if self.methods and view.method not in self.methods:
            return False
        if self.version is not None and view.version != self.version:
            return False
        if self.entity_sets and view.entity_set not in self.entity_sets:
            return False
        if self.paths and not any(
            fnmatch.fnmatchcase(view.path if glob.startswith("/") else view.resource, glob)
            for glob in self.paths
        ):
            return False
        if self.path_regex is not None and not self.path_regex.search(view.path):
            return False
        return self.fault.applies(view)

    def in_window(self, elapsed_s: float) -> bool:
        if elapsed_s < self.after_s:
            return False
        return self.duration_s is None or elapsed_s < self.after_s + self.duration_s

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "fault": self.fault_kind,
            "params": self.params,
            "description": self.description,
            "methods": list(self.methods),
            "path": list(self.paths),
            "path_regex": self.path_regex.pattern if self.path_regex else None,
            "entity_set": list(self.entity_sets),
            "version": self.version,
            "target": self.target,
            "probability": self.probability,
            "max_count": self.max_count,
            "after_s": self.after_s,
            "duration_s": self.duration_s,
        }


def _number(
    raw: Mapping[str, Any], name: str, default: float | None, lo: float, hi: float | None
) -> float | None:
    value = raw.get(name, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RuleError(f"{name} must be a number, got {value!r}", name)
    if value < lo or (hi is not None and value > hi):
        bounds = f">= {lo}" if hi is None else f"between {lo} and {hi}"
        raise RuleError(f"{name} must be {bounds}, got {value!r}", name)
    return float(value)


def _strings(raw: Mapping[str, Any], name: str) -> tuple[str, ...]:
    value = raw.get(name)
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise RuleError(f"{name} must be a string or a list of strings", name)


def parse_rule(raw: Any, default_id: str) -> Rule:
    """Build a ``Rule`` from JSON/TOML data; raises ``RuleError`` with a clear message."""
    if not isinstance(raw, Mapping):
        raise RuleError("a rule must be a JSON object")
    unknown = sorted(set(raw) - RULE_FIELDS)
    if unknown:
        raise RuleError(f"unknown rule field(s): {', '.join(unknown)}", unknown[0])
    kind = raw.get("fault")
    if not isinstance(kind, str) or kind not in FAULTS:
        raise RuleError(f"fault must be one of {', '.join(sorted(FAULTS))}, got {kind!r}", "fault")
    params = raw.get("params", {})
    if not isinstance(params, Mapping):
        raise RuleError("params must be an object", "params")
    try:
        fault = FAULTS[kind](params)
    except FaultParamError as exc:
        raise RuleError(str(exc), "params") from None
    rule_id = raw.get("id", raw.get("name", default_id))
    if not isinstance(rule_id, str) or not re.fullmatch(
        r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,79}", rule_id
    ):
        raise RuleError("id/name must be 1-80 characters of letters, digits, _ . : -", "id")
    methods = tuple(m.upper() for m in (*_strings(raw, "methods"), *_strings(raw, "method")))
    bad = [m for m in methods if m not in METHODS]
    if bad:
        raise RuleError(f"unknown HTTP method {bad[0]!r}", "methods")
    paths = _strings(raw, "path")
    regex = raw.get("path_regex")
    compiled = None
    if regex is not None:
        if not isinstance(regex, str):
            raise RuleError("path_regex must be a string", "path_regex")
        try:
            compiled = re.compile(regex)
        except re.error as exc:
            raise RuleError(
                f"path_regex is not a valid regular expression: {exc}", "path_regex"
            ) from None
    version = raw.get("version")
    if version not in (None, "v1", "v2"):
        raise RuleError("version must be 'v1', 'v2' or absent (both)", "version")
    target = raw.get("target", "sl")
    if target not in TARGETS:
        raise RuleError("target must be 'sl' (Service Layer requests) or 'callback'", "target")
    max_count = raw.get("max_count")
    if max_count is not None and (
        isinstance(max_count, bool) or not isinstance(max_count, int) or max_count < 0
    ):
        raise RuleError("max_count must be a non-negative integer", "max_count")
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise RuleError("description must be a string", "description")
    probability = _number(raw, "probability", 1.0, 0.0, 1.0)
    after_s = _number(raw, "after_s", 0.0, 0.0, None)
    return Rule(
        id=rule_id,
        fault_kind=kind,
        fault=fault,
        params=dict(params),
        description=description,
        methods=methods,
        paths=paths,
        path_regex=compiled,
        entity_sets=_strings(raw, "entity_set"),
        version=version,
        target=target,
        probability=probability if probability is not None else 1.0,
        max_count=max_count,
        after_s=after_s if after_s is not None else 0.0,
        duration_s=_number(raw, "duration_s", None, 0.0, None),
    )
