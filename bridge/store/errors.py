"""Store errors, declared together."""

from __future__ import annotations

from sapchaos.errors import UsageError

__all__ = ["InvalidDelivery", "LeaseLost", "StoreError", "StoreUnavailable", "UnsupportedDsn"]


class StoreError(Exception):
    """Base class of every error the bridge store raises on purpose."""


class InvalidDelivery(StoreError, ValueError):
    """A delivery the store cannot accept (bad order id, unparseable date); nothing stored."""


class LeaseLost(StoreError):
    """The job was reclaimed (higher fencing token) or the lease expired: stop working on it."""

    def __init__(self, job_id: int, token: int, reason: str) -> None:
        super().__init__(f"lease on job {job_id} (token {token}) lost: {reason}")
        self.job_id = job_id
        self.token = token
        self.reason = reason


class UnsupportedDsn(StoreError, UsageError, ValueError):
    """The DSN names no known store backend."""


class StoreUnavailable(StoreError, ConnectionError):
    """The database did not answer within its timeouts (partition, refused or black-holed
    link, server restarting). Nothing is known to be committed; retry later."""
