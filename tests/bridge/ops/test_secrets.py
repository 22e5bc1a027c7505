"""Secrets come from the environment or a secrets file and are never printed: the config's
repr, ``bridge serve``'s banner (DSN password masked), the generated ops tokens (a path is
printed, not the token), and the warning about the published default webhook secret."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bridge.config import BridgeConfig, BridgeConfigError, config_from_env, mask_dsn
from bridge.ops.auth import TokenFileError, read_token_file, resolve_tokens
from bridge.ops.startup import default_secret_warning
from sapchaos import defaults
from sapchaos.net import free_port


def test_config_repr_masks_every_secret() -> None:
    cfg = BridgeConfig(
        store_dsn="postgresql://bridge:hunter2@db:5432/x",
        sap_password="sap-pass-123",
        shop_consumer_secret="cs_secret_456",
        webhook_secrets=("whsec-789",),
        ops_operator_token="op-token-abcdefghijkl",
    )
    text = repr(cfg)
    for secret in ("hunter2", "sap-pass-123", "cs_secret_456", "whsec-789", "op-token-abc"):
        assert secret not in text
    assert "bridge:***@db:5432" in text and "sap_user=" in text


def test_mask_dsn() -> None:
    assert mask_dsn("postgresql://u:p%40ss@h:5/d?schema=s") == "postgresql://u:***@h:5/d?schema=s"
    assert mask_dsn("sqlite:///x.db") == "sqlite:///x.db"


def test_secrets_file_variables(tmp_path: Path) -> None:
    secret = tmp_path / "sap"
    secret.write_text("from-a-file\n")
    cfg = config_from_env({"SAPCHAOS_BRIDGE_SAP_PASSWORD_FILE": str(secret)})
    assert cfg.sap_password == "from-a-file"
    with pytest.raises(BridgeConfigError, match="SAPCHAOS_BRIDGE_SAP_PASSWORD_FILE"):
        config_from_env({"SAPCHAOS_BRIDGE_SAP_PASSWORD_FILE": str(tmp_path / "missing")})
    # settings whose own name ends in _file are paths, not secrets files
    cfg = config_from_env({"SAPCHAOS_BRIDGE_OPS_TOKEN_FILE": "/x/tokens.json"})
    assert cfg.ops_token_file == "/x/tokens.json"


def test_default_webhook_secret_warns() -> None:
    assert default_secret_warning(BridgeConfig()) is not None
    assert default_secret_warning(BridgeConfig(webhook_secrets=("own-secret",))) is None


def test_generated_tokens_are_written_0600_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "state" / "bridge-ops-tokens.json"
    first = resolve_tokens("", "", path)
    assert first.kind == "generated" and path.stat().st_mode & 0o777 == 0o600
    assert {t.role for t in first.tokens} == {"operator", "read-only"}
    assert "token='***'" in repr(first.tokens[0])
    again = resolve_tokens("", "", path)
    assert again.kind == "file" and [t.token for t in again.tokens] == [
        t.token for t in first.tokens
    ]
    configured = resolve_tokens("x" * 20, "", path)
    assert configured.kind == "configured" and len(configured.tokens) == 1
    path.write_text(json.dumps({"tokens": [{"name": "a", "role": "admin", "token": "y" * 20}]}))
    with pytest.raises(TokenFileError, match="role must be one of"):
        read_token_file(path)


def test_serve_banner_masks_the_dsn_and_names_the_token_file(tmp_path: Path) -> None:
    """``bridge serve`` with a PostgreSQL DSN carrying a password (trust auth ignores it):
    the banner shows ``***``, the tokens file path, the default-secret warning; no secret."""
    import asyncio
    import uuid

    from tests.bridge.conftest import drop_schema

    schema = f"w2ops_{uuid.uuid4().hex[:10]}"
    dsn = f"postgresql://postgres:hunter2-secret@127.0.0.1:5432/test?schema={schema}"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SAPCHAOS_", "PYTEST_"))} | {
        "SAPCHAOS_STATE_DIR": str(tmp_path),
        "SAPCHAOS_BRIDGE_SAP_PASSWORD": "sap-pw-secret",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "sapchaos.cli", "bridge", "serve", "--store", dsn, "--port",
         str(port), "--roles", "ingress", "--shop-secret", "cs-secret-xyz"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "ops dashboard" in line:
                break
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=30)
        asyncio.run(drop_schema(schema))
    text = "".join(lines) + out + err
    assert "postgres:***@127.0.0.1:5432" in text, text
    token_file = tmp_path / "bridge-ops-tokens.json"
    assert str(token_file) in text
    tokens = [t["token"] for t in json.loads(token_file.read_text())["tokens"]]
    for secret in ("hunter2-secret", "sap-pw-secret", "cs-secret-xyz", *tokens):
        assert secret not in text
    assert defaults.WEBHOOK_SECRET not in text
    assert "published default" in err
