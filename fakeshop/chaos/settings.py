"""The delivery engine's knobs as one plain value, readable and writable as JSON."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

#: longest delay or reorder window a knob may ask for (one day; WP-Cron backlogs are shorter)
MAX_DELAY_MS = 86_400_000
#: most deliveries one burst may produce
MAX_BURST = 100


@dataclass
class ChaosSettings:
    """All knobs; defaults are a calm, faithful WooCommerce (one copy, no delay)."""

    #: weights over the number of copies of each delivery (1–5)
    copies: dict[int, float] = field(default_factory=lambda: {1: 1.0})
    #: base delay of every copy: {"dist": "none"|"fixed"|"uniform"|"exponential", ...ms}
    delay: dict[str, Any] = field(default_factory=lambda: {"dist": "none"})
    #: share of copies held back by an extra uniform(0, window) delay, so later events overtake
    reorder_p: float = 0.0
    reorder_window_ms: float = 0.0
    #: share of copies never delivered (recorded with status null, error "dropped")
    drop_p: float = 0.0
    #: share of copies whose signature header is wrong
    tamper_p: float = 0.0
    #: share of copies whose body is cut short (signed as sent)
    malformed_p: float = 0.0
    #: chance that one ``order.updated`` save becomes a burst of 2..burst_max deliveries
    burst_p: float = 0.0
    burst_max: int = 3
    #: build the body when the copy is sent (WooCommerce's async queue) instead of at the save
    payload_at_send: bool = False

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["copies"] = {str(k): v for k, v in self.copies.items()}
        return data

    def merged(self, patch: dict[str, Any]) -> ChaosSettings:
        """A copy with the given fields replaced; raises ValueError for unknown/bad ones."""
        names = {f.name for f in fields(self)}
        unknown = sorted(set(patch) - names)
        if unknown:
            raise ValueError(f"unknown chaos knob(s): {', '.join(unknown)}")
        data = asdict(self)
        data.update(patch)
        return ChaosSettings.from_json(data)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ChaosSettings:
        try:
            copies = {int(k): float(v) for k, v in dict(data.get("copies", {1: 1.0})).items()}
            s = cls(
                copies=copies,
                delay=dict(data.get("delay", {"dist": "none"})),
                reorder_p=float(data.get("reorder_p", 0.0)),
                reorder_window_ms=float(data.get("reorder_window_ms", 0.0)),
                drop_p=float(data.get("drop_p", 0.0)),
                tamper_p=float(data.get("tamper_p", 0.0)),
                malformed_p=float(data.get("malformed_p", 0.0)),
                burst_p=float(data.get("burst_p", 0.0)),
                burst_max=int(data.get("burst_max", 3)),
                payload_at_send=bool(data.get("payload_at_send", False)),
            )
        except (TypeError, ValueError, AttributeError, OverflowError) as exc:
            raise ValueError(f"invalid chaos settings: {exc}") from exc
        s.validate()
        return s

    def validate(self) -> None:
        if not self.copies or any(k < 1 or k > 5 for k in self.copies):
            raise ValueError("copies: keys must be 1..5")
        if any(w < 0 for w in self.copies.values()) or sum(self.copies.values()) <= 0:
            raise ValueError("copies: weights must be >= 0 and not all zero")
        for name in ("reorder_p", "drop_p", "tamper_p", "malformed_p", "burst_p"):
            p = getattr(self, name)
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        if not all(math.isfinite(w) for w in self.copies.values()):
            raise ValueError("copies: weights must be finite")
        if not 0 <= self.reorder_window_ms <= MAX_DELAY_MS:
            raise ValueError(f"reorder_window_ms must be within 0..{MAX_DELAY_MS}")
        if not 2 <= self.burst_max <= MAX_BURST:
            raise ValueError(f"burst_max must be within 2..{MAX_BURST}")
        if self.delay.get("dist", "none") not in ("none", "fixed", "uniform", "exponential"):
            raise ValueError("delay.dist must be none, fixed, uniform or exponential")
        for key in ("ms", "min_ms", "max_ms", "mean_ms"):
            if key in self.delay:
                value = self.delay[key]
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise ValueError(f"delay.{key} must be a number")
                if not 0 <= value <= MAX_DELAY_MS:
                    raise ValueError(f"delay.{key} must be within 0..{MAX_DELAY_MS}")
        if self.delay.get("min_ms", 0) > self.delay.get("max_ms", self.delay.get("min_ms", 0)):
            raise ValueError("delay.min_ms cannot exceed delay.max_ms")
