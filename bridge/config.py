"""Bridge configuration: one frozen object, loadable from TOML and environment variables.

Every knob a team running a shop→SAP bridge tunes in production lives here: where the store
is, how to reach the Service Layer and WooCommerce, the webhook secret, timeouts, leases,
retry policy and breaker thresholds. Defaults are safe for a laptop run.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sapchaos import defaults
from sapchaos.errors import UsageError

ROLES = ("ingress", "worker", "poller", "relay", "subscriber", "reconciler", "stock_sync")
#: the shop APIs the reconciler can read ("auto": Magento when the subscriber role runs)
SHOP_APIS = ("auto", "woocommerce", "magento")
#: the documented default roles of each mode (Magento: events in, outcome events out, and
#: the reconciler that heals what the broker lost)
DEFAULT_ROLES = {
    "woocommerce": ("ingress", "worker", "poller"),
    "magento": ("worker", "subscriber", "relay", "reconciler"),
}


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, bounded by attempts and by job age."""

    base_s: float = 0.5
    cap_s: float = 60.0
    max_attempts: int = 12
    max_age_s: float = 24 * 3600.0


@dataclass(frozen=True)
class BreakerPolicy:
    """Per-endpoint circuit breaker: open when, over the last ``window_s``, at least
    ``failure_threshold`` calls failed and either every call of the window failed or, with
    at least ``min_calls`` calls, at least ``failure_rate`` of them did, or the last
    ``max(failure_threshold, min_calls)`` calls all failed (so a total outage opens it after
    a few calls, random errors at a modest rate never do); probe after a pause."""

    failure_threshold: int = 5
    #: one probe per ``open_s`` while SAP is down (one real call: cheap for SAP), so a
    #: healed link is found within 2 s and the backlog drains at once
    open_s: float = 2.0
    half_open_max_calls: int = 1
    failure_rate: float = 0.5
    window_s: float = 10.0
    min_calls: int = 20


