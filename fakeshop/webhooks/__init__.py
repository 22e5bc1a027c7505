"""Webhook delivery the WooCommerce way: payload, signature, delivery id, headers, ping."""
