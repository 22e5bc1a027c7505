"""Service Layer pressure straight at SAP (``--sap-url`` = the SL root, e.g.
http://127.0.0.1:50000/b1s/v1): a login per user, order creates, ``$filter`` lookups —
for teams sizing their SAP side.

    locust -f load/sap_pressure.py --sap-url http://127.0.0.1:50000/b1s/v1
"""

from locust import events

from load.users import SapPressure, install_hooks

__all__ = ["SapPressure"]

install_hooks(events)
