"""One source of defaults for every component, so that ``fakesap serve``, ``fakeshop serve``,
``bridge serve``, ``bridge subscribe``, ``proxy serve`` and ``up`` started with no flags
work together.

The values imitate what the real systems ship with where they have a convention: the
Service Layer listens on 50000 (HTTP) behind its load balancer, Toxiproxy's API on 8474,
Mosquitto on 1883. A shop is usually reached on 8080 in local WooCommerce setups.

Every value can be changed per command with a flag, and each flag has an environment
variable (``SAPCHAOS_<NAME>``, listed in ``ENV``) shown in ``--help``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

HOST = "127.0.0.1"

#: fakesap (Service Layer): port, company database and the user the bridge logs in with
SAP_PORT = 50000
SAP_COMPANY = "SBODEMOES"
SAP_USER = "manager"
SAP_PASSWORD = "manager"
#: a business partner that exists in fakesap's packaged master data (the web guest account)
SAP_CARD_CODE = "WEB-GUEST"

#: fakeshop (WooCommerce): port and the REST API key pair it accepts by default
SHOP_PORT = 8080
SHOP_KEY = "ck_fakeshop0000000000000000000000000000000001"
SHOP_SECRET = "cs_fakeshop0000000000000000000000000000000001"

#: fakeshop's Magento mode: the integration bearer token of its ``/rest/V1`` API
MAGENTO_TOKEN = "fakeshop-magento-integration-token"

#: the bridge's ingress and the webhook secret shared by shop and bridge
BRIDGE_PORT = 8090
WEBHOOK_SECRET = "sapchaos-secret"
WEBHOOK_PATH = "/webhooks/woocommerce"

#: the Toxiproxy-compatible proxy's API port (Toxiproxy's own default)
PROXY_API_PORT = 8474

#: the MQTT broker (Mosquitto's default listener)
MQTT_URL = "mqtt://127.0.0.1:1883"


def sap_url(host: str = HOST, port: int = SAP_PORT) -> str:
    """The Service Layer's service root, as a client configures it."""
    return f"http://{host}:{port}/b1s/v1"


def shop_url(host: str = HOST, port: int = SHOP_PORT) -> str:
    """The shop's site URL (the WooCommerce REST API lives under ``/wp-json/wc/v3``)."""
    return f"http://{host}:{port}"


def bridge_webhook_url(host: str = HOST, port: int = BRIDGE_PORT) -> str:
    """Where the shop delivers webhooks to the reference bridge."""
    return f"http://{host}:{port}{WEBHOOK_PATH}"


#: the environment variable that overrides each default (read by the CLIs' flags)
ENV: dict[str, str] = {
    "sap_url": "SAPCHAOS_SAP_URL",
    "sap_company": "SAPCHAOS_SAP_COMPANY",
    "sap_user": "SAPCHAOS_SAP_USER",
    "sap_password": "SAPCHAOS_SAP_PASSWORD",
    "card_code": "SAPCHAOS_CARD_CODE",
    "shop_url": "SAPCHAOS_SHOP_URL",
    "shop_key": "SAPCHAOS_SHOP_KEY",
    "shop_secret": "SAPCHAOS_SHOP_SECRET",
    "webhook_secret": "SAPCHAOS_WEBHOOK_SECRET",
    "bridge_port": "SAPCHAOS_BRIDGE_PORT",
    "bridge_url": "SAPCHAOS_BRIDGE_URL",
    "mqtt_url": "SAPCHAOS_MQTT_URL",
    "state_dir": "SAPCHAOS_STATE_DIR",
    "store_dsn": "SAPCHAOS_STORE_DSN",
}


def env_default(name: str, default: str, environ: Mapping[str, str] | None = None) -> str:
    """The value of ``ENV[name]`` in the environment, else ``default``."""
    env = os.environ if environ is None else environ
    return env.get(ENV[name], default)