@dataclass(frozen=True)
class BridgeConfig:
    """All bridge settings. ``lease_s`` must exceed ``sap_total_timeout_s`` plus a margin."""

    store_dsn: str = "sqlite:///bridge.db"
    # Service Layer
    sap_base_url: str = defaults.sap_url()
    sap_company: str = defaults.SAP_COMPANY
    sap_user: str = defaults.SAP_USER
    sap_password: str = defaults.SAP_PASSWORD
    sap_connect_timeout_s: float = 5.0
    sap_total_timeout_s: float = 30.0
    sap_concurrency: int = 8
    #: SL codes (exact) or message fragments (case-insensitive) of the uniqueness refusal
    sap_duplicate_markers: tuple[str, ...] = ("-1116", "duplicate")
    # WooCommerce
    shop_base_url: str = defaults.shop_url()
    shop_consumer_key: str = defaults.SHOP_KEY
    shop_consumer_secret: str = defaults.SHOP_SECRET
    shop_timeout_s: float = 15.0
    webhook_secrets: tuple[str, ...] = (defaults.WEBHOOK_SECRET,)
    body_limit_bytes: int = 1024 * 1024
    # ingress
    host: str = "127.0.0.1"
    port: int = defaults.BRIDGE_PORT
    group_commit_ms: float = 3.0
    group_commit_max: int = 64
    # workers
    workers: int = 4
    batch_size: int = 8
    lease_s: float = 60.0
    idle_poll_s: float = 0.2
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    breaker: BreakerPolicy = field(default_factory=BreakerPolicy)
    # poller: brings SAP deliveries and invoices back to the shop
    poll_interval_s: float = 5.0
    #: secret of fakesap-style signed callbacks at ``POST /callbacks/sap`` ("" = route off)
    sap_callback_secret: str = ""
    # shop reconciler (part of the poller role): heals lost webhooks; 0 = off
    reconcile_interval_s: float = 30.0
    reconcile_lookback_s: float = 3600.0
    #: the cursor's own second is always re-read; this much before it too (commit lag)
    reconcile_overlap_s: float = 1.0
    # webhook watch (with the reconciler): disabled/paused/missing subscriptions are
    # reported and, when webhook_reactivate, re-activated; 0 = off
    webhook_watch_interval_s: float = 60.0
    webhook_reactivate: bool = True
    webhook_watch_topics: tuple[str, ...] = ("order.created", "order.updated")
    # stock sync (bridge.stock; with the poller or the stock_sync role): SAP warehouse
    # stock → shop stock every stock_sync_interval_s (0 = off)
    stock_sync_interval_s: float = 0.0
    #: warehouses that feed the web (empty = all), committed stock subtracted, buffer
    stock_warehouses: tuple[str, ...] = ()
    stock_subtract_committed: bool = True
    stock_safety_buffer: int = 0
    # feature flag: false → no SAP writes; pending orders exported for manual entry
    # (bridge.manual_export) to manual_export_path every manual_export_interval_s
    sap_delivery: bool = True
    manual_export_path: str = "pending-orders.jsonl"
    manual_export_interval_s: float = 5.0
    # scheduled ``reconcile --last N`` (with the reconciler; 0 = off): the JSON report at
    # reconcile_report_path, the table next to it (+ ".txt")
    reconcile_report_interval_s: float = 0.0
    reconcile_report_last: int = 200
    reconcile_report_path: str = "reconcile-report.json"
    #: which shop API reconciliation reads: "woocommerce", "magento" or "auto"
    shop_api: str = "auto"
    #: Magento integration bearer token (``/rest/V1``; Magento mode)
    magento_token: str = defaults.MAGENTO_TOKEN
    #: catch-up after a lost MQTT session starts this long before the gap (clock skew)
    catchup_margin_s: float = 60.0
    # health: readiness probes and the bound on one webhook request
    health_interval_s: float = 1.0
    health_timeout_s: float = 2.0
    ingress_deadline_s: float = 4.0
    # mapping
    catalog_path: str | None = None
    due_days: int = 3
    guest_card_code: str = "WEB-GUEST"
    #: the shop→SAP contract version (``bridge.contract.CONTRACTS``: "1", "1.1", "1.2")
    contract_version: str = "1.1"
    #: contract 1.1: shipping as "freight" or as a line of the item ``shipping_item_code``
    shipping_as: str = "freight"
    shipping_item_code: str = "WEB-SHIP"
    #: contract 1.1: an invalid NIF → "reject" (DLQ) or "omit" (booked without the UDF)
    national_id_policy: str = "omit"
    fee_item_code: str = "WEB-FEE"
    #: the SAP document per store: "order" (sales order) or "invoice" (an A/R invoice
    #: booked directly once the order is paid; key ``{prefix}:{id}:invoice``)
    sap_document: str = "order"
    #: the order's business partner: "catalog" (the contract's catalog match) or "sap"
    #: (looked up by ``partner_customer_udf`` / EmailAddress, created once when missing);
    #: guests: "generic" (``guest_card_code``) or "create" (a partner per email)
    partner_policy: str = "catalog"
    guest_partner: str = "generic"
    partner_customer_udf: str = "U_ShopCustomerId"
    #: the URL the shop delivers webhooks to (``sapchaos bridge subscribe``); None →
    #: ``http://{host}:{port}/webhooks/woocommerce``
    webhook_delivery_url: str | None = None
    # MQTT (roles "relay" and "subscriber", bridge.events): read by MqttSettings.from_config
    # as mqtt_<field>; the defaults are MqttSettings' own (a test keeps them equal)
    mqtt_url: str = defaults.MQTT_URL
    mqtt_events_prefix: str = "sapchaos/v1/bridge/events"
    mqtt_relay_client_id: str = ""
    mqtt_qos: int = 1
    mqtt_batch_size: int = 100
    mqtt_idle_poll_s: float = 0.1
    mqtt_publish_timeout_s: float = 5.0
    mqtt_connect_timeout_s: float = 5.0
    mqtt_keepalive_s: int = 30
    mqtt_max_inflight: int = 100
    mqtt_backoff_base_s: float = 0.2
    mqtt_backoff_cap_s: float = 5.0
    mqtt_magento_prefix: str = "shop/v1/magento/events"
    mqtt_subscriber_client_id: str = "sapchaos-bridge-magento"
    mqtt_shared_group: str = ""
    mqtt_clean_session: bool = False
    mqtt_manual_ack: bool = True
    roles: tuple[str, ...] = ("ingress", "worker", "poller")
    worker_id: str = ""
    # ops (bridge.ops): tokens from the environment or a secrets file (``*_FILE``); without
    # any, tokens are generated at start into ``ops_token_file`` (default: the state folder)
    ops_operator_token: str = ""
    ops_readonly_token: str = ""
    ops_token_file: str = ""
    # TLS on the bridge's own listener (PEM files); both or neither
    tls_cert_file: str = ""
    tls_key_file: str = ""
    #: certificate checks on calls to SAP and the shop: "auto" (verify, except toward a
    #: loopback address), "true" or "false"; ``tls_ca_file`` adds a private CA (PEM)
    tls_verify: str = "auto"
    tls_ca_file: str = ""
    #: a separate plain-HTTP listener for /livez, /readyz, /healthz and /metrics only
    #: (-1: none, they are on the main listener alone; 0: any free port)
    metrics_host: str = "127.0.0.1"
    metrics_port: int = -1

    def __post_init__(self) -> None:
        if self.lease_s <= self.sap_total_timeout_s:
            raise ValueError(
                f"lease_s ({self.lease_s}) must exceed sap_total_timeout_s "
                f"({self.sap_total_timeout_s}) plus a margin"
            )
        unknown = [r for r in self.roles if r not in ROLES]
        if unknown:
            raise ValueError(f"unknown roles {unknown}; choose from {ROLES}")
        if not self.webhook_secrets:
            raise ValueError("at least one webhook secret is required")
        if self.shop_api not in SHOP_APIS:
            raise ValueError(f"shop_api must be one of {SHOP_APIS}, got {self.shop_api!r}")
        if self.tls_verify not in ("auto", "true", "false"):
            raise ValueError(f"tls_verify must be auto, true or false, got {self.tls_verify!r}")
        from bridge.contract import CONTRACTS

        if self.contract_version not in CONTRACTS:
            raise ValueError(
                f"contract_version must be one of {', '.join(CONTRACTS)}, "
                f"got {self.contract_version!r}"
            )
        if self.shipping_as not in ("freight", "item"):
            raise ValueError(f"shipping_as must be freight or item, got {self.shipping_as!r}")
        if self.national_id_policy not in ("omit", "reject"):
            raise ValueError(
                f"national_id_policy must be omit or reject, got {self.national_id_policy!r}"
            )
        for name, allowed in (
            ("sap_document", ("order", "invoice")),
            ("partner_policy", ("catalog", "sap")),
            ("guest_partner", ("generic", "create")),
        ):
            if getattr(self, name) not in allowed:
                raise ValueError(
                    f"{name} must be one of {', '.join(allowed)}, got {getattr(self, name)!r}"
                )
        if bool(self.tls_cert_file) != bool(self.tls_key_file):
            raise ValueError("tls_cert_file and tls_key_file go together (give both or neither)")

    def __repr__(self) -> str:
        """Secrets never reach a log or a traceback through the config's repr."""
        shown = []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name in SECRET_FIELDS and value:
                value = "***" if isinstance(value, str) else ("***",) * len(value)
            elif f.name == "store_dsn":
                value = mask_dsn(value)
            shown.append(f"{f.name}={value!r}")
        return f"BridgeConfig({', '.join(shown)})"

    def shop_kind(self) -> str:
        """The shop reconciliation reads: ``shop_api``, or with "auto" Magento when the
        subscriber role (Magento's events) runs, else WooCommerce."""
        if self.shop_api != "auto":
            return self.shop_api
        return "magento" if "subscriber" in self.roles else "woocommerce"

    def replace(self, **changes: Any) -> BridgeConfig:
        return dataclasses.replace(self, **changes)

    def delivery_url(self) -> str:
        """Where the shop sends webhooks: ``webhook_delivery_url`` or the ingress itself
        (a wildcard listen address is reached as 127.0.0.1)."""
        if self.webhook_delivery_url:
            return self.webhook_delivery_url
        host = "127.0.0.1" if self.host in ("", "0.0.0.0", "::") else self.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}/webhooks/woocommerce"


