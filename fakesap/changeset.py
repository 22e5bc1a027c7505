"""All-or-nothing execution of a ``$batch`` change set against ``FakeSap``.

The Service Layer runs a change set in one database transaction: every request in it
commits or none does. fakesap takes a snapshot of its mutable state (documents, numbering,
stock, ground truth, uniqueness guard), runs the change set's operations synchronously
(nothing else can interleave: one event loop), and on the first failure puts the snapshot
back and discards any write queued for ``--persist``. The snapshot is a deep copy, so a
change set costs time proportional to the number of documents held; single requests
(the create hot path) never pay it.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fakesap.backend import FakeSap


@contextmanager
def atomic(state: FakeSap) -> Iterator[None]:
    """Run the body as one transaction: an exception rolls every change back."""
    if state.commits is not None:
        state.commits.flush()  # what was committed before stays committed
    saved: dict[str, Any] = copy.deepcopy(
        {
            "docs": state.docs,
            "gross": state.gross,
            "next_entry": state.next_entry,
            "next_num": state.next_num,
            "guard": state.guard,
            "md": state.md,
        }
    )
    truth_len = len(state.truth)
    try:
        yield
    except BaseException:
        state.docs = saved["docs"]
        for entity_set, rows in state.docs.items():  # the copies as compact as the originals
            for doc in rows.values():
                state.store.compact(entity_set, doc)
        state.gross = saved["gross"]
        state.next_entry = saved["next_entry"]
        state.next_num = saved["next_num"]
        state.guard = saved["guard"]
        state.md = saved["md"]  # build contexts notice the new tables and rebuild
        del state.truth[truth_len:]
        if state.commits is not None:
            state.commits.discard()
        raise
