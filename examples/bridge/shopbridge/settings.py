"""Configuration from the environment (the same SAPCHAOS_* names the harness exports)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


def _need(env: Mapping[str, str], name: str) -> str:
    value = env.get(name)
    if not value:
        raise SystemExit(f"shopbridge: environment variable {name} is not set")
    return value


@dataclass(frozen=True)
class Settings:
    port: int
    sap_url: str
    sap_company: str
    sap_user: str
    sap_password: str
    shop_url: str
    shop_key: str
    shop_secret: str
    webhook_secret: str
    card_code: str
    state_dir: Path
    #: look the idempotency key up in SAP before creating (turning it off shows why it matters)
    lookup_before_create: bool = True
    #: WooCommerce tax class → SAP VAT group (our company's tax setup)
    vat_groups: dict[str, str] = field(
        default_factory=lambda: {
            "": "R3",
            "reduced-rate": "R2",
            "super-reduced-rate": "R1",
            "zero-rate": "EXE",
        }
    )
    zero_vat_group: str = "EXE"
    #: SAP freight code for shipping and fees
    freight_code: int = 1
    warehouse: str = "01"
    due_days: int = 3

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        e = os.environ if env is None else env
        return cls(
            port=int(_need(e, "SAPCHAOS_BRIDGE_PORT")),
            sap_url=_need(e, "SAPCHAOS_SAP_URL").rstrip("/"),
            sap_company=_need(e, "SAPCHAOS_SAP_COMPANY"),
            sap_user=_need(e, "SAPCHAOS_SAP_USER"),
            sap_password=_need(e, "SAPCHAOS_SAP_PASSWORD"),
            shop_url=_need(e, "SAPCHAOS_SHOP_URL").rstrip("/"),
            shop_key=_need(e, "SAPCHAOS_SHOP_KEY"),
            shop_secret=_need(e, "SAPCHAOS_SHOP_SECRET"),
            webhook_secret=_need(e, "SAPCHAOS_WEBHOOK_SECRET"),
            card_code=_need(e, "SAPCHAOS_CARD_CODE"),
            state_dir=Path(_need(e, "SAPCHAOS_STATE_DIR")),
            lookup_before_create=e.get("SHOPBRIDGE_LOOKUP_BEFORE_CREATE", "1") != "0",
        )
