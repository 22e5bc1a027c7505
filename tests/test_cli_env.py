"""Every CLI option has an environment variable: named from the command path, shown in
``--help``, overridden by the flag, and never mistaken for a bridge setting."""

from __future__ import annotations

import pytest

from bridge.config import config_from_env
from sapchaos.cli import build_parser
from sapchaos.cli_env import env_name


def test_names_follow_the_command_path() -> None:
    assert env_name(["fakesap", "serve"], "--page-size") == "SAPCHAOS_FAKESAP_PAGE_SIZE"
    assert env_name(["bridge", "serve"], "--store") == "SAPCHAOS_BRIDGE_STORE"
    assert env_name(["scenario", "run"], "--seed") == "SAPCHAOS_SCENARIO_RUN_SEED"


def test_env_sets_the_default_and_the_flag_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAPCHAOS_FAKESAP_PAGE_SIZE", "7")
    args = build_parser().parse_args(["fakesap", "serve"])
    assert args.page_size == 7
    args = build_parser().parse_args(["fakesap", "serve", "--page-size", "9"])
    assert args.page_size == 9


def test_env_values_are_checked_like_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAPCHAOS_FAKESAP_PORT", "99999")
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(["fakesap", "serve"])
    assert exc.value.code == 2


def test_help_names_the_variable(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["fakeshop", "serve", "--help"])
    assert "SAPCHAOS_FAKESHOP_PORT" in capsys.readouterr().out.replace("\n", " ").replace(" ", "")


def test_flag_variables_are_not_bridge_settings() -> None:
    cfg = config_from_env(
        {
            "SAPCHAOS_BRIDGE_STORE": "sqlite:///x.db",  # read by `bridge serve --store`
            "SAPCHAOS_BRIDGE_DLQ_LIST_LIMIT": "5",
            "SAPCHAOS_BRIDGE_WORKERS": "3",  # a real setting
        }
    )
    assert cfg.workers == 3


def test_every_bridge_flag_variable_is_accepted_and_typos_are_refused() -> None:
    import argparse

    from bridge.config import BridgeConfigError, load_config

    names: set[str] = set()

    def walk(parser: argparse.ArgumentParser) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    walk(sub)
            elif action.help and "[env SAPCHAOS_BRIDGE_" in action.help:
                names.add(action.help.split("[env ")[1].rstrip("]"))

    for action in build_parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            walk(action.choices["bridge"])
    assert "SAPCHAOS_BRIDGE_STORE" in names and "SAPCHAOS_BRIDGE_DLQ_LIST_LIMIT" in names
    refused = []
    for name in sorted(names):
        try:
            config_from_env({name: "1"})
        except ValueError as exc:
            if "unknown bridge setting" in str(exc):
                refused.append(name)
    assert refused == [], "flag variables refused as unknown bridge settings"
    with pytest.raises(BridgeConfigError, match="unknown bridge setting 'nope'"):
        load_config(None, env={"SAPCHAOS_BRIDGE_NOPE": "1"})
