"""Bridge events on MQTT: the outbox relay (bridge → bus) and the Magento-mode subscriber
(shop bus → bridge inbox).

Both imitate how integration teams wire a transactional outbox/inbox to a broker: the
relay marks an event published only after the broker's PUBACK, the subscriber acknowledges
a shop event only after the store committed it. Entry points for the runtime:
``run_relay(store, settings, stop)`` and ``run_subscriber(store, settings, stop, catalog)``.
"""

from __future__ import annotations

from bridge.events.relay import OutboxRelay, run_relay
from bridge.events.settings import MqttSettings
from bridge.events.subscriber import MagentoSubscriber, run_subscriber

__all__ = [
    "MagentoSubscriber",
    "MqttSettings",
    "OutboxRelay",
    "run_relay",
    "run_subscriber",
]
