"""Locust load tests for a shop→SAP integration and the benchmark scripts.

The locustfiles (``locustfile.py`` shop customers, ``webhook_flood.py``, ``sap_pressure.py``)
and the load shapes (``shapes.py``) run inside Locust's gevent processes: everything they
import from this package uses gevent-cooperative clients only (geventhttpclient through
Locust's FastHttpUser). ``sapchaos load`` (``scenarios/loadtest.py``) starts Locust as a
subprocess and never imports gevent itself.
"""
