"""fakesap's configuration: companies and users, sessions, UDFs, the uniqueness guard,
persistence, paging, plus the fault and back-office sections.

A real Service Layer reads its companies from the SLD and its UDFs from ``UserFieldsMD``;
fakesap reads both from one TOML or YAML file (``--config``) or takes the defaults.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from fakesap.backoffice import BackOfficeConfig
from fakesap.faults import FaultsConfig
from sapchaos.errors import UsageError


class ConfigError(UsageError, ValueError):
    """The config file is unreadable or has a wrong value; the message says where."""


@dataclass(frozen=True)
class Company:
    """One company database (``CompanyDB``) and the users that may log in to it."""

    db: str
    name: str
    users: dict[str, str]  # UserName -> Password


def default_companies() -> tuple[Company, ...]:
    return (
        Company("SBODEMOES", "OEC Computers Spain", {"manager": "manager", "bridge": "bridge"}),
    )


@dataclass
class FakeSapConfig:
    """Everything ``create_app`` needs; every field has a working default."""

    companies: tuple[Company, ...] = field(default_factory=default_companies)
    session_timeout_min: int = 30  # SessionTimeout in the Login reply; idle limit
    max_sessions_per_user: int = 0  # 0 = unlimited; else Login fails when a user has this many
    route_node: int = 1  # ROUTEID=.node<N>
    version: str = "1000190"  # "Version" in the Login reply (B1 10.0 FP 2405-like)
    catalog_path: str | None = None  # None: the packaged sapchaos catalog
    udfs: dict[str, tuple[str, ...]] | None = None  # table -> U_ names; None: from catalog
    uniqueness_guard_udf: str | None = None  # e.g. "U_IdemKey"
    persist_path: str | None = None  # SQLite file; None: in memory only
    page_size: int = 20  # default server page size
    max_page_size: int = 5000  # ceiling for Prefer: odata.maxpagesize
    journal_size: int = 10_000  # ring buffer of requests kept for /__admin/journal
    max_body_bytes: int = 1_048_576  # larger bodies get 413
    price_decimals: int = 6  # decimals kept on Price/UnitPrice/PriceAfterVAT
    allow_negative_stock: bool = False  # B1 default: block negative inventory
    docnum_start: int = 100001  # DocNum series start (DocEntry starts at 1)
    seed: int = 0
    faults: FaultsConfig = field(default_factory=FaultsConfig)
    backoffice: BackOfficeConfig = field(default_factory=BackOfficeConfig)

    def company(self, db: str) -> Company | None:
        for company in self.companies:
            if company.db == db:
                return company
        return None


def _companies(raw: Any) -> tuple[Company, ...]:
    if not isinstance(raw, list) or not raw:
        raise ConfigError("companies: expected a non-empty list")
    out = []
    for i, c in enumerate(raw):
        if not isinstance(c, dict) or "db" not in c:
            raise ConfigError(f"companies[{i}]: expected a table with 'db'")
        users = c.get("users", {})
        if isinstance(users, list):  # [{name, password}] form
            users = {str(u["name"]): str(u["password"]) for u in users}
        if not isinstance(users, dict):
            raise ConfigError(f"companies[{i}].users: expected a table name -> password")
        out.append(
            Company(
                str(c["db"]),
                str(c.get("name", c["db"])),
                {str(k): str(v) for k, v in users.items()},
            )
        )
    return tuple(out)


def config_from_dict(data: dict[str, Any]) -> FakeSapConfig:
    """Build a config from the parsed file; unknown keys are an error (typos hide bugs)."""
    known = {f.name for f in fields(FakeSapConfig)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"unknown config keys: {', '.join(unknown)}")
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key == "companies":
            kwargs[key] = _companies(value)
        elif key == "udfs":
            kwargs[key] = {str(t): tuple(str(n) for n in names) for t, names in value.items()}
        elif key == "faults":
            kwargs[key] = FaultsConfig(**value)
        elif key == "backoffice":
            bo = dict(value)
            if "callback_events" in bo:
                bo["callback_events"] = tuple(bo["callback_events"])
            kwargs[key] = BackOfficeConfig(**bo)
        else:
            kwargs[key] = value
    try:
        return FakeSapConfig(**kwargs)
    except TypeError as exc:
        raise ConfigError(str(exc)) from None


def load_config(path: str | Path) -> FakeSapConfig:
    """Read a TOML (``.toml``), YAML (``.yaml``/``.yml``) or JSON config file."""
    p = Path(path)
    try:
        text = p.read_text("utf-8")
    except OSError as exc:
        raise ConfigError(f"{p}: {exc.strerror}") from None
    try:
        if p.suffix == ".toml":
            data: Any = tomllib.loads(text)
        elif p.suffix in (".yaml", ".yml"):
            data = yaml.safe_load(text) or {}
        else:
            data = json.loads(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError, ValueError) as exc:
        raise ConfigError(f"{p}: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{p}: expected a table at the top level")
    return config_from_dict(data.get("fakesap", data))
