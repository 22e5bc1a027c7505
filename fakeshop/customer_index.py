"""Look-ups WordPress answers from database indexes (``email_exists``, ``username_exists``)
without scanning every account: a checkout sign-up must not cost more as the shop's
customer list grows over a long run.

``ShopState.customers`` stays the only truth. The index follows it: ``CustomerBook`` and
the checkout sign-up tell it about new accounts and e-mail changes; an account added or
removed any other way (or a new ``customers`` dict after a reset) changes the count or
the dict, and the index rebuilds itself from the accounts on its next use.
"""

from __future__ import annotations

from typing import Any

Customers = dict[int, dict[str, Any]]


class CustomerIndex:
    """Lower-cased e-mail → user id (the first account with it, in id order of creation)
    and the usernames taken."""

    def __init__(self) -> None:
        self._of: Customers | None = None
        self._size = -1
        self._emails: dict[str, int] = {}
        self._usernames: set[str] = set()

    def _sync(self, customers: Customers) -> None:
        if customers is not self._of or len(customers) != self._size:
            self.rebuild(customers)

    def rebuild(self, customers: Customers) -> None:
        self._of = customers
        self._size = len(customers)
        self._emails = {}
        self._usernames = set()
        for cid, res in customers.items():
            self._emails.setdefault(str(res["email"]).lower(), cid)
            self._usernames.add(str(res["username"]))

    def invalidate(self) -> None:
        """An e-mail changed: rebuild on the next use."""
        self._of = None

    def by_email(self, customers: Customers, email: str) -> dict[str, Any] | None:
        self._sync(customers)
        low = email.lower()
        cid = self._emails.get(low)
        res = None if cid is None else customers.get(cid)
        if cid is not None and (res is None or str(res["email"]).lower() != low):
            self.rebuild(customers)  # changed behind the index's back: trust the accounts
            cid = self._emails.get(low)
            res = None if cid is None else customers.get(cid)
        return res

    def usernames(self, customers: Customers) -> set[str]:
        """The usernames taken (a live view: do not change it)."""
        self._sync(customers)
        return self._usernames

    def added(self, customers: Customers, res: dict[str, Any]) -> None:
        """``res`` was just stored in ``customers`` under its id."""
        if customers is self._of and len(customers) == self._size + 1:
            self._size += 1
            self._emails.setdefault(str(res["email"]).lower(), int(res["id"]))
            self._usernames.add(str(res["username"]))
        else:
            self.rebuild(customers)
