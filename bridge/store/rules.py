"""Last-writer-wins rules for order snapshots, shared by both store backends.

WooCommerce webhooks are notifications that arrive duplicated and out of order; the only
ordering the shop gives is ``date_modified_gmt`` (one-second resolution), so an equal
timestamp with different content cannot be ordered and must be settled by a REST fetch.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["SnapshotDecision", "decide_snapshot"]


class SnapshotDecision(StrEnum):
    CREATE = "create"  # no snapshot yet
    REPLACE = "replace"  # strictly newer (or authoritative tie with new content)
    SAME = "same"  # same timestamp and content: nothing to do
    STALE = "stale"  # older than the current snapshot: kept in the inbox only
    CONFLICT = "conflict"  # same timestamp, different content: caller must fetch

    @property
    def changes(self) -> bool:
        return self in (SnapshotDecision.CREATE, SnapshotDecision.REPLACE)


def decide_snapshot(
    current: tuple[float, str] | None,
    modified_ts: float,
    sha256: str,
    *,
    authoritative: bool = False,
) -> SnapshotDecision:
    """Compare ``(modified_ts, sha256)`` of the incoming payload with ``current``.

    ``authoritative`` (a REST fetch): a tie with different content replaces the snapshot.
    """
    if current is None:
        return SnapshotDecision.CREATE
    cur_ts, cur_sha = current
    if modified_ts > cur_ts:
        return SnapshotDecision.REPLACE
    if modified_ts < cur_ts:
        return SnapshotDecision.STALE
    if sha256 == cur_sha:
        return SnapshotDecision.SAME
    return SnapshotDecision.REPLACE if authoritative else SnapshotDecision.CONFLICT
