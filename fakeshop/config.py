"""fakeshop settings: what a WooCommerce admin would configure (API keys, home URL, store
options, webhook timeout) plus the emulator's own knobs (seed, chaos, Magento mode, HTTPS).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sapchaos import defaults

DEFAULT_CONSUMER_KEY = defaults.SHOP_KEY
DEFAULT_CONSUMER_SECRET = defaults.SHOP_SECRET


@dataclass(frozen=True)
class ApiKey:
    """A row of ``woocommerce_api_keys``: key, secret and permissions (read/write/read_write)."""

    consumer_key: str
    consumer_secret: str
    permissions: str = "read_write"
    user_id: int = 1


@dataclass
class ShopConfig:
    """Everything fakeshop needs to start; all fields have working defaults."""

    api_keys: tuple[ApiKey, ...] = (ApiKey(DEFAULT_CONSUMER_KEY, DEFAULT_CONSUMER_SECRET),)
    #: ``home_url('/')``: sent as ``X-WC-Webhook-Source`` and used for OAuth base strings
    #: when set; when None the request's own scheme and Host are used.
    home_url: str | None = None
    #: store option ``woocommerce_prices_include_tax`` (None = take it from the catalog)
    prices_include_tax: bool | None = None
    #: hours east of UTC for the store's local dates (``date_created`` vs ``date_created_gmt``)
    utc_offset_hours: int = 1
    seed: int = 1
    catalog_path: Path | None = None
    chaos_profile: str = "calm"
    #: WordPress/WooCommerce versions shown in the webhook ``User-Agent``
    wc_version: str = "9.4.2"
    wp_version: str = "6.7.1"
    #: site salt for ``wp_hash`` (delivery ids); any string, fixed so runs can be replayed
    wp_salt: str = "fakeshop-salt"
    #: ``woocommerce_max_webhook_delivery_failures``
    max_delivery_failures: int = 5
    webhook_timeout_s: float = 60.0
    #: max concurrent webhook connections (one shared client session)
    delivery_concurrency: int = 100
    #: when True a webhook whose ping is not answered with 200 is not created (the admin
    #: screen's behaviour); the REST controller of real WooCommerce ignores the ping result
    strict_ping: bool = False
    #: trust ``X-Forwarded-Proto: https`` from a TLS-terminating proxy when deciding is_ssl()
    trust_forwarded_proto: bool = False
    https: bool = False
    cert_file: Path | None = None
    key_file: Path | None = None
    #: Magento mode: REST subset under /rest/V1 and MQTT events from the outbox
    magento: bool = False
    magento_token: str = "fakeshop-magento-integration-token"
    mqtt_url: str = "mqtt://127.0.0.1:1883"
    mqtt_topic_prefix: str = "shop/v1/magento/events"
    mqtt_client_id: str | None = None
    #: SQLite file for the Magento event outbox; None keeps it in memory
    outbox_path: Path | None = None
    max_body_bytes: int = 1024 * 1024
    extra: dict[str, str] = field(default_factory=dict)
