"""Errors a user can fix, shared by every ``sapchaos`` command.

A ``UsageError`` (or a subclass, such as a bad catalog or an unsupported store DSN)
reaching the CLI becomes one line on stderr and exit code 2 — never a traceback.
"""

from __future__ import annotations


class UsageError(Exception):
    """A mistake in the user's command line, configuration or input file."""
