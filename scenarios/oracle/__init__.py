"""The oracle: a pure function from recorded histories to a verdict.

It reads only what the shop and SAP emulators recorded (their ``/__admin`` ground truth,
fakesap's fault decisions) and the bridge's log file (for personal data), and never asks
the bridge how it did — so the same verdict applies to anyone's bridge, matched through
the :class:`Contract`.
"""

from scenarios.oracle.contract import Contract, ContractError
from scenarios.oracle.histories import Histories
from scenarios.oracle.invariants import INVARIANTS, InvariantResult
from scenarios.oracle.judge import Verdict, judge

__all__ = [
    "INVARIANTS",
    "Contract",
    "ContractError",
    "Histories",
    "InvariantResult",
    "Verdict",
    "judge",
]
