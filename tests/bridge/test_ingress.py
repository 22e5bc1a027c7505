"""Ingress: signature, ping, limits, quarantine, dedup by content, group commit (real SQLite)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from bridge.store import Store

from .payloads import order_payload, signed


async def test_good_signature_commits_inbox_snapshot_and_job(
    ingress_client: TestClient, sqlite_store: Store
) -> None:
    body, headers = signed(order_payload(7))
    resp = await ingress_client.post("/webhooks/woocommerce", data=body, headers=headers)
    assert resp.status == 200
    data = await resp.json()
    assert data["status"] == "accepted" and data["order_id"] == 7
    snap = await sqlite_store.get_snapshot(7)
    assert snap is not None and snap.payload["id"] == 7
    job = await sqlite_store.get_job(7)
    assert job is not None and job.status == "pending"
    counts = await sqlite_store.counts()
    assert counts["inbox"] == 1


async def test_rotated_secret_is_accepted(ingress_client: TestClient) -> None:
    body, headers = signed(order_payload(8), secret="older-secret")
    resp = await ingress_client.post("/webhooks/woocommerce", data=body, headers=headers)
    assert resp.status == 200


async def test_bad_missing_wrong_signature_401_and_nothing_stored(
    ingress_client: TestClient, sqlite_store: Store
) -> None:
    body, headers = signed(order_payload(9))
    bad = dict(headers, **{"X-WC-Webhook-Signature": "AAAA"})
    missing = {k: v for k, v in headers.items() if k != "X-WC-Webhook-Signature"}
    _, wrong_secret = signed(order_payload(9), secret="nope")
    tampered_body = body.replace(b'"total":"64.23"', b'"total":"0.01"')
    for hdrs, payload in (
        (bad, body),
        (missing, body),
        (wrong_secret, body),
        (headers, tampered_body),
    ):
        resp = await ingress_client.post("/webhooks/woocommerce", data=payload, headers=hdrs)
        assert resp.status == 401
        err = await resp.json()
        assert err["code"] == "invalid_signature" and err["data"]["status"] == 401
    counts = await sqlite_store.counts()
    assert counts["inbox"] == 0 and counts["quarantine"] == 0 and counts["snapshots"] == 0


async def test_ping_is_answered_200_and_not_stored(
    ingress_client: TestClient, sqlite_store: Store
) -> None:
    resp = await ingress_client.post(
        "/webhooks/woocommerce",
        data=b"webhook_id=3",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert resp.status == 200
    assert (await sqlite_store.counts())["inbox"] == 0


async def test_oversize_413_and_wrong_type_415(
    ingress_client: TestClient, sqlite_store: Store
) -> None:
    big = order_payload(10)
    big["padding"] = "x" * 5000
    body, headers = signed(big)
    resp = await ingress_client.post("/webhooks/woocommerce", data=body, headers=headers)
    assert resp.status == 413
    assert (await resp.json())["code"] == "rest_request_entity_too_large"
    body, headers = signed(order_payload(10))
    resp = await ingress_client.post(
        "/webhooks/woocommerce", data=body, headers=dict(headers, **{"Content-Type": "text/plain"})
    )
    assert resp.status == 415
    assert (await sqlite_store.counts())["inbox"] == 0


async def test_authentic_invalid_payload_is_quarantined_with_reason(
    ingress_client: TestClient, sqlite_store: Store
) -> None:
    broken = order_payload(11)
    broken["line_items"][0]["quantity"] = 0
    del broken["date_modified_gmt"]
    body, headers = signed(broken)
    resp = await ingress_client.post("/webhooks/woocommerce", data=body, headers=headers)
    assert resp.status == 200
    assert (await resp.json())["status"] == "quarantined"
    body2, headers2 = signed({"not": "an order"})
    body2 = b"{not json"
    from bridge.signature import sign

    headers2["X-WC-Webhook-Signature"] = sign("sapchaos-secret", body2)
    resp = await ingress_client.post("/webhooks/woocommerce", data=body2, headers=headers2)
    assert resp.status == 200
    listed = await (await ingress_client.get("/ops/quarantine")).json()
    reasons = [q["reason"] for q in listed["quarantine"]]
    assert any("malformed JSON" in r for r in reasons)
    assert any("date_modified_gmt" in r and "quantity" in r for r in reasons)
    qid = listed["quarantine"][-1]["id"]
    shown = await (await ingress_client.get(f"/ops/quarantine/{qid}")).json()
    assert "X-WC-Webhook-Signature" not in shown["headers"] and shown["body"]
    assert (await sqlite_store.counts())["snapshots"] == 0


async def test_unknown_topic_recorded_and_ignored(
    ingress_client: TestClient, sqlite_store: Store
) -> None:
    body, headers = signed({"id": 5, "name": "product"})
    headers["X-WC-Webhook-Topic"] = "product.updated"
    resp = await ingress_client.post("/webhooks/woocommerce", data=body, headers=headers)
    assert resp.status == 200 and (await resp.json())["kind"] == "ignored_topic"
    rows = await sqlite_store.list_quarantine(kind="ignored_topic")
    assert len(rows) == 1 and rows[0].topic == "product.updated"
    assert (await sqlite_store.counts())["jobs"]["pending"] == 0


async def test_dedup_by_content_not_delivery_id(
    ingress_client: TestClient, sqlite_store: Store
) -> None:
    """Same delivery id for two different orders (same second): both kept; true copies deduped."""
    a_body, a_headers = signed(order_payload(20))
    b_body, b_headers = signed(order_payload(21))
    assert a_headers["X-WC-Webhook-Delivery-ID"] == b_headers["X-WC-Webhook-Delivery-ID"]
    statuses = []
    for body, headers in (
        (a_body, a_headers),
        (b_body, b_headers),
        (a_body, a_headers),
        (a_body, a_headers),
    ):
        resp = await ingress_client.post("/webhooks/woocommerce", data=body, headers=headers)
        statuses.append((await resp.json())["status"])
    assert statuses == ["accepted", "accepted", "duplicate", "duplicate"]
    counts = await sqlite_store.counts()
    assert counts["snapshots"] == 2 and counts["jobs"]["pending"] == 2


async def test_group_commit_answers_each_after_its_commit(
    ingress_client: TestClient, sqlite_store: Store
) -> None:
    bodies = [signed(order_payload(100 + i)) for i in range(30)]
    resps = await asyncio.gather(
        *(ingress_client.post("/webhooks/woocommerce", data=b, headers=h) for b, h in bodies)
    )
    assert [r.status for r in resps] == [200] * 30
    for r in resps:
        data = await r.json()
        assert await sqlite_store.get_snapshot(data["order_id"]) is not None
    ingress = next(iter(ingress_client.app.values()))
    assert ingress.committer.items == 30 and ingress.committer.batches < 30


async def test_metrics_and_health(ingress_client: TestClient) -> None:
    assert (await ingress_client.get("/healthz")).status == 200
    body, headers = signed(order_payload(30))
    await ingress_client.post("/webhooks/woocommerce", data=body, headers=headers)
    text = await (await ingress_client.get("/metrics")).text()
    assert 'bridge_webhooks_total{outcome="accepted"} 1.0' in text
    resp = await ingress_client.get("/ops/dlq/999")
    assert resp.status == 404 and (await resp.json())["code"] == "not_found"
    _ = json


async def test_copies_are_not_validated_again_but_still_counted(
    ingress_client: TestClient, sqlite_store: Store
) -> None:
    """A byte-identical copy reuses the first validation (bounded memory); an invalid body
    is never remembered, so each copy of it is quarantined again."""
    ingress = next(iter(ingress_client.app.values()))
    ingress.validated_max = 2
    bodies = [signed(order_payload(300 + i)) for i in range(3)]
    for body, headers in bodies:
        resp = await ingress_client.post("/webhooks/woocommerce", data=body, headers=headers)
        assert (await resp.json())["status"] == "accepted"
    assert len(ingress.validated) == 2  # the oldest was dropped
    again = [bodies[2], bodies[0]]  # one remembered, one forgotten: both are copies
    for body, headers in again:
        resp = await ingress_client.post("/webhooks/woocommerce", data=body, headers=headers)
        data = await resp.json()
        assert data["status"] == "duplicate" and data["order_id"] in (300, 302)
    counts = await sqlite_store.counts()
    assert counts["inbox"] == 3 and counts["duplicates"] == 2

    broken = order_payload(310)
    broken["line_items"] = []
    body, headers = signed(broken)
    for _ in range(2):
        resp = await ingress_client.post("/webhooks/woocommerce", data=body, headers=headers)
        assert (await resp.json())["status"] == "quarantined"
    assert (await sqlite_store.counts())["quarantine"] == 2


async def test_out_of_range_ids_are_client_errors_not_500s(tmp_path: Any) -> None:
    """An order id beyond BIGINT is quarantined (not a failed batch), ops ids beyond it are 404."""
    from bridge.ingress.app import create_ingress_app, make_ingress
    from bridge.metrics import Metrics
    from bridge.signature import sign
    from bridge.store import open_store

    store = await open_store(f"sqlite:///{tmp_path / 'b.db'}")
    try:
        ingress = make_ingress(store, ("s3cret",), 1 << 20, Metrics())
        from tests.bridge.conftest import OPS_HEADERS, ops_auth

        app = create_ingress_app(ingress, ops_auth=ops_auth())
        async with TestClient(TestServer(app), headers=OPS_HEADERS) as client:
            body = json.dumps({"id": 2**63, "status": "pending"}).encode()
            resp = await client.post(
                "/webhooks/woocommerce",
                data=body,
                headers={
                    "Content-Type": "application/json",
                    "X-WC-Webhook-Topic": "order.created",
                    "X-WC-Webhook-Signature": sign("s3cret", body),
                },
            )
            assert resp.status == 200
            assert (await resp.json())["status"] == "quarantined"
            for path in ("/ops/dlq/99999999999999999999", "/ops/quarantine/99999999999999999999"):
                assert (await client.get(path)).status == 404
            assert (await client.get("/ops/dlq?limit=99999999999999999999")).status == 200
    finally:
        await store.close()
