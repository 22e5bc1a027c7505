"""A document lists its user-defined fields in one order whatever the process's hash seed:
two fakesap runs with the same requests answer byte-for-byte the same JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys

SCRIPT = """
import json
from fakesap.backend import FakeSap
from fakesap.config import FakeSapConfig
udfs = {"ORDR": ("U_Zeta", "U_Alpha", "U_Mid", "U_Beta", "U_IdemKey"),
        "RDR1": ("U_LineZ", "U_LineA", "U_LineM")}
sap = FakeSap(FakeSapConfig(udfs=udfs))
body = {"CardCode": "C10011", "DocDueDate": "2026-11-30", "U_Mid": "m",
        "DocumentLines": [{"ItemCode": "TSH-RED-M", "Quantity": 1, "WarehouseCode": "01",
                           "U_LineM": "x"}]}
doc = sap.create_document_now("Orders", body)
print(json.dumps([[k for k in doc if k.startswith("U_")],
                  [k for k in doc["DocumentLines"][0] if k.startswith("U_")]]))
"""


def _keys(seed: str) -> list[list[str]]:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=True
    )
    return list(json.loads(out.stdout.strip().splitlines()[-1]))


def test_udf_order_does_not_depend_on_the_hash_seed() -> None:
    runs = [_keys(seed) for seed in ("1", "2", "3", "4")]
    assert all(r == runs[0] for r in runs), runs
    header, line = runs[0]
    # the ones the body set come where it set them; the rest in name order
    assert header[0] == "U_Mid" and header[1:] == sorted(header[1:])
    assert {"U_Zeta", "U_Alpha", "U_Beta", "U_IdemKey"} <= set(header)
    assert line == ["U_LineA", "U_LineM", "U_LineZ"]
