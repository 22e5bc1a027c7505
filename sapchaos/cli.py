"""The ``sapchaos`` console script: a thin argparse layer over the packages' own CLIs.

Each package owns its subcommands in its ``cli.py`` and exposes
``register(subparsers) -> None``; every parser sets ``func(args) -> int`` (the exit code).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from sapchaos.cli_env import apply_env_defaults

#: modules whose ``register`` adds subcommands, in the order ``--help`` lists them
COMMAND_MODULES = (
    "scenarios.cli",  # demo, up, scenario run/list
    "fakesap.cli",  # fakesap serve
    "fakeshop.cli",  # fakeshop serve
    "bridge.cli",  # bridge serve, dlq, quarantine
    "scenarios.proxy.cli",  # proxy serve
    "scenarios.loadtest",  # load (Locust + oracle)
    "scenarios.oracle_cli",  # oracle judge
    "scenarios.bench_cli",  # bench (load/bench.py: every speed figure, one table)
)


class CliParser(argparse.ArgumentParser):
    """argparse, but a mistake is one line (no usage block above it) and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = CliParser(
        prog="sapchaos",
        description="Chaos harness for shop→SAP order integrations.",
    )
    parser.add_argument("--log-level", default="INFO", help="log level for JSON logs (stderr)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        module = importlib.import_module(name)
        module.register(sub)
    apply_env_defaults(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from sapchaos.errors import UsageError
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
    except UsageError as exc:
        print(f"sapchaos: error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        if os.environ.get("SAPCHAOS_TRACEBACK"):
            raise
        print(
            f"sapchaos: internal error: {type(exc).__name__}: {exc} "
            "(set SAPCHAOS_TRACEBACK=1 to see where; please report it)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
