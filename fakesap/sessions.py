"""Service Layer sessions: one per successful Login, refreshed by every request, gone
after ``SessionTimeout`` idle minutes or a Logout.

Sessions live in memory only, as in the real SL: a restart forgets them and every client
gets the 401 (code 301) and logs in again.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Session:
    session_id: str
    company_db: str
    user: str
    created_at: float
    last_seen: float


class SessionStore:
    """Sessions by id, with an idle timeout measured by the injected clock."""

    def __init__(self, clock: Callable[[], float], timeout_min: int) -> None:
        self.clock = clock
        self.timeout_s = timeout_min * 60.0
        self._sessions: dict[str, Session] = {}

    def new(self, company_db: str, user: str) -> Session:
        now = self.clock()
        # SL session ids look like GUIDs: "0b7a4a0e-8c63-11ee-8000-0242ac120002"
        session = Session(str(uuid.uuid4()), company_db, user, now, now)
        self._sessions[session.session_id] = session
        return session

    def touch(self, session_id: str | None) -> Session | None:
        """The live session for this id, refreshed; None when missing, unknown or idle too long."""
        if not session_id:
            return None
        session = self._sessions.get(session_id)
        if session is None:
            return None
        now = self.clock()
        if now - session.last_seen > self.timeout_s:
            del self._sessions[session_id]
            return None
        session.last_seen = now
        return session

    def drop(self, session_id: str) -> bool:
        return self._sessions.pop(session_id, None) is not None

    def drop_all(self) -> int:
        n = len(self._sessions)
        self._sessions.clear()
        return n

    def ids(self) -> list[str]:
        return list(self._sessions)

    def purge_idle(self) -> int:
        """Forget sessions idle longer than the timeout (called now and then, not per request)."""
        now = self.clock()
        stale = [sid for sid, s in self._sessions.items() if now - s.last_seen > self.timeout_s]
        for sid in stale:
            del self._sessions[sid]
        return len(stale)

    def count_for(self, company_db: str, user: str) -> int:
        """Live (not idle-expired) sessions of one user."""
        now = self.clock()
        return sum(
            1
            for s in self._sessions.values()
            if s.user == user and s.company_db == company_db and now - s.last_seen <= self.timeout_s
        )

    def __len__(self) -> int:
        return len(self._sessions)
