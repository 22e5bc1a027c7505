"""Pure parts of the load tests: run-time parsing, shapes' timelines, the order mix, the
run's scope for the oracle, the partition phase watch. Nothing here imports Locust (it
would monkey-patch the test process for gevent)."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Any

import pytest

from load.options import LoadOptions
from load.timeline import SHAPES
from load.woo import INTENTS, RUN_META_KEY, Product, choose_intent, follow_up, order_body
from scenarios.loadtest import UsageError, parse_run_time
from scenarios.loadtest_oracle import RunScope, run_of

PRODUCTS = [
    Product(101, "TSH-RED-M", __import__("decimal").Decimal("19.99"), ""),
    Product(104, "BOOK-ES-01", __import__("decimal").Decimal("22.40"), "super-reduced-rate"),
    Product(105, "FOOD-OLIVE-1L", __import__("decimal").Decimal("11.95"), "reduced-rate"),
    Product(107, "GIFT-CARD-25", __import__("decimal").Decimal("25.00"), "zero-rate"),
]


@pytest.mark.parametrize(
    ("raw", "seconds"), [("90", 90), ("30s", 30), ("2m", 120), ("1h30m", 5400), ("1m5s", 65)]
)
def test_run_time_in_locust_format(raw: str, seconds: int) -> None:
    assert parse_run_time(raw) == seconds


@pytest.mark.parametrize("raw", ["", "s", "5x", "-3", "0", "1.5m"])
def test_bad_run_time(raw: str) -> None:
    with pytest.raises(UsageError):
        parse_run_time(raw)


def test_shapes_timelines() -> None:
    assert SHAPES["steady"](20, 5, 100, 50) == (20, 5)
    ramp = [SHAPES["ramp"](20, 5, 100, t)[0] for t in range(0, 100, 5)]
    assert ramp[0] == 1 and ramp == sorted(ramp) and max(ramp) == 20
    assert SHAPES["spike"](20, 5, 100, 10)[0] == 5
    assert SHAPES["spike"](20, 5, 100, 50) == (20, 20.0)
    assert SHAPES["spike"](20, 5, 100, 70)[0] == 5


def test_order_mix_is_seeded_realistic_and_tagged() -> None:
    rng_a, rng_b = random.Random(7), random.Random(7)
    bodies = [order_body(rng_a, PRODUCTS, choose_intent(rng_a), "run1") for _ in range(300)]
    again = [order_body(rng_b, PRODUCTS, choose_intent(rng_b), "run1") for _ in range(300)]
    assert bodies == again
    classes = {
        p.tax_class
        for b in bodies
        for li in b["line_items"]
        for p in PRODUCTS
        if p.id == li["product_id"]
    }
    assert classes == {"", "super-reduced-rate", "reduced-rate", "zero-rate"}
    paid = [b["set_paid"] for b in bodies]
    assert 0.7 < sum(paid) / len(paid) < 0.95  # bank transfers stay unpaid
    for b in bodies:
        assert run_of(b) == "run1"
        assert re.fullmatch(r"[a-z]+\.[a-z]+\d\d@example\.com", b["billing"]["email"])
        assert all(li["quantity"] >= 1 for li in b["line_items"])
        assert b["shipping_lines"][0]["method_id"] in {"flat_rate", "free_shipping", "local_pickup"}
    intents = {m["value"] for b in bodies for m in b["meta_data"] if m["key"] == "_sapchaos_intent"}
    assert intents == set(INTENTS)
    assert follow_up("cancelled") == "cancel" and follow_up("refunded") == "refund"
    assert follow_up("paid") is None


def test_no_products_is_an_error() -> None:
    with pytest.raises(ValueError, match="no purchasable products"):
        order_body(random.Random(1), [], "paid", "r")


def _order(oid: int, run: str | None) -> dict[str, Any]:
    meta = [{"key": RUN_META_KEY, "value": run}] if run else []
    return {
        "id": oid,
        "created_at": "2026-01-01T00:00:00.000Z",
        "order": {"id": oid, "meta_data": meta},
    }


def _doc(key: str, entity: str = "Orders") -> dict[str, Any]:
    return {"entity_set": entity, "DocEntry": 1, "DocNum": 1, "document": {"U_IdemKey": key}}


def test_run_scope_keeps_only_the_runs_orders_and_their_documents() -> None:
    scope = RunScope("mine")
    h = scope.restrict(
        [_order(5, "mine"), _order(55, "other"), _order(6, None)],
        [{"kind": "note", "order_id": 5}, {"kind": "note", "order_id": 55}],
        [
            _doc("wc:5:order"),
            _doc("wc:5:refund:9", "CreditNotes"),
            _doc("wc:55:order"),
            _doc("lt:x:1"),
        ],
        [{"order_id": 5}, {"order_id": 6}, {"order_id": None}],
    )
    assert [o["id"] for o in h.shop_orders] == [5]
    assert [d["document"]["U_IdemKey"] for d in h.sap_documents] == ["wc:5:order", "wc:5:refund:9"]
    assert h.shop_received == [{"kind": "note", "order_id": 5}]
    assert h.deliveries == [{"order_id": 5}]


def test_options_defaults_and_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAPCHAOS_LOAD_TTA_TIMEOUT", "12")
    opts = LoadOptions.from_parsed(None)
    assert opts.tta_timeout == 12 and opts.drain_max == 12
    assert opts.sap_key_template.format(id=3) == "wc:3:order"


@dataclass
class _Reply:
    status: int
    enabled: bool

    def json(self) -> dict[str, Any]:
        return {"enabled": self.enabled}


@dataclass
class _Proxy:
    """Stands in for the Toxiproxy API: answers with the link's current flag."""

    enabled: bool = True

    def request(self, method: str, path: str, body: Any = None) -> _Reply:
        assert (method, path) == ("GET", "/proxies/bridge_to_sap")
        return _Reply(200, self.enabled)


def test_link_watch_names_the_phases() -> None:
    from load.tta import LinkWatch

    proxy = _Proxy()
    watch = LinkWatch(proxy, "bridge_to_sap")  # type: ignore[arg-type]
    watch.poll(1.0)
    assert watch.name() == "order [before cut]"
    proxy.enabled = False
    watch.poll(2.0)
    assert watch.name() == "order [during cut]"
    watch.poll(2.1)  # polled again too soon: no request, same phase
    proxy.enabled = True
    watch.poll(3.0)
    assert watch.name() == "order [after heal]"
    assert LinkWatch(None, None).name() == "order"


@pytest.mark.parametrize(
    ("template", "key", "expected"),
    [
        ("wc:{id}:order", "wc:5:order", 5),
        ("wc:{id}:order", "wc:5:refund:9", 5),
        ("wc:{id}:order", "wc:55:invoice", 55),
        ("wc:{id}:order", "wc:5x:order", None),
        ("wc:{id}:order", "mg:5:order", None),
        ("WEB-{id}", "WEB-42", 42),
        ("WEB-{id}", "WEB-42-1", None),
    ],
)
def test_scope_reads_the_order_out_of_a_key(template: str, key: str, expected: int | None) -> None:
    assert RunScope("r", key_template=template).order_of(key) == expected


def test_the_cli_never_imports_gevent_or_locust() -> None:
    """``sapchaos load`` runs Locust in a subprocess: its own process stays gevent-free."""
    import subprocess
    import sys

    code = (
        "import sys; from sapchaos.cli import build_parser; build_parser(); "
        "import scenarios.loadtest, scenarios.loadtest_oracle, load.options, load.timeline, load.woo; "
        "bad = [m for m in ('gevent', 'locust', 'geventhttpclient') if m in sys.modules]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
