"""A webhook flood straight at a bridge's ingress (``--bridge-url``), signed like
WooCommerce, with duplicate copies — for teams testing only their receiver.

    locust -f load/webhook_flood.py --bridge-url http://127.0.0.1:8090/webhooks/woocommerce \\
        --webhook-secret "$SAPCHAOS_WEBHOOK_SECRET"
"""

from locust import events

from load.users import WebhookFlood, install_hooks

__all__ = ["WebhookFlood"]

install_hooks(events)
