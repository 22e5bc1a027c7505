"""Golden cases: shop orders (from fakeshop's generator, fixed seeds) and the documents
each contract version writes for them. ``SAPCHAOS_UPDATE_GOLDEN=1 pytest
tests/bridge/contract/test_golden.py`` rewrites the files after an intended change (the
diff is the review)."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fakeshop.generator.order import OrderGenerator
from fakeshop.generator.settings import GeneratorSettings
from sapchaos.catalog import load_catalog

GOLDEN = Path(__file__).parent / "golden"
NOW = datetime(2026, 11, 23, 20, 11, 19, tzinfo=UTC)


def _generated(
    seed: int, want: Callable[[dict[str, Any]], bool], **settings: Any
) -> dict[str, Any]:
    """The first order of ``seed``'s stream that has what the case is about."""
    gen = OrderGenerator(load_catalog(), random.Random(seed), GeneratorSettings(**settings))
    for i in range(500):
        order = gen.new_order(5000 + i, NOW)
        if want(order):
            return order
    raise AssertionError("no generated order fits the case")


def _nif(order: dict[str, Any]) -> str | None:
    for m in order.get("meta_data", []):
        if m.get("key") == "_billing_nif":
            return str(m.get("value"))
    return None


def cases() -> dict[str, dict[str, Any]]:
    from sapchaos.nationalid import NationalIdError, validate_national_id

    def valid_nif(o: dict[str, Any]) -> bool:
        nif = _nif(o)
        try:
            return nif is not None and bool(validate_national_id(nif))
        except NationalIdError:
            return False

    def invalid_nif(o: dict[str, Any]) -> bool:
        return _nif(o) is not None and not valid_nif(o)

    return {
        "net-prices-coupon": _generated(
            1, lambda o: bool(o["coupon_lines"]) and valid_nif(o), prices_include_tax=False
        ),
        "gross-prices-fee": _generated(
            2,
            lambda o: bool(o["fee_lines"]) and valid_nif(o),
            prices_include_tax=True,
            fee_share=0.6,
        ),
        "reduced-rate-shipping": _generated(
            3, valid_nif, prices_include_tax=False, shipping_tax_class="reduced-rate"
        ),
        "invalid-nif": _generated(4, invalid_nif, invalid_tax_id_share=0.9),
    }
