"""The oracle: a pure function from recorded histories to a verdict.

It reads only what the shop and SAP emulators recorded (their ``/__admin`` ground truth)
and never asks the bridge how it did — so the same verdict applies to anyone's bridge.
"""

from scenarios.oracle.histories import Histories
from scenarios.oracle.invariants import INVARIANTS, InvariantResult
from scenarios.oracle.judge import Verdict, judge

__all__ = ["INVARIANTS", "Histories", "InvariantResult", "Verdict", "judge"]
