"""The ground-truth records (``/__admin/documents``), kept small.

WireMock keeps every request it served; fakesap keeps, for every document it created, the
request that created it (method, path, raw body bytes, journal id), so the oracle can tell
what the shop asked for from what SAP committed. Over 100k documents that is mostly raw
JSON bodies, and they are alike: the same property names, item codes and partner codes.
``BodyCodec`` deflates each body with a preset dictionary built from the Service Layer's
property names and the master data (RFC 1951 with a preset dictionary, as zlib allows),
and ``TruthRecord`` keeps the usual request as slots instead of a dict. ``request`` gives
back the same dict, with the same raw bytes, whenever it is read.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from typing import Any

#: deflate keeps at most a 32 KB window: a longer dictionary only keeps its end
ZDICT_MAX = 32 * 1024
#: bodies shorter than this are kept as they are (deflate would not pay off)
MIN_PACKED = 64
REQUEST_KEYS = ("method", "path", "body", "id")


class BodyCodec:
    """Deflate/inflate request bodies with one preset dictionary (raw deflate, no header)."""

    def __init__(self, zdict: bytes) -> None:
        self.zdict = zdict[-ZDICT_MAX:]

    @classmethod
    def for_vocabulary(cls, names: Iterable[str], codes: Iterable[str]) -> BodyCodec:
        """A dictionary of JSON fragments: ``"code"`` for each key value and ``"Name": ``
        for each property (its prefix ``"Name":`` serves compact JSON as well). Short on
        purpose: loading it costs time on every create."""
        parts = [f'"{code}"' for code in sorted(set(codes))]
        parts += [f'"{name}": ' for name in sorted(set(names))]
        return cls("".join(parts).encode("utf-8"))

    def pack(self, body: bytes) -> bytes:
        deflate = zlib.compressobj(6, zlib.DEFLATED, -15, 8, zlib.Z_DEFAULT_STRATEGY, self.zdict)
        return deflate.compress(body) + deflate.flush()

    def unpack(self, packed: bytes) -> bytes:
        inflate = zlib.decompressobj(-15, self.zdict)
        return inflate.decompress(packed) + inflate.flush()


class TruthRecord:
    """One created document in the ground truth: when it committed and what asked for it.

    A request shaped as the HTTP layer makes it (``method``, ``path``, raw ``body`` bytes,
    ``id`` equal to ``request_id``) is kept as slots with the body deflated by ``codec``;
    any other request dict is kept as it is.
    """

    __slots__ = (
        "_body",
        "_codec",
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
        codec: BodyCodec | None = None,
    ) -> None:
        self.entity_set = entity_set
        self.object_type = object_type
        self.doc_entry = doc_entry
        self.doc_num = doc_num
        self.committed_at = committed_at
        self.request_id = request_id
        self._method: str | None = None
        self._path: str | None = None
        self._body: bytes | None = None
        self._codec: BodyCodec | None = None
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
            if codec is not None and len(body) >= MIN_PACKED:
                self._body = codec.pack(body)
                self._codec = codec
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
        if self._codec is not None and body is not None:
            body = self._codec.unpack(body)
        return {"method": self._method, "path": self._path, "body": body, "id": self.request_id}

    def __repr__(self) -> str:
        return (
            f"TruthRecord({self.entity_set!r}, {self.object_type}, {self.doc_entry}, "
            f"{self.doc_num}, {self.committed_at}, {self.request_id!r})"
        )
