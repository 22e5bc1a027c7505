"""The ground-truth records (``/__admin/documents``), kept small.

WireMock keeps every request it served; fakesap keeps, for every document it created, the
request that created it (method, path, raw body bytes, journal id), so the oracle can tell
what the shop asked for from what SAP committed. Over 100k documents that is mostly raw
JSON bodies, and they are alike: the same property names, item codes and partner codes.
``BodyArchive`` deflates them in blocks of consecutive bodies (alike bodies compress far
better together, and one deflate per block costs much less than one per body), and
``TruthRecord`` keeps the usual request as slots instead of a dict. ``request`` gives back
the same dict, with the same raw bytes, whenever it is read.
"""

from __future__ import annotations

import zlib
from array import array
from typing import Any

#: bodies per deflated block
BLOCK = 64
REQUEST_KEYS = ("method", "path", "body", "id")


class BodyArchive:
    """Append-only store of byte strings, deflated ``BLOCK`` at a time; ``add`` returns
    the handle that ``get`` takes. The newest, unfinished block stays as it was given."""

    def __init__(self, block: int = BLOCK, level: int = 6) -> None:
        self._block = block
        self._level = level
        self._blocks: list[bytes] = []
        #: per sealed block, where each body ends in the inflated block
        self._ends: list[array[int]] = []
        self._pending: list[bytes] = []
        #: the last inflated block (readers walk the ground truth in order)
        self._cached: tuple[int, bytes] = (-1, b"")

    def add(self, body: bytes) -> int:
        handle = len(self._blocks) * self._block + len(self._pending)
        self._pending.append(body)
        if len(self._pending) == self._block:
            self._seal()
        return handle

    def _seal(self) -> None:
        ends = array("Q")
        pos = 0
        for body in self._pending:
            pos += len(body)
            ends.append(pos)
        self._blocks.append(zlib.compress(b"".join(self._pending), self._level))
        self._ends.append(ends)
        self._pending = []

    def get(self, handle: int) -> bytes:
        block, i = divmod(handle, self._block)
        if block == len(self._blocks):
            return self._pending[i]
        if self._cached[0] == block:
            data = self._cached[1]
        else:
            data = zlib.decompress(self._blocks[block])
            self._cached = (block, data)
        ends = self._ends[block]
        return data[ends[i - 1] if i else 0 : ends[i]]


class TruthRecord:
    """One created document in the ground truth: when it committed and what asked for it.

    A request shaped as the HTTP layer makes it (``method``, ``path``, raw ``body`` bytes,
    ``id`` equal to ``request_id``) is kept as slots with the body in ``archive``; any
    other request dict is kept as it is.
    """

    __slots__ = (
        "_archive",
        "_body",
        "_method",
        "_other",
        "_path",
        "committed_at",
        "doc_entry",
        "doc_num",
        "entity_set",
        "object_type",
        "request_id",
    )

    def __init__(
        self,
        entity_set: str,
        object_type: int,
        doc_entry: int,
        doc_num: int,
        committed_at: float,
        request_id: str | None,
        request: dict[str, Any] | None,
        archive: BodyArchive | None = None,
    ) -> None:
        self.entity_set = entity_set
        self.object_type = object_type
        self.doc_entry = doc_entry
        self.doc_num = doc_num
        self.committed_at = committed_at
        self.request_id = request_id
        self._method: str | None = None
        self._path: str | None = None
        self._body: bytes | int | None = None
        self._archive: BodyArchive | None = None
        self._other: dict[str, Any] | None = None
        body = request.get("body") if request is not None else None
        if (
            request is not None
            and body.__class__ is bytes
            and tuple(request) == REQUEST_KEYS
            and request["id"] == request_id
        ):
            self._method = request["method"]
            self._path = request["path"]
            if archive is not None:
                self._body = archive.add(body)
                self._archive = archive
            else:
                self._body = body
        else:
            self._other = request

    @property
    def request(self) -> dict[str, Any] | None:
        """The request that created the document, as it was given."""
        if self._method is None:
            return self._other
        body = self._body
        if self._archive is not None and body.__class__ is int:
            body = self._archive.get(body)
        return {"method": self._method, "path": self._path, "body": body, "id": self.request_id}

    def __repr__(self) -> str:
        return (
            f"TruthRecord({self.entity_set!r}, {self.object_type}, {self.doc_entry}, "
            f"{self.doc_num}, {self.committed_at}, {self.request_id!r})"
        )
