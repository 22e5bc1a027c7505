"""Schemathesis (a third-party, schema-driven fuzzer) against a running fakesap and its
``/__admin/openapi.json``: no server error, every status and content type documented,
response headers as documented, and 405 (with ``Allow``) for every undeclared method.

Not asserted here (see docs/compat-service-layer.md): ``positive_data_acceptance`` and
``negative_data_rejection``, because the document cannot express OData's query grammar
or B1's business rules, so schema-valid requests are still refused with 400.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

from .live import live_fakesap
from .sl_client import LOGIN

CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,"
    "response_headers_conformance,unsupported_method"
)


def test_schemathesis_finds_nothing(tmp_path: Path) -> None:
    st = Path(sys.executable).with_name("st")
    with live_fakesap() as live:
        req = urllib.request.Request(
            f"{live.sl('v1')}/Login", data=json.dumps(LOGIN).encode(), method="POST"
        )
        with urllib.request.urlopen(req, timeout=30) as reply:
            session = json.loads(reply.read())["SessionId"]
        run = subprocess.run(
            [
                str(st),
                "run",
                f"{live.base}/__admin/openapi.json",
                "--url",
                live.base,
                "-H",
                f"Cookie: B1SESSION={session}",
                "--checks",
                CHECKS,
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
    tail = run.stdout[-3000:]
    assert run.returncode == 0, tail
    assert " passed" in tail and "failures" not in tail, tail
