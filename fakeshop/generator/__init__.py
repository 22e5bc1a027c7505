"""Seeded, realistic WooCommerce orders over the catalog shared with fakesap.

``OrderGenerator(catalog, rng, settings).new_order(order_id, now)`` returns the REST v3
order resource a checkout creates; totals follow WooCommerce's rounding (see
:mod:`fakeshop.taxes`), so they are internally consistent.
"""

from fakeshop.generator.coupons import Coupon
from fakeshop.generator.nif import is_valid_cif, is_valid_dni, is_valid_nie, is_valid_nif
from fakeshop.generator.order import OrderGenerator
from fakeshop.generator.settings import GeneratorSettings

__all__ = [
    "Coupon",
    "GeneratorSettings",
    "OrderGenerator",
    "is_valid_cif",
    "is_valid_dni",
    "is_valid_nie",
    "is_valid_nif",
]
