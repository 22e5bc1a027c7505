"""Line numbers for TOML keys (``tomllib`` parses values but forgets where they were).

A small scanner over the text that tracks the current table (``[a.b]`` and
``[[timeline]]`` with its index) and records, for every ``key = value`` line, the full
path of the key → its 1-based line number. Inline tables (``rule = { fault = "x" }``) are
attributed to the line of their key. Good enough to point a person at the right line;
the values themselves always come from ``tomllib``.
"""

from __future__ import annotations

import re

Path = tuple[str | int, ...]

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(
    r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*="""
)


def _split_key(raw: str) -> list[str]:
    parts = re.findall(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""", raw)
    return [p.strip("\"'") for p in parts]


def key_lines(text: str) -> dict[Path, int]:
    """Map each key path (tables, array-of-table indexes, keys) to the line it starts on."""
    lines: dict[Path, int] = {}
    current: Path = ()
    counts: dict[tuple[str, ...], int] = {}
    in_multiline: str | None = None
    for no, line in enumerate(text.splitlines(), start=1):
        if in_multiline is not None:
            if line.count(in_multiline) % 2 == 1:
                in_multiline = None
            continue
        m = _HEADER.match(line)
        if m and not _KEY.match(line):
            names = _split_key(m.group(2))
            if m.group(1) == "[[":
                idx = counts.get(tuple(names), 0)
                counts[tuple(names)] = idx + 1
                current = (*names, idx)
            else:
                current = tuple(names)
            lines.setdefault(current, no)
            continue
        k = _KEY.match(line)
        if k:
            path = (*current, *_split_key(k.group(1)))
            lines.setdefault(path, no)
            rest = line[k.end() :]
            for quote in ('"""', "'''"):
                if rest.count(quote) == 1:
                    in_multiline = quote
    return lines


def line_of(lines: dict[Path, int], path: Path) -> int | None:
    """The line of ``path`` or, failing that, of its nearest ancestor that has one."""
    p = tuple(path)
    while p:
        if p in lines:
            return lines[p]
        p = p[:-1]
    return None
