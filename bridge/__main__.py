"""``python -m bridge serve …`` = ``sapchaos bridge serve …`` (used to spawn worker processes)."""

from __future__ import annotations

import sys

from sapchaos.cli import main

if __name__ == "__main__":
    sys.exit(main(["bridge", *sys.argv[1:]]))
