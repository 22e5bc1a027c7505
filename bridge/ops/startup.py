"""What the bridge checks and records about its own settings when it starts.

- the ops tokens (configured, from an existing tokens file, or generated into one);
- a warning when the shop's webhooks are verified with the well-known default secret
  (anyone who read the docs could forge an order);
- an audit entry when the settings differ from the last start's: the changed setting
  names with old and new values, secrets as SHA-256 fingerprints only.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from pathlib import Path
from typing import Any

from bridge.config import SECRET_FIELDS, BridgeConfig, mask_dsn
from bridge.ops.auth import TOKEN_FILE_NAME, TokenSource, resolve_tokens
from bridge.store.base import Store
from sapchaos import defaults

CONFIG_ACTION = "config.change"


def token_file_path(cfg: BridgeConfig, env: dict[str, str] | None = None) -> Path:
    """``ops_token_file``; else the harness's state folder; else beside a SQLite store
    file; else ``~/.local/share/sapchaos``."""
    environ = os.environ if env is None else env
    if cfg.ops_token_file:
        return Path(cfg.ops_token_file)
    state_dir = environ.get(defaults.ENV["state_dir"])
    if state_dir:
        return Path(state_dir) / TOKEN_FILE_NAME
    if cfg.store_dsn.startswith("sqlite:///") and ":memory:" not in cfg.store_dsn:
        path = Path(cfg.store_dsn[len("sqlite:///") :].split("?", 1)[0])
        return path.resolve().parent / TOKEN_FILE_NAME
    return Path.home() / ".local" / "share" / "sapchaos" / TOKEN_FILE_NAME


def resolve_ops_tokens(cfg: BridgeConfig) -> TokenSource:
    return resolve_tokens(cfg.ops_operator_token, cfg.ops_readonly_token, token_file_path(cfg))


def default_secret_warning(cfg: BridgeConfig) -> str | None:
    if defaults.WEBHOOK_SECRET in cfg.webhook_secrets:
        return (
            "the webhook secret is sapchaos's published default: anyone can sign webhooks "
            "this bridge accepts; set SAPCHAOS_BRIDGE_WEBHOOK_SECRETS (or _FILE) to your own"
        )
    return None


def _fingerprint(value: Any) -> str:
    return "sha256:" + hashlib.sha256(repr(value).encode()).hexdigest()[:16]


def config_facts(cfg: BridgeConfig) -> dict[str, Any]:
    """The settings as the audit records them: secrets fingerprinted, DSN masked."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(cfg):
        value = getattr(cfg, f.name)
        if f.name in SECRET_FIELDS:
            value = _fingerprint(value) if value else ""
        elif f.name == "store_dsn":
            value = mask_dsn(value)
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            value = dataclasses.asdict(value)
        elif isinstance(value, tuple):
            value = list(value)
        out[f.name] = value
    return out


async def audit_config(store: Store, cfg: BridgeConfig, actor: str) -> dict[str, Any] | None:
    """Append a ``config.change`` entry if the settings differ from the last recorded ones
    (the first start records them all); returns the changes, None if nothing changed.
    Settings that belong to one process (``worker_id``, ``port``) are not compared."""
    facts = config_facts(cfg)
    for local in ("worker_id", "port", "roles", "workers", "host"):
        facts.pop(local, None)
    last: dict[str, Any] | None = None
    after = 0
    while True:
        page = await store.list_audit(after_seq=after, limit=1000)
        if not page:
            break
        for e in page:
            if e.action == CONFIG_ACTION:
                last = e.detail.get("settings")
        after = page[-1].seq
    if last == facts:
        return None
    changes = {
        k: {"old": None if last is None else last.get(k), "new": v}
        for k, v in facts.items()
        if last is None or last.get(k) != v
    }
    await store.append_audit(
        actor,
        "process",
        CONFIG_ACTION,
        "bridge.config",
        {"changed": sorted(changes), "changes": changes, "settings": facts},
    )
    return changes
