"""The ``sapchaos`` console script: a thin argparse layer over the packages' own CLIs.

Each package owns its subcommands in its ``cli.py`` and exposes
``register(subparsers) -> None``; every parser sets ``func(args) -> int`` (the exit code).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

#: modules whose ``register`` adds subcommands, in the order ``--help`` lists them
COMMAND_MODULES = (
    "scenarios.cli",  # demo, up, scenario run/list
    "fakesap.cli",  # fakesap serve
    "fakeshop.cli",  # fakeshop serve
    "bridge.cli",  # bridge serve, dlq, quarantine
    "scenarios.proxy.cli",  # proxy serve
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sapchaos",
        description="Chaos harness for shop→SAP order integrations.",
    )
    parser.add_argument("--log-level", default="INFO", help="log level for JSON logs (stderr)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        module = importlib.import_module(name)
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from sapchaos.logs import configure_logging

    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    configure_logging(args.log_level)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
