"""``/metrics`` carries the store-wide figures, parsed by prometheus_client's own parser."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from bridge.store.base import InboundDelivery
from tests.bridge.ops.conftest import OP, OpsApp, dead_order, order_payload

SERIES = {
    "bridge_jobs": "gauge",
    "bridge_backlog_jobs": "gauge",
    "bridge_dlq_size": "gauge",
    "bridge_orders_processed": "counter",
    "bridge_processed_per_minute": "gauge",
    "bridge_success_ratio": "gauge",
    "bridge_publish_lag_seconds": "gauge",
    "bridge_consume_lag_seconds": "gauge",
    "bridge_tta_seconds": "histogram",
    "bridge_webhooks": "counter",
    "bridge_sap_calls": "counter",
    "bridge_dead_letters": "counter",
}


async def _done_order(app: OpsApp, order_id: int) -> None:
    """An order SAP acknowledged and the shop was told (ledger done for both legs)."""
    store = app.store
    await store.accept_delivery(
        InboundDelivery(
            "woocommerce",
            "order.created",
            order_id,
            "2026-11-23T20:11:19",
            order_payload(order_id),
            received_at=1.0,
        )
    )
    [lease] = await store.claim_jobs("w1", 1, 60)
    for key, op, entity in (
        (f"wc:{order_id}:order", "create_order", "Orders"),
        (f"wc:{order_id}:note:order", "shop_note", "shop"),
    ):
        await store.record_intent(lease, key, order_id, op, entity)
        await store.mark_done(lease, key, 10, 20)
    await store.complete_job(lease)


async def test_metrics_has_every_series_with_live_values(ops: OpsApp) -> None:
    await _done_order(ops, 601)
    await dead_order(ops.store, 602)
    await ops.store.accept_delivery(
        InboundDelivery(
            "woocommerce", "order.created", 603, "2026-11-23T20:11:19", order_payload(603), 1.0
        )
    )  # a pending job: the backlog
    text = await (await ops.client.get("/metrics")).text()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    for name, kind in SERIES.items():
        assert name in families, name
        assert families[name].type == kind, name
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for f in families.values()
        for s in f.samples
    }
    assert samples[("bridge_jobs", (("state", "dead"),))] == 1
    assert samples[("bridge_jobs", (("state", "pending"),))] == 1
    assert samples[("bridge_backlog_jobs", ())] == 1
    assert samples[("bridge_dlq_size", ())] == 1
    assert samples[("bridge_success_ratio", ())] == 0.5
    assert samples[("bridge_consume_lag_seconds", ())] >= 0
    # the completed order was observed on both legs, once
    assert samples[("bridge_tta_seconds_count", (("leg", "sap"),))] == 1
    assert samples[("bridge_tta_seconds_count", (("leg", "shop"),))] == 1
    assert samples[("bridge_processed_per_minute", ())] == 1
    again = await (await ops.client.get("/metrics")).text()
    assert 'bridge_tta_seconds_count{leg="sap"} 1.0' in again  # not counted twice


async def test_key_figures_endpoint_for_the_dashboard(ops: OpsApp) -> None:
    await dead_order(ops.store, 604)
    figs = await (await ops.client.get("/ops/figures", headers=OP)).json()
    assert figs["dlq"] == 1 and figs["backlog"] == 0 and figs["success_ratio"] == 0.0
    assert set(figs["tta_sap"]) == {"p50", "p95", "n"}
