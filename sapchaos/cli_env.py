"""Every ``sapchaos`` option has an environment variable, named from its command path.

``sapchaos fakesap serve --port`` reads ``SAPCHAOS_FAKESAP_PORT``; ``sapchaos scenario run
--seed`` reads ``SAPCHAOS_SCENARIO_RUN_SEED`` (the word ``serve`` is left out of the name,
so ``bridge serve --port`` is ``SAPCHAOS_BRIDGE_PORT``, the same variable as the bridge's
own setting). A flag given on the command line wins over the variable; the variable wins
over the built-in default. ``--help`` shows each variable beside its option, as Docker's
and Locust's CLIs do. Options whose help already names a ``SAPCHAOS_`` variable are wired
explicitly and left as they are.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator, Mapping

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


def env_name(command_path: list[str], option: str) -> str:
    """``["fakesap", "serve"]`` + ``--page-size`` → ``SAPCHAOS_FAKESAP_PAGE_SIZE``."""
    words = [w for w in command_path if w != "serve"]
    stem = "_".join([*words, option.lstrip("-")])
    return "SAPCHAOS_" + stem.replace("-", "_").upper()


def _subparsers(parser: argparse.ArgumentParser) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            seen: set[int] = set()
            for name, sub in action.choices.items():
                if id(sub) not in seen:  # aliases share one parser
                    seen.add(id(sub))
                    yield name, sub


def apply_env_defaults(
    parser: argparse.ArgumentParser,
    environ: Mapping[str, str] | None = None,
    path: list[str] | None = None,
) -> None:
    """Give every option of ``parser`` and its subcommands an environment variable."""
    env = os.environ if environ is None else environ
    path = path or []
    for action in parser._actions:
        if not action.option_strings or isinstance(
            action, argparse._HelpAction | argparse._VersionAction | argparse._SubParsersAction
        ):
            continue
        if action.help == argparse.SUPPRESS or "SAPCHAOS_" in (action.help or ""):
            continue
        if not path:  # top-level options (--log-level) are named without a command
            name = env_name([], action.option_strings[-1])
        else:
            name = env_name(path, action.option_strings[-1])
        action.help = f"{action.help or ''} [env {name}]".strip()
        if name not in env:
            continue
        raw = env[name]
        if isinstance(action, argparse._StoreTrueAction | argparse._StoreFalseAction):
            low = raw.strip().lower()
            if low not in _TRUE | _FALSE:
                parser.error(f"{name}={raw!r}: expected true or false")
            on = low in _TRUE
            action.default = on if isinstance(action, argparse._StoreTrueAction) else not on
        elif isinstance(action, argparse._StoreAction):
            if action.choices is not None and raw not in action.choices:
                parser.error(
                    f"{name}={raw!r}: choose from {', '.join(map(str, action.choices))}"
                )
            action.default = raw  # argparse converts a string default with the option's type
    for name, sub in _subparsers(parser):
        apply_env_defaults(sub, env, [*path, name])
