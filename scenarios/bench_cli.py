"""``sapchaos bench [NAME…]``: the project's speed figures in one table (``load.bench``)."""

from __future__ import annotations

import argparse
from typing import Any

from sapchaos.errors import UsageError


def register(sub: Any) -> None:
    from load.bench import ROWS, add_arguments

    p = sub.add_parser(
        "bench",
        help="run the benchmarks and print one table of figures against the targets",
        description="Run the named benchmarks (default: all of "
        + ", ".join(ROWS)
        + ") on separate stacks, each ending with the oracle's verdict, and print one table: "
        "measure, figure, target, ratio, met/missed, oracle. Quick sizes by default (< 5 min); "
        "--full for the issue's sizes. Exit 1 when a run fails the oracle or errors.",
    )
    add_arguments(p)
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from load.bench import run_from_args

    try:
        return run_from_args(args)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
