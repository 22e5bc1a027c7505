"""Named chaos profiles: what field reports of WooCommerce webhooks look like, by theme."""

from __future__ import annotations

from typing import Any

from fakeshop.chaos.settings import ChaosSettings

PROFILES: dict[str, dict[str, Any]] = {
    # a healthy store with synchronous delivery
    "calm": {},
    # Action Scheduler re-runs and checkout bursts
    "duplicates": {
        "copies": {1: 0.6, 2: 0.25, 3: 0.1, 4: 0.03, 5: 0.02},
        "burst_p": 0.3,
        "burst_max": 3,
    },
    # async queue runners deliver out of order
    "reorder": {
        "delay": {"dist": "uniform", "min_ms": 0, "max_ms": 300},
        "reorder_p": 0.5,
        "reorder_window_ms": 2000,
    },
    # lost deliveries on top of some latency
    "lossy": {"drop_p": 0.1, "delay": {"dist": "exponential", "mean_ms": 200}},
    # a backed-up WP-Cron: everything arrives seconds late
    "late": {"delay": {"dist": "uniform", "min_ms": 1000, "max_ms": 10000}},
    # everything at once
    "hostile": {
        "copies": {1: 0.6, 2: 0.25, 3: 0.1, 4: 0.03, 5: 0.02},
        "delay": {"dist": "exponential", "mean_ms": 150},
        "reorder_p": 0.3,
        "reorder_window_ms": 1500,
        "drop_p": 0.05,
        "tamper_p": 0.03,
        "malformed_p": 0.03,
        "burst_p": 0.2,
        "burst_max": 4,
    },
}


def profile(name: str) -> ChaosSettings:
    if name not in PROFILES:
        raise ValueError(f"unknown chaos profile {name!r}; known: {', '.join(PROFILES)}")
    return ChaosSettings.from_json(PROFILES[name])
