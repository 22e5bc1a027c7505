"""The WooCommerce REST API v3 wire format under ``/wp-json/wc/v3``."""
