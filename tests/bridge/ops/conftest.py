"""An ingress app with two known ops tokens over a real store, and a store with data."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bridge.ingress.app import create_ingress_app, make_ingress
from bridge.metrics import Metrics
from bridge.ops.auth import OPERATOR, READ_ONLY, OpsAuth, OpsToken
from bridge.store import Store
from bridge.store.base import DeadLetter, InboundDelivery
from tests.bridge.conftest import SECRET

OPERATOR_TOKEN = "op-token-0123456789abcdef"
READONLY_TOKEN = "ro-token-0123456789abcdef"
OP = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
RO = {"Authorization": f"Bearer {READONLY_TOKEN}"}
EMAIL = "jane.customer@example.org"


@dataclass
class OpsApp:
    client: TestClient
    store: Store
    auth: OpsAuth
    metrics: Metrics


@pytest.fixture
async def ops(store: Store) -> AsyncIterator[OpsApp]:
    """The ingress app with ``alice`` (operator) and ``bob`` (read-only)."""
    auth = OpsAuth(
        [OpsToken("alice", OPERATOR, OPERATOR_TOKEN), OpsToken("bob", READ_ONLY, READONLY_TOKEN)]
    )
    metrics = Metrics()
    ingress = make_ingress(store, (SECRET,), 1 << 20, metrics)
    app = create_ingress_app(ingress, ops_auth=auth)
    async with TestClient(TestServer(app)) as client:
        yield OpsApp(client, store, auth, metrics)


def order_payload(order_id: int) -> dict[str, object]:
    return {
        "id": order_id,
        "number": str(order_id),
        "status": "processing",
        "date_modified_gmt": "2026-11-23T20:11:19",
        "total": "42.00",
        "billing": {"first_name": "Jane", "last_name": "Customer", "email": EMAIL},
    }


async def dead_order(store: Store, order_id: int) -> int:
    """An order SAP refused for good: snapshot, claimed job, failed ledger row, DLQ row."""
    await store.accept_delivery(
        InboundDelivery(
            "woocommerce",
            "order.created",
            order_id,
            "2026-11-23T20:11:19",
            order_payload(order_id),
            received_at=1_800_000_000.0,
        )
    )
    [lease] = await store.claim_jobs("w1", 1, 60)
    key = f"wc:{order_id}:order"
    await store.record_intent(lease, key, order_id, "create_order", "Orders")
    await store.mark_failed(lease, key, f"-10 item frozen; partner {EMAIL}")
    return await store.dead_letter(
        lease,
        DeadLetter(
            "create_order",
            key,
            "-10",
            f"Item frozen (partner {EMAIL})",
            {"CardName": "Jane Customer"},
        ),
    )
