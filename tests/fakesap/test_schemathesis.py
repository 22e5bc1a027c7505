"""Schemathesis (a third-party, schema-driven fuzzer) against a running fakesap and its
``/__admin/openapi.json``, with *all* of its checks: no server error, every status, content
type and response header documented, 405 with ``Allow`` for undeclared methods, every
request the document allows accepted (``positive_data_acceptance``) and every request it
forbids refused (``negative_data_rejection``), over the examples, coverage, fuzzing and
stateful phases.

The session comes through the document's own ``B1SESSION`` security scheme (so requests
the fuzzer sends *without* it really lack it). Negative stock is allowed: whether stock
covers an issue depends on earlier documents, which no schema can express. The few
outcomes that depend on state, not on the request's shape, are declared per operation in
``_CONFIG`` below: the SL's -5006 on deleting a document and -4006/-4014 on an action the
document's status forbids, -2035 on a CardCode or SqlCode already taken, 703 on running a
stored query whose SELECT names no column, 412 on a stale ``If-Match``; and ``$batch``
(a MIME multipart body JSON Schema cannot describe) is fuzzed without the two data checks.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

from fakesap.config import FakeSapConfig

from .live import live_fakesap
from .sl_client import LOGIN

_DOC_ENTITY = (
    r"^/b1s/v1/(Orders|DeliveryNotes|Invoices|CreditNotes|IncomingPayments)\(\{DocEntry\}\)"
)
_CONFIG = f"""
[checks]
enabled = true

[auth.openapi.B1SESSION]
api_key = "@SESSION@"

# DELETE is always -5006; Cancel/Close/Reopen are -4006/-4014 when the status forbids them
[[operations]]
include-path-regex = '{_DOC_ENTITY}(/(Cancel|Close|Reopen))?$'
include-method-regex = '^(POST|DELETE)$'
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "404"]
phases.stateful.checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "404"]

# a stale If-Match is 412 (-2039)
[[operations]]
include-path-regex = '{_DOC_ENTITY}$'
include-method = "PATCH"
checks.negative_data_rejection.expected-statuses = ["400", "401", "404", "405", "412", "415"]

# -2035: the CardCode / SqlCode is taken (by an earlier generated request)
[[operations]]
include-path-regex = '^/b1s/v1/(BusinessPartners|SQLQueries)$'
include-method = "POST"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401"]
phases.stateful.checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401"]

# 703: the stored SELECT (accepted when stored) fails when it runs
[[operations]]
include-path-regex = "^/b1s/v1/SQLQueries\\\\('\\\\{{SqlCode\\\\}}'\\\\)/List$"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "404"]
phases.stateful.checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "404"]

[[operations]]
include-path-regex = 'batch'
checks.positive_data_acceptance.enabled = false
checks.negative_data_rejection.enabled = false
"""


def test_schemathesis_with_all_checks_finds_nothing(tmp_path: Path) -> None:
    st = Path(sys.executable).with_name("st")
    with live_fakesap(FakeSapConfig(allow_negative_stock=True)) as live:
        req = urllib.request.Request(
            f"{live.sl('v1')}/Login", data=json.dumps(LOGIN).encode(), method="POST"
        )
        with urllib.request.urlopen(req, timeout=30) as reply:
            session = json.loads(reply.read())["SessionId"]
        config = tmp_path / "schemathesis.toml"
        config.write_text(_CONFIG.replace("@SESSION@", session), "utf-8")
        run = subprocess.run(
            [
                str(st),
                "--config-file",
                str(config),
                "run",
                f"{live.base}/__admin/openapi.json",
                "--url",
                live.base,
                "--max-examples",
                os.environ.get("FAKESAP_FUZZ_EXAMPLES", "4"),
                "--seed",
                "7",
                "--exclude-path-regex",
                "Logout|/__admin/(reset|sessions|master-data)",
                "--no-color",
            ],
            capture_output=True,
            text=True,
            timeout=280,
            cwd=tmp_path,
        )
    tail = run.stdout[-4000:]
    assert run.returncode == 0, tail
    assert " passed" in tail and "failures" not in tail and "Failures" not in tail, tail
    for phase in ("Coverage", "Fuzzing", "Stateful"):
        assert f"✅ {phase}" in run.stdout or f"✅  {phase}" in run.stdout, (phase, tail)
