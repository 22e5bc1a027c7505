"""``python -m bridge.events schema|relay|subscribe`` (same as ``sapchaos bridge events``)."""

from __future__ import annotations

import sys

from bridge.events.cli import build_parser


def main(argv: list[str]) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    from sapchaos.logs import configure_logging

    configure_logging("INFO", sys.stderr)  # JSON lines on stderr; results on stdout
    raise SystemExit(main(sys.argv[1:]))