#: settings that are secrets: masked in ``repr``, never printed or logged
SECRET_FIELDS = frozenset(
    {
        "sap_password",
        "shop_consumer_secret",
        "webhook_secrets",
        "sap_callback_secret",
        "magento_token",
        "ops_operator_token",
        "ops_readonly_token",
    }
)


def mask_dsn(dsn: str) -> str:
    """A DSN with its password replaced by ``***`` (for banners, logs and reprs)."""
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(dsn)
        password = parts.password
    except ValueError:
        return "***"
    if password is None:
        return dsn
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


_NESTED = {"retry": RetryPolicy, "breaker": BreakerPolicy}


def _coerce(cls: type[Any], name: str, value: Any) -> Any:
    """Turn a TOML/env value into the dataclass field's type."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    if name not in fields:
        raise ValueError(f"unknown bridge setting {name!r}")
    default = getattr(cls(), name) if name not in _NESTED else None
    if isinstance(default, tuple):
        if isinstance(value, str):
            return tuple(v.strip() for v in value.split(",") if v.strip())
        return tuple(str(v) for v in value)
    if isinstance(default, bool):
        return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes")
    if isinstance(default, int):
        return int(value)
    if isinstance(default, float):
        return float(value)
    if default is None:  # optional text settings (catalog_path, webhook_delivery_url)
        return str(value) if value else None
    return str(value) if not isinstance(value, Mapping) else value


def config_from_mapping(data: Mapping[str, Any], base: BridgeConfig | None = None) -> BridgeConfig:
    """Build a config from a flat mapping (``[bridge]`` table) with ``retry``/``breaker`` tables."""
    base = base or BridgeConfig(lease_s=60.0)
    changes: dict[str, Any] = {}
    for key, value in data.items():
        if key in _NESTED:
            sub_cls = _NESTED[key]
            current = getattr(base, key)
            sub = {k: _coerce(sub_cls, k, v) for k, v in dict(value).items()}
            changes[key] = dataclasses.replace(current, **sub)
        else:
            changes[key] = _coerce(BridgeConfig, key, value)
    return dataclasses.replace(base, **changes)


ENV_PREFIX = "SAPCHAOS_BRIDGE_"


class BridgeConfigError(UsageError, ValueError):
    """A bridge setting (file, environment) that cannot be used; the message says which."""


#: ``bridge serve`` flags that are not settings, and the other ``bridge`` subcommands:
#: their SAPCHAOS_BRIDGE_* variables (sapchaos.cli_env) belong to the CLI, not to the
#: config; any other unknown SAPCHAOS_BRIDGE_* name is still refused (a typo must not
#: pass silently). A test keeps this in step with the parser.
CLI_SERVE_FLAGS = frozenset({"config", "store", "seed", "loop", "json"})
CLI_SUBCOMMANDS = (
    "audit_",
    "dlq_",
    "events_",
    "export_pending_",
    "migrate_",
    "quarantine_",
    "reconcile_",
    "stats_",
    "status_",
    "subscribe_",
)


def _is_cli_variable(name: str) -> bool:
    return name in CLI_SERVE_FLAGS or name.startswith(CLI_SUBCOMMANDS)


def config_from_env(env: Mapping[str, str], base: BridgeConfig | None = None) -> BridgeConfig:
    """``SAPCHAOS_BRIDGE_SAP_BASE_URL=...``; nested: ``SAPCHAOS_BRIDGE_RETRY__MAX_ATTEMPTS=5``.

    Secrets file (Docker/Kubernetes secrets convention): ``SAPCHAOS_BRIDGE_SAP_PASSWORD_FILE=
    /run/secrets/sap`` reads the setting from that file (trailing newline stripped)."""
    flat: dict[str, Any] = {}
    settings = {f.name for f in dataclasses.fields(BridgeConfig)}
    for key, value in env.items():
        if not key.startswith(ENV_PREFIX) or key == defaults.ENV["bridge_url"]:
            continue  # SAPCHAOS_BRIDGE_URL is the harness's delivery URL (flag --delivery-url)
        name = key[len(ENV_PREFIX) :].lower()
        if name.endswith("_file") and name not in settings and name[:-5] in settings:
            name = name[:-5]
            try:
                value = Path(value).read_text("utf-8").rstrip("\r\n")
            except (OSError, UnicodeDecodeError) as exc:
                raise BridgeConfigError(f"{key}: cannot read the secret file: {exc}") from None
        if name.split("__", 1)[0] not in settings and _is_cli_variable(name):
            # the variable of a CLI flag (SAPCHAOS_BRIDGE_STORE for ``bridge serve
            # --store``, SAPCHAOS_BRIDGE_DLQ_LIST_LIMIT, …): the flag reads it
            continue
        if "__" in name:
            outer, inner = name.split("__", 1)
            flat.setdefault(outer, {})[inner] = value
        else:
            flat[name] = value
    return config_from_mapping(flat, base)


def load_config(
    path: str | Path | None = None, env: Mapping[str, str] | None = None
) -> BridgeConfig:
    """Defaults, then the TOML file's ``[bridge]`` table (or top level), then the environment."""
    try:
        cfg = BridgeConfig()
        if path is not None:
            p = Path(path)
            if not p.is_file():
                raise BridgeConfigError(f"config file {path}: not found or not a regular file")
            if p.stat().st_size > 16 * 1024 * 1024:
                raise BridgeConfigError(f"config file {path}: larger than 16 MiB")
            try:
                data = tomllib.loads(p.read_text("utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
                raise BridgeConfigError(f"config file {path}: {exc}") from None
            cfg = config_from_mapping(data.get("bridge", data), cfg)
        return config_from_env(os.environ if env is None else env, cfg)
    except BridgeConfigError:
        raise
    except (ValueError, TypeError) as exc:
        where = f"config file {path} or " if path is not None else ""
        raise BridgeConfigError(f"bridge settings ({where}SAPCHAOS_BRIDGE_*): {exc}") from None
