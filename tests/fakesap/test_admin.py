"""Ground truth under /__admin: documents with commit time and request, the bounded
request journal, reset, the OpenAPI file; /__admin is not reachable under /b1s."""

from __future__ import annotations

import json
import re
from pathlib import Path

from fakesap.app import FAKESAP_KEY
from fakesap.openapi import build_openapi

from .conftest import StartSL
from .sl_client import SL, order

ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


async def test_documents_ground_truth(sl: SL) -> None:
    await sl.create("Orders", order(1))
    await sl.create(
        "DeliveryNotes",
        {"CardCode": "C10011", "DocumentLines": [{"BaseType": 17, "BaseEntry": 1, "BaseLine": 0}]},
    )
    await sl.post("Orders", order(2, CardCode="NOPE"))  # refused: not in the truth
    docs = (await sl.admin("documents"))["documents"]
    assert [(d["entity_set"], d["object_type"], d["DocEntry"], d["DocNum"]) for d in docs] == [
        ("Orders", 17, 1, 100001),
        ("DeliveryNotes", 15, 1, 100001),
    ]
    first = docs[0]
    assert ISO.match(first["committed_at"])
    assert first["request"]["method"] == "POST" and first["request"]["path"] == "/b1s/v1/Orders"
    assert first["request"]["body"]["NumAtCard"] == "WEB-1"
    assert first["document"]["DocumentStatus"] == "bost_Close"  # current state, after the delivery
    only = (await sl.admin("documents?entity_set=DeliveryNotes"))["documents"]
    assert len(only) == 1
    journal = (await sl.admin("journal"))["requests"]
    by_id = {j["id"]: j for j in journal}
    assert by_id[first["request_id"]]["path"] == "/b1s/v1/Orders"


async def test_journal_records_requests_and_is_bounded(start_sl: StartSL) -> None:
    sl = await start_sl(journal_size=5)
    for _ in range(4):
        await sl.get("Warehouses?$top=1")
    await sl.get("Nope")
    await sl.post("Orders", order())
    journal = await sl.admin("journal")
    rows = journal["requests"]
    assert len(rows) == 5 and journal["total"] == 7
    last = rows[-1]
    assert (last["method"], last["path"], last["status"]) == ("POST", "/b1s/v1/Orders", 201)
    assert ISO.match(last["at"]) and last["duration_ms"] >= 0 and last["fault"] is None
    assert last["session"] == sl.server.app[FAKESAP_KEY].sessions.ids()[0]
    assert rows[-2]["status"] == 404
    assert rows[0]["query"] == "$top=1"
    assert not any(r["path"].startswith("/__admin") for r in rows)


async def test_reset_forgets_documents_sessions_and_journal(sl: SL) -> None:
    await sl.create("Orders", order(1, lines=[{"ItemCode": "LAMP-DESK", "Quantity": 4}]))
    assert (await sl.post("/__admin/reset")).status == 200
    assert (await sl.admin("documents"))["documents"] == []
    assert (await sl.admin("journal"))["requests"] == []
    assert (await sl.get("Orders")).status == 401
    await sl.login()
    lamp = (await sl.get("Items('LAMP-DESK')")).json["ItemWarehouseInfoCollection"][0]
    assert lamp["Committed"] == 0
    assert (await sl.create("Orders", order(1)))["DocEntry"] == 1


async def test_admin_is_not_reachable_under_b1s(sl: SL) -> None:
    assert (await sl.get("__admin/documents")).status == 404
    assert (await sl.get("/b1s/v1/../__admin/documents")).status in (
        200,
        404,
    )  # normalised by the client


async def test_openapi_served_equals_the_file_in_the_repo(sl: SL) -> None:
    served = json.loads((await sl.get("/__admin/openapi.json")).text)
    on_disk = json.loads((Path(__file__).parents[2] / "fakesap" / "openapi.json").read_text())
    assert served == on_disk == build_openapi()  # regenerate: python -m fakesap.openapi
    assert served["openapi"].startswith("3.")
    paths = served["paths"]
    for p in (
        "/b1s/v1/Login",
        "/b1s/v1/Logout",
        "/b1s/v1/Orders",
        "/b1s/v1/Orders({DocEntry})",
        "/b1s/v1/Orders({DocEntry})/Cancel",
        "/__admin/documents",
        "/__admin/journal",
    ):
        assert p in paths, p


async def test_sessions_and_health(sl: SL) -> None:
    assert len((await sl.admin("sessions"))["sessions"]) == 1
    assert (await sl.call("DELETE", "/__admin/sessions")).json == {"dropped": 1}
    assert (await sl.get("Orders")).status == 401
    health = await sl.admin("health")
    assert health["status"] == "ok"
