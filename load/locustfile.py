"""Shop customers placing orders through WooCommerce's REST API; time-to-acknowledge
(``TTA``) and time-to-SAP (``TO_SAP``) appear as Locust request rows.

    sapchaos up --env-file stack.env          # in another terminal
    set -a; . ./stack.env; set +a
    locust -f load/locustfile.py --host "$SAPCHAOS_SHOP_ADMIN_URL" \\
        --sap-url "$SAPCHAOS_SAP_ADMIN_URL/b1s/v1"

Add ``,load/shapes.py`` to ``-f`` (and ``--shape ramp|steady|spike|partition|partition-ingress``)
for a load shape with a drain phase; ``sapchaos load`` does all of this for you.
"""

from locust import events

from load.users import ShopCustomer, install_hooks

__all__ = ["ShopCustomer"]

install_hooks(events)
