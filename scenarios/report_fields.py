"""Read the fields of a ``report.json`` (format 1) the JUnit and HTML writers share.

A report is a plain dict; older reports lack the fields the runner added later
(``replay_command``, ``expectations``, ``samples``, ``fault_windows``, ``tta_series``), so
every accessor here has a sensible fallback instead of a ``KeyError``.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping
from typing import Any

#: idempotency keys name the shop order: ``wc:{id}:order``, ``wc:{id}:refund:{r}``, ``mg:{id}:…``
_KEY_ORDER = re.compile(r"^[a-z]+:(\d+)(?::|$)")


def replay_command(report: Mapping[str, Any]) -> str:
    """The exact command that replays this run (the runner's, else one built from its fields)."""
    given = report.get("replay_command")
    if given:
        return str(given)
    parts = ["sapchaos", "scenario", "run", str(report.get("scenario", "?"))]
    parts += ["--seed", str(report.get("seed", "?"))]
    if report.get("bridge_cmd"):
        parts += ["--bridge-cmd", str(report["bridge_cmd"])]
    return shlex.join(parts)


def _ids_in(value: Any) -> Iterable[int]:
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        yield value
    elif isinstance(value, str):
        if value.isdigit():
            yield int(value)
        else:
            m = _KEY_ORDER.match(value)
            if m:
                yield int(m.group(1))
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _ids_in(item)


def violation_order_ids(violation: Mapping[str, Any]) -> list[int]:
    """The shop order ids one violation names (``order_id``, ``order_ids``, or an idem key)."""
    out: list[int] = []
    for name in ("order_id", "order_ids"):
        if name in violation:
            out.extend(_ids_in(violation[name]))
    if not out:
        for name in ("idem_key", "key", "keys"):
            if name in violation:
                out.extend(_ids_in(violation[name]))
    return sorted(set(out))


def order_ids(violations: Iterable[Mapping[str, Any]]) -> list[int]:
    """Every shop order id named by a list of violations, sorted, once each."""
    ids: set[int] = set()
    for v in violations:
        ids.update(violation_order_ids(v))
    return sorted(ids)


def invariants(report: Mapping[str, Any]) -> list[tuple[str, bool, list[dict[str, Any]]]]:
    """``(name, ok, violations)`` for each invariant, in report order."""
    out = []
    for name, res in (report.get("invariants") or {}).items():
        violations = list(res.get("violations") or [])
        out.append((str(name), bool(res.get("ok", not violations)), violations))
    return out


def expectations(report: Mapping[str, Any]) -> list[tuple[str, bool, Any, Any]]:
    """``(name, ok, expected, found)`` for each expectation the scenario declared."""
    out = []
    for name, res in (report.get("expectations") or {}).items():
        if isinstance(res, Mapping):
            out.append((str(name), bool(res.get("ok")), res.get("expected"), res.get("found")))
        else:
            out.append((str(name), bool(res), None, None))
    return out


def run_error(report: Mapping[str, Any]) -> str | None:
    """Why the run itself did not complete (the stack failed to start, a timeout), if it did not."""
    err = report.get("error")
    if err:
        return str(err)
    if report.get("verdict") == "error":
        return "the run ended in an error"
    return None


def ids_text(ids: list[int], limit: int = 20) -> str:
    """``12, 15, 40`` (and ``… (+N more)`` past ``limit``)."""
    shown = ", ".join(str(i) for i in ids[:limit])
    return shown + (f" … (+{len(ids) - limit} more)" if len(ids) > limit else "")
