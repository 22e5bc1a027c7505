"""An embedded Toxiproxy-compatible proxy (issue 6): same HTTP API, same toxics.

``EmbeddedToxiproxy`` runs the server in-process; ``toxiproxy(url)`` yields a client for a
real Toxiproxy at ``url`` or for an embedded one; ``embedded_in_thread`` serves sync code.
"""

from scenarios.proxy.client import ToxiproxyClient, ToxiproxyError
from scenarios.proxy.server import EmbeddedToxiproxy, embedded_in_thread, toxiproxy

__all__ = [
    "EmbeddedToxiproxy",
    "ToxiproxyClient",
    "ToxiproxyError",
    "embedded_in_thread",
    "toxiproxy",
]
