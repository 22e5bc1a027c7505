"""Hand-written report.json dicts (format 1, with the runner's added fields) for report tests."""

from __future__ import annotations

from typing import Any


def passing_report(seed: int = 1) -> dict[str, Any]:
    return {
        "format_version": 1,
        "scenario": "calm",
        "seed": seed,
        "verdict": "pass",
        "invariants": {
            "no_lost_order": {"ok": True, "violations": []},
            "no_duplicate_order": {"ok": True, "violations": []},
            "confirmation_note": {"ok": True, "violations": []},
        },
        "expectations": {"tta_p95_ms": {"ok": True, "expected": "<= 5000", "found": 812.0}},
        "counts": {"orders": 3, "sap_orders": 3, "lost": 0, "duplicates": 0, "acknowledged": 3},
        "tta_ms": {"p50": 400.0, "p95": 812.0, "p99": 812.0, "max": 812.0},
        "faults": [],
        "started_at": "2026-12-05T20:00:00.000Z",
        "duration_s": 4.5,
        "replay_command": f"sapchaos scenario run calm --seed {seed}",
        "contract": {"order_key": {"field": "U_IdemKey", "pattern": "wc:{id}:order"}},
        "bridge_cmd": None,
        "samples": [
            {"t_s": t, "orders": min(3, t + 1), "in_sap": min(3, t), "acknowledged": min(3, t)}
            for t in range(5)
        ],
        "fault_windows": [],
        "tta_series": [
            {"t_s": 0.5, "tta_ms": 400.0, "order_id": 1},
            {"t_s": 1.4, "tta_ms": 380.0, "order_id": 2},
            {"t_s": 2.9, "tta_ms": 812.0, "order_id": 3},
        ],
    }


def failing_report(seed: int = 7) -> dict[str, Any]:
    """sap-slow with a bridge that lost orders 12 and 15 and duplicated order 40."""
    samples = []
    for t in range(0, 30):
        orders = min(50, 2 * t)
        in_sap = max(0, min(48, 2 * t - (10 if 8 <= t <= 18 else 2)))
        samples.append({"t_s": t, "orders": orders, "in_sap": in_sap, "acknowledged": in_sap})
    return {
        "format_version": 1,
        "scenario": "sap-slow",
        "seed": seed,
        "verdict": "fail",
        "invariants": {
            "no_lost_order": {
                "ok": False,
                "violations": [
                    {"order_id": 12, "idem_key": "wc:12:order", "found": 0},
                    {"order_id": 15, "idem_key": "wc:15:order", "found": 0},
                ],
            },
            "no_duplicate_order": {
                "ok": False,
                "violations": [
                    {"idem_key": "wc:40:order", "found": 2, "doc_entries": [41, 44]},
                ],
            },
            "confirmation_note": {"ok": True, "violations": []},
        },
        "expectations": {
            "tta_p95_ms": {"ok": False, "expected": "<= 5000", "found": 9100.0},
            "drain_s": {"ok": True, "expected": "<= 30", "found": 11.0},
        },
        "counts": {"orders": 50, "sap_orders": 49, "lost": 2, "duplicates": 1, "acknowledged": 48},
        "tta_ms": {"p50": 900.0, "p95": 9100.0, "p99": 9800.0, "max": 9800.0},
        "faults": [{"kind": "sap_fault", "id": "slow", "fired": 40}],
        "started_at": "2026-12-05T20:10:00.000Z",
        "duration_s": 31.0,
        "replay_command": (
            "sapchaos scenario run sap-slow --seed 7 --bridge-cmd 'python bridge.py --port {bridge_port}'"
        ),
        "contract": {"ack": {"note_regex": "SAP sales order (\\d+) created"}},
        "bridge_cmd": "python bridge.py --port {bridge_port}",
        "samples": samples,
        "fault_windows": [{"name": "sap slow replies", "start_s": 8.0, "end_s": 18.0}],
        "tta_series": [
            {"t_s": t / 2, "tta_ms": 500.0 + (8000.0 if 16 <= t <= 36 else 0.0), "order_id": t}
            for t in range(1, 50)
            if t not in (12, 15)
        ],
        "order_histories": {
            "12": [
                {"at": "2026-12-05T20:10:06.000Z", "source": "shop", "event": "created"},
                {"at": "2026-12-05T20:10:06.100Z", "source": "webhook", "event": "delivered 200"},
            ]
        },
    }
