"""Argument types for every ``sapchaos`` command: a user's mistake becomes one clear line.

Each function is an ``argparse`` ``type=``: it returns the parsed value or raises
``argparse.ArgumentTypeError`` with the cause, and argparse prints
``sapchaos …: error: argument --catalog: file not found: /x.json`` and exits with 2 —
before anything starts listening or writing, so nothing is half done.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

#: input files (catalogs, configs, scenario files, contracts) larger than this are refused:
#: nothing the project reads is anywhere near it, and ``/dev/zero`` must not be read forever
MAX_INPUT_BYTES = 16 * 1024 * 1024

#: DSN schemes the bridge's store understands
STORE_SCHEMES = ("sqlite://", "postgresql://", "postgres://")


def port(text: str) -> int:
    """A TCP port, 0 (any free port) to 65535."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port {value} is out of range (0–65535)")
    return value


def _whole(text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
    return value


def positive_int(text: str) -> int:
    """A whole number ≥ 1."""
    return _whole(text, 1)


def non_negative_int(text: str) -> int:
    """A whole number ≥ 0."""
    return _whole(text, 0)


def positive_float(text: str) -> float:
    """A number > 0 (seconds, rates)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0 or value != value or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number above 0, got {text}")
    return value


def input_file(text: str) -> Path:
    """An existing, readable regular file of sane size (a catalog, config or scenario)."""
    path = Path(text).expanduser()
    if not path.exists():
        raise argparse.ArgumentTypeError(f"file not found: {text}")
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"is a directory, not a file: {text}")
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"not a regular file: {text}")
    if not os.access(path, os.R_OK):
        raise argparse.ArgumentTypeError(f"not readable: {text}")
    size = path.stat().st_size
    if size > MAX_INPUT_BYTES:
        raise argparse.ArgumentTypeError(
            f"{text} is {size // (1024 * 1024)} MiB; input files are limited to "
            f"{MAX_INPUT_BYTES // (1024 * 1024)} MiB"
        )
    return path


def output_file(text: str) -> Path:
    """A file path the command may write: not a directory, its folder exists (or can be made)."""
    path = Path(text).expanduser()
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"is a directory; give a file name: {text}")
    parent = path.parent if str(path.parent) else Path(".")
    if parent.exists() and not parent.is_dir():
        raise argparse.ArgumentTypeError(f"{parent} is not a directory")
    if parent.exists() and not os.access(parent, os.W_OK):
        raise argparse.ArgumentTypeError(f"cannot write in {parent}")
    return path


def store_dsn(text: str) -> str:
    """A bridge store DSN: ``sqlite:///path.db`` or ``postgresql://user@host/db``."""
    if not text.startswith(STORE_SCHEMES):
        raise argparse.ArgumentTypeError(
            f"unsupported store DSN {_mask_dsn(text)!r}: use sqlite:///path.db or "
            "postgresql://user@host:5432/db"
        )
    return text


def _mask_dsn(text: str) -> str:
    """Hide a password in ``scheme://user:password@host`` before echoing a DSN."""
    if "://" in text and "@" in text:
        scheme, rest = text.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        if ":" in creds:
            creds = creds.split(":", 1)[0] + ":***"
        return f"{scheme}://{creds}@{host}"
    return text
