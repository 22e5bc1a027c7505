"""The receiver-only and SAP-side user classes against a running stack: the webhook flood's
signatures are accepted by the reference bridge's ingress (a bad one would be a 401 and a
failure), its duplicate copies never become a second SAP order, and the Service Layer users
log in, create orders and run their ``$filter`` lookups without a failure."""

from __future__ import annotations

import json
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from scenarios.loadtest import Stack, targets_from_env
from tests.load.helpers import read_csv, rows_of_type, run_load


@pytest.fixture
def stack_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    stack = Stack(tmp_path, seed=11)
    try:
        yield stack.start()
    finally:
        stack.stop()


def test_webhook_flood_and_sap_pressure(stack_env: dict[str, str], tmp_path: Path) -> None:
    t = targets_from_env(stack_env)
    proc = run_load(
        ["--traffic", "webhooks,sap", "--users", "4", "--spawn-rate", "4", "--run-time", "8s",
         "--csv", "fs", "--shop-url", t.shop_url, "--sap-url", t.sap_url,
         "--bridge-url", t.bridge_url, "--proxy-url", t.proxy_url,
         "--webhook-secret", t.webhook_secret],
        tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    rows = read_csv(tmp_path / "fs_stats.csv")
    post = rows_of_type(rows, "POST")
    get = rows_of_type(rows, "GET")
    for name in ("webhook", "webhook (duplicate)", "Login", "Orders create"):
        assert int(post[name]["Request Count"]) > 0, name
        assert post[name]["Failure Count"] == "0", name
    assert int(get["Orders $filter by customer"]["Request Count"]) > 0
    assert not rows_of_type(rows, "TTA")  # no shop orders, nothing to acknowledge

    with urllib.request.urlopen(
        f"{t.sap_admin}/__admin/documents?entity_set=Orders", timeout=30
    ) as r:
        docs = json.loads(r.read())["documents"]
    keys = Counter(str((d.get("document") or {}).get("U_IdemKey")) for d in docs)
    flood = {
        k: n
        for k, n in keys.items()
        if k.startswith("wc:") and int(k.split(":")[1]) >= 3_000_000_000
    }
    assert flood, "the bridge created no SAP order from the flood"
    assert max(flood.values()) == 1, {k: n for k, n in flood.items() if n > 1}
    assert any(k.startswith("lt:") for k in keys)  # the SL users' own orders
