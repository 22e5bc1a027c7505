"""The OAuth 1.0a nonce memory of one API key: a nonce is refused while its timestamp is
inside the allowed window (WooCommerce keeps ``nonces`` on the key row and drops the
ones older than the window, ``check_oauth_timestamp_and_nonce``).

Nonces are bucketed by timestamp so a request costs O(1) (plus O(log n) per new second)
instead of scanning every nonce seen: expired buckets are dropped from the oldest end.
"""

from __future__ import annotations

import heapq


class NonceCache:
    """Nonces seen in the last ``window_s`` seconds, bucketed by their timestamp."""

    def __init__(self, window_s: int) -> None:
        self.window_s = window_s
        self._seen: dict[str, int] = {}
        self._buckets: dict[int, list[str]] = {}
        self._oldest: list[int] = []  # min-heap of bucket timestamps

    def __len__(self) -> int:
        return len(self._seen)

    def __contains__(self, nonce: object) -> bool:
        return nonce in self._seen

    def use(self, nonce: str, ts: int, now: int) -> bool:
        """Remember ``nonce`` (sent with timestamp ``ts``); False when it was already used
        within the window."""
        self.expire(now)
        if nonce in self._seen:
            return False
        self._seen[nonce] = ts
        bucket = self._buckets.get(ts)
        if bucket is None:
            bucket = self._buckets[ts] = []
            heapq.heappush(self._oldest, ts)
        bucket.append(nonce)
        return True

    def expire(self, now: int) -> None:
        """Forget every nonce whose timestamp is older than ``now - window``."""
        limit = now - self.window_s
        while self._oldest and self._oldest[0] < limit:
            ts = heapq.heappop(self._oldest)
            for nonce in self._buckets.pop(ts, ()):
                if self._seen.get(nonce) == ts:
                    del self._seen[nonce]
