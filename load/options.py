"""The custom command-line options every sapchaos locustfile shares.

Locust sends custom options from the master to its workers with each spawn message, so a
worker started with nothing but ``--worker --master-host H`` learns the SAP URL, the run id
and the bounds from the master. Every option also reads a ``SAPCHAOS_*`` environment
variable (the names of ``sapchaos.defaults.ENV`` where one exists), so plain
``locust -f load/locustfile.py --host …`` works after ``source`` of ``sapchaos up``'s env file.
"""

from __future__ import annotations

import argparse
import os
import uuid
from dataclasses import dataclass
from typing import Any

from sapchaos import defaults

#: traffic kind → locustfile (in this package) whose user class makes it
TRAFFIC_FILES = {"shop": "locustfile.py", "webhooks": "webhook_flood.py", "sap": "sap_pressure.py"}

#: option name → (environment variable, default, help)
OPTIONS: dict[str, tuple[str, str, str]] = {
    "sap_url": (
        "SAPCHAOS_LOAD_SAP_URL",
        defaults.sap_url(),
        "Service Layer root read DIRECTLY (not through the proxy) to see when an order reaches SAP",
    ),
    "sap_company": (defaults.ENV["sap_company"], defaults.SAP_COMPANY, "Service Layer CompanyDB"),
    "sap_user": (defaults.ENV["sap_user"], defaults.SAP_USER, "Service Layer user"),
    "sap_password": (defaults.ENV["sap_password"], defaults.SAP_PASSWORD, "Service Layer password"),
    "card_code": (
        defaults.ENV["card_code"],
        defaults.SAP_CARD_CODE,
        "business partner for SL orders",
    ),
    "shop_key": (defaults.ENV["shop_key"], defaults.SHOP_KEY, "WooCommerce REST consumer key"),
    "shop_secret": (
        defaults.ENV["shop_secret"],
        defaults.SHOP_SECRET,
        "WooCommerce REST consumer secret",
    ),
    "bridge_url": (
        "SAPCHAOS_LOAD_BRIDGE_URL",
        defaults.bridge_webhook_url(),
        "the bridge's webhook ingress URL (webhook flood users post here)",
    ),
    "webhook_secret": (
        defaults.ENV["webhook_secret"],
        defaults.WEBHOOK_SECRET,
        "secret the flood's webhooks are signed with",
    ),
    "proxy_url": (
        "SAPCHAOS_PROXY_URL",
        f"http://{defaults.HOST}:{defaults.PROXY_API_PORT}",
        "Toxiproxy API (partition shapes cut links through it)",
    ),
    "run_id": (
        "SAPCHAOS_LOAD_RUN_ID",
        "",
        "tag written on every order (meta _sapchaos_load_run); default: random",
    ),
    "shape": ("SAPCHAOS_LOAD_SHAPE", "steady", "load shape when load/shapes.py is loaded"),
    "tta_timeout": (
        "SAPCHAOS_LOAD_TTA_TIMEOUT",
        "60",
        "seconds after which an unacknowledged order counts as failed",
    ),
    "tta_poll": ("SAPCHAOS_LOAD_TTA_POLL", "0.1", "seconds between acknowledgement polls"),
    "ack_note_regex": (
        "SAPCHAOS_LOAD_ACK_REGEX",
        r"SAP sales order (\d+) created",
        "order-note regex that means 'acknowledged'",
    ),
    "sap_key_field": (
        "SAPCHAOS_LOAD_SAP_KEY_FIELD",
        "U_IdemKey",
        "field of the SAP order that names the shop order",
    ),
    "sap_key_template": (
        "SAPCHAOS_LOAD_SAP_KEY",
        "wc:{id}:order",
        "value of that field for shop order {id}",
    ),
    "seed": ("SAPCHAOS_LOAD_SEED", "42", "seed of the order mix (each user derives its own)"),
    "cut_at": (
        "SAPCHAOS_LOAD_CUT_AT",
        "0.3",
        "partition shapes: cut at this fraction of --run-time",
    ),
    "heal_at": (
        "SAPCHAOS_LOAD_HEAL_AT",
        "0.6",
        "partition shapes: heal at this fraction of --run-time",
    ),
    "drain_max": (
        "SAPCHAOS_LOAD_DRAIN_MAX",
        "",
        "seconds the shapes wait for acknowledgements after the load (default: --tta-timeout)",
    ),
}


def add_arguments(parser: Any) -> None:
    """Register the options on Locust's parser (once, even when several locustfiles load)."""
    group = parser.add_argument_group("sapchaos")
    for name, (env, default, help_) in OPTIONS.items():
        flag = "--" + name.replace("_", "-")
        try:
            group.add_argument(
                flag, default=os.environ.get(env, default), help=f"{help_} [env {env}]"
            )
        except argparse.ArgumentError:
            return  # another sapchaos locustfile of this run registered them already


@dataclass(frozen=True)
class LoadOptions:
    """The options, typed. Built from Locust's ``parsed_options`` (or defaults)."""

    sap_url: str
    sap_company: str
    sap_user: str
    sap_password: str
    card_code: str
    shop_key: str
    shop_secret: str
    bridge_url: str
    webhook_secret: str
    proxy_url: str
    run_id: str
    shape: str
    tta_timeout: float
    tta_poll: float
    ack_note_regex: str
    sap_key_field: str
    sap_key_template: str
    seed: int
    cut_at: float
    heal_at: float
    drain_max: float

    @classmethod
    def from_parsed(cls, parsed: Any) -> LoadOptions:
        raw: dict[str, str] = {}
        for name, (env, default, _) in OPTIONS.items():
            value = getattr(parsed, name, None) if parsed is not None else None
            raw[name] = str(os.environ.get(env, default) if value is None else value)
        tta_timeout = float(raw["tta_timeout"])
        return cls(
            sap_url=str(raw["sap_url"]).rstrip("/"),
            sap_company=str(raw["sap_company"]),
            sap_user=str(raw["sap_user"]),
            sap_password=str(raw["sap_password"]),
            card_code=str(raw["card_code"]),
            shop_key=str(raw["shop_key"]),
            shop_secret=str(raw["shop_secret"]),
            bridge_url=str(raw["bridge_url"]),
            webhook_secret=str(raw["webhook_secret"]),
            proxy_url=str(raw["proxy_url"]).rstrip("/"),
            run_id=str(raw["run_id"]) or uuid.uuid4().hex[:12],
            shape=str(raw["shape"]),
            tta_timeout=tta_timeout,
            tta_poll=float(raw["tta_poll"]),
            ack_note_regex=str(raw["ack_note_regex"]),
            sap_key_field=str(raw["sap_key_field"]),
            sap_key_template=str(raw["sap_key_template"]),
            seed=int(raw["seed"]),
            cut_at=float(raw["cut_at"]),
            heal_at=float(raw["heal_at"]),
            drain_max=float(raw["drain_max"]) if str(raw["drain_max"]).strip() else tta_timeout,
        )
