"""Versioned schema migrations: ``<backend>/NNNN_name.sql`` files applied in order once each.

Each applied version is recorded in ``schema_migrations``; running migrate again applies
nothing. A migration file is applied in one transaction with its ``schema_migrations`` row.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["Migration", "load_migrations", "split_statements"]


@dataclass(frozen=True)
class Migration:
    """One migration file: ``version`` is its numeric prefix ("0001"), ``name`` the rest."""

    version: str
    name: str
    sql: str


def load_migrations(backend: str) -> list[Migration]:
    """All migrations of ``backend`` (``sqlite`` or ``postgres``), sorted by version."""
    folder = Path(__file__).parent / backend
    found = []
    for path in sorted(folder.glob("*.sql")):
        version, _, name = path.stem.partition("_")
        found.append(Migration(version=version, name=name, sql=path.read_text(encoding="utf-8")))
    return found


def split_statements(sql: str) -> list[str]:
    """Split a migration script on ``;`` at line ends (the files keep one statement per
    ``;``-terminated block and no semicolons inside literals)."""
    lines = [line for line in sql.splitlines() if not line.strip().startswith("--")]
    parts = "\n".join(lines).split(";")
    return [p.strip() for p in parts if p.strip()]
