"""The one table of fakesap faults, by name. Adding a fault = one module + one row."""

from __future__ import annotations

from fakesap.faults.base import FaultFactory
from fakesap.faults.commit_then_fail import CommitThenFail
from fakesap.faults.hang import Hang
from fakesap.faults.http_error import HttpError
from fakesap.faults.late_commit import LateCommit
from fakesap.faults.latency import Latency
from fakesap.faults.line_reject import LineReject
from fakesap.faults.malformed import Malformed
from fakesap.faults.partial_document import PartialDocument
from fakesap.faults.rate_limit import RateLimit
from fakesap.faults.reset import Reset
from fakesap.faults.session_expiry import SessionExpiry

FAULTS: dict[str, FaultFactory] = {
    cls.kind: cls
    for cls in (
        HttpError,
        Latency,
        Hang,
        CommitThenFail,
        LateCommit,
        LineReject,
        PartialDocument,
        SessionExpiry,
        RateLimit,
        Malformed,
        Reset,
    )
}
