"""docker-compose.yml cannot run here (no Docker engine), so check what can be checked:
every sapchaos command in it parses with the real CLI, every bridge setting it passes is a
real setting, and the Toxiproxy config routes to services that exist."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from bridge.config import config_from_env
from sapchaos.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


def _sapchaos_services() -> list[tuple[str, dict[str, Any]]]:
    return [(n, s) for n, s in _compose()["services"].items() if s.get("image") == "sapchaos:local"]


def test_compose_has_the_real_parts_and_our_services() -> None:
    services = _compose()["services"]
    assert {"postgres", "mosquitto", "toxiproxy", "fakesap", "fakeshop", "bridge"} <= set(services)
    assert services["toxiproxy"]["image"].startswith("ghcr.io/shopify/toxiproxy:2.")


@pytest.mark.parametrize("name", [n for n, _ in _sapchaos_services()])
def test_every_sapchaos_command_parses(name: str) -> None:
    service = dict(_sapchaos_services())[name]
    args = build_parser().parse_args([str(a) for a in service["command"]])
    assert callable(args.func)


def test_bridge_environment_is_a_valid_config() -> None:
    env = {k: str(v) for k, v in _compose()["services"]["bridge"]["environment"].items()}
    cfg = config_from_env(env)
    assert cfg.store_dsn.startswith("postgresql://")
    assert cfg.sap_base_url == "http://toxiproxy:50001/b1s/v1"


def test_toxiproxy_routes_point_at_compose_services() -> None:
    services = set(_compose()["services"])
    proxies = json.loads((ROOT / "deploy" / "toxiproxy.json").read_text())
    for p in proxies:
        host = p["upstream"].split(":")[0]
        assert host in services, p
    names = {p["name"] for p in proxies}
    assert {"bridge_to_sap", "bridge_to_shop", "shop_to_bridge"} <= names


def test_published_ports_are_bound_to_loopback() -> None:
    """Shared-host safety: nothing is published on every interface by default."""
    for name, service in _compose()["services"].items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), (name, port)


def test_postgres_needs_a_password_from_the_env_file() -> None:
    services = _compose()["services"]
    env = services["postgres"]["environment"]
    assert "POSTGRES_HOST_AUTH_METHOD" not in env
    assert env["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    for name, service in services.items():
        dsn = (service.get("environment") or {}).get("SAPCHAOS_BRIDGE_STORE_DSN")
        if dsn:
            assert ":${POSTGRES_PASSWORD}@" in dsn, name
    example = (ROOT / "deploy" / "sapchaos.env.example").read_text()
    assert "POSTGRES_PASSWORD=\n" in example  # no password shipped
