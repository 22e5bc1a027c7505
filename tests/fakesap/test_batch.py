"""``$batch`` (multipart/mixed) with change sets: responses in order with SL status lines,
a change set commits all or nothing, processing stops at a failure unless
``Prefer: odata.continue-on-error``, and a reply lost by the fault engine after the batch
ran leaves the change set committed."""

from __future__ import annotations

import json
import re
from typing import Any

from .conftest import StartSL
from .sl_client import SL, order


def http_part(method: str, path: str, body: Any = None, content_id: str | None = None) -> str:
    head = "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n"
    if content_id:
        head += f"Content-ID: {content_id}\r\n"
    req = f"{method} {path} HTTP/1.1\r\n"
    if body is not None:
        req += "Content-Type: application/json\r\n\r\n" + json.dumps(body) + "\r\n"
    else:
        req += "\r\n"
    return head + "\r\n" + req


def batch_body(*parts: str | list[str]) -> str:
    out = ""
    for i, part in enumerate(parts):
        out += "--batch_1\r\n"
        if isinstance(part, list):
            cs = f"changeset_{i}"
            out += f"Content-Type: multipart/mixed; boundary={cs}\r\n\r\n"
            for sub in part:
                out += f"--{cs}\r\n" + sub
            out += f"--{cs}--\r\n"
        else:
            out += part
    return out + "--batch_1--\r\n"


async def post_batch(sl: SL, body: str, **headers: str) -> tuple[int, str, str]:
    r = await sl.call(
        "POST",
        "$batch",
        raw=body.encode(),
        headers={"Content-Type": "multipart/mixed; boundary=batch_1", **headers},
    )
    return r.status, r.headers.get("Content-Type", ""), r.text


def status_lines(text: str) -> list[str]:
    return re.findall(r"^HTTP/1\.1 (\d{3} [A-Za-z ]+?)\r?$", text, re.M)


async def test_changeset_commits_and_answers_in_order(sl: SL) -> None:
    await sl.create("Orders", order(1))
    body = batch_body(
        http_part("GET", "/b1s/v1/Orders(1)?$select=DocEntry,NumAtCard"),
        [
            http_part("POST", "/b1s/v1/Orders", order(2), "1"),
            http_part("PATCH", "/b1s/v1/Orders(1)", {"Comments": "batched"}, "2"),
            http_part("POST", "Orders(1)/Close", None, "3"),
        ],
        http_part("GET", "Orders/$count"),
    )
    status, ctype, text = await post_batch(sl, body)
    assert status == 202 and ctype.startswith("multipart/mixed; boundary=batchresponse_")
    assert status_lines(text) == [
        "200 OK",
        "201 Created",
        "204 No Content",
        "204 No Content",
        "200 OK",
    ]
    assert re.search(r"Content-ID: 1\r\n\r\nHTTP/1.1 201 Created", text)
    assert "Location: http://" in text and "/b1s/v1/Orders(2)" in text
    assert '"NumAtCard":"WEB-1"' in text
    assert "Content-Length: 1\r\n\r\n2\r\n--batchresponse_" in text  # $count sees both
    doc = (await sl.get("Orders(1)")).json
    assert doc["Comments"] == "batched" and doc["DocumentStatus"] == "bost_Close"


async def test_failed_changeset_rolls_everything_back(sl: SL) -> None:
    await sl.create("Orders", order(1))
    before_items = (await sl.get("Items('TSH-RED-M')")).json
    body = batch_body(
        [
            http_part("POST", "Orders", order(2), "1"),
            http_part("PATCH", "Orders(1)", {"Comments": "never"}, "2"),
            http_part("POST", "Orders", order(3, CardCode="NOPE"), "3"),
        ],
        http_part("GET", "Orders/$count"),
    )
    status, _, text = await post_batch(sl, body)
    assert status == 202
    assert status_lines(text) == ["400 Bad Request"]  # stops at the failure
    assert "Content-ID: 3" in text and "NOPE" in text
    assert (await sl.get("Orders/$count")).text == "1"
    assert (await sl.get("Orders(1)")).json.get("Comments") != "never"
    assert (await sl.get("Items('TSH-RED-M')")).json == before_items  # stock untouched
    truth = await sl.admin("documents")
    assert len(truth["documents"]) == 1
    # numbering continues as if the change set never happened
    assert (await sl.create("Orders", order(4)))["DocEntry"] == 2


async def test_continue_on_error_runs_the_rest(sl: SL) -> None:
    body = batch_body(
        [http_part("POST", "Orders", order(1, CardCode="NOPE"), "1")],
        [http_part("POST", "Orders", order(2), "1")],
        http_part("GET", "Orders?$select=DocEntry"),
    )
    _, _, text = await post_batch(sl, body, Prefer="odata.continue-on-error")
    assert status_lines(text) == ["400 Bad Request", "201 Created", "200 OK"]


async def test_malformed_batches_are_400_sl_errors(sl: SL) -> None:
    r = await sl.call(
        "POST", "$batch", raw=b"x", headers={"Content-Type": "multipart/mixed; boundary=b"}
    )
    assert r.status == 400 and "batch" in r.error["message"]["value"]
    r = await sl.call("POST", "$batch", raw=b"{}", headers={"Content-Type": "application/json"})
    assert r.status == 400
    r = await sl.call("GET", "$batch")
    assert r.status == 405 and r.headers["Allow"] == "POST"


async def test_lost_reply_after_committed_changeset(start_sl: StartSL) -> None:
    sl = await start_sl()
    r = await sl.post(
        "/__admin/faults",
        {"fault": "commit_then_fail", "path_regex": r"\$batch$", "params": {"status": 502}},
    )
    assert r.status in (200, 201), r
    body = batch_body([http_part("POST", "Orders", order(1), "1")])
    status, _, _ = await post_batch(sl, body)
    assert status == 502  # what the client sees: a gateway error
    truth = await sl.admin("documents")
    assert [d["DocEntry"] for d in truth["documents"]] == [1]  # committed, answer lost


def test_b1sl_python_batch_client_changeset() -> None:
    """The third-party b1sl-python client's batch builder against fakesap: a change set
    of two orders is applied; one with a bad CardCode takes its sibling down with it."""
    from b1sl.b1sl import entities
    from b1sl.b1sl.client import B1Client
    from b1sl.b1sl.config import B1Config

    from .live import live_fakesap

    en: Any = entities  # pydantic models with SL aliases (no mypy plugin)

    def new_order(card: str) -> Any:
        line = en.DocumentLine(ItemCode="TSH-RED-M", Quantity=1, WarehouseCode="01")
        return en.Order(CardCode=card, DocDueDate="2026-11-30", DocumentLines=[line])

    with live_fakesap() as live:
        cfg = B1Config(
            base_url=live.base, username="manager", password="manager", company_db="SBODEMOES"
        )
        with B1Client(cfg, version="v2") as b1:
            with b1.batch() as batch:
                with batch.changeset():
                    batch.orders.create(new_order("C10011"))
                    batch.orders.create(new_order("C10012"))
                results = batch.execute()
            assert [r.status for r in results] == [201, 201]
            assert [r.data["DocEntry"] for r in results] == [1, 2]
            assert sorted(live.state.docs["Orders"]) == [1, 2]
            failed: object = None
            try:
                with b1.batch() as batch:
                    with batch.changeset():
                        batch.orders.create(new_order("C10011"))
                        batch.orders.create(new_order("NOPE"))
                    failed = batch.execute()
            except Exception as exc:  # the client may raise for the failed change set
                failed = exc
            assert failed is not None
            assert sorted(live.state.docs["Orders"]) == [1, 2]  # nothing of it committed


async def test_faults_apply_per_request_and_per_changeset(sl: SL) -> None:
    """An error fault on a change set's request answers in place of the change set (which
    does not run); commit_then_fail on one commits it and loses its answers; a GET part
    gets its own fault while the others go through."""
    rules = [
        {
            "id": "once-503",
            "fault": "http_error",
            "entity_set": "Orders",
            "method": "POST",
            "params": {"status": 503},
            "max_count": 1,
        },
        {
            "id": "items-500",
            "fault": "http_error",
            "entity_set": "Items",
            "method": "GET",
            "params": {"status": 500},
        },
    ]
    for rule in rules:
        r = await sl.post("/__admin/faults", rule)
        assert r.status in (200, 201), r
    body = batch_body(
        [http_part("POST", "Orders", order(1), "1"), http_part("POST", "Orders", order(2), "2")],
        [http_part("POST", "Orders", order(3), "1")],
        http_part("GET", "Items('LAMP-DESK')"),
        http_part("GET", "Orders/$count"),
    )
    _, _, text = await post_batch(sl, body, Prefer="odata.continue-on-error")
    assert status_lines(text) == [
        "503 Service Unavailable",
        "201 Created",
        "500 Internal Server Error",
        "200 OK",
    ]
    truth = await sl.admin("documents")
    assert [d["request"]["body"]["NumAtCard"] for d in truth["documents"]] == ["WEB-3"]
    assert (await sl.call("DELETE", "/__admin/faults/items-500")).status in (200, 204)
    r = await sl.post(
        "/__admin/faults",
        {
            "fault": "commit_then_fail",
            "entity_set": "Orders",
            "method": "POST",
            "params": {"status": 502},
            "max_count": 1,
        },
    )
    assert r.status in (200, 201), r
    body = batch_body(
        [http_part("POST", "Orders", order(4), "1"), http_part("POST", "Orders", order(5), "2")]
    )
    _, _, text = await post_batch(sl, body)
    assert status_lines(text) == ["502 Bad Gateway"]  # the answer is lost …
    truth = await sl.admin("documents")
    numbers = [d["request"]["body"]["NumAtCard"] for d in truth["documents"]]
    assert numbers == ["WEB-3", "WEB-4", "WEB-5"]  # … but the change set committed


async def test_persisted_changesets_survive_a_restart_and_rolled_back_ones_do_not(
    start_sl: StartSL, tmp_path: Any
) -> None:
    from fakesap.backend import FakeSap
    from fakesap.config import FakeSapConfig

    path = str(tmp_path / "sap.sqlite")
    sl = await start_sl(persist_path=path)
    good = batch_body(
        [http_part("POST", "Orders", order(1), "1"), http_part("POST", "Orders", order(2), "2")]
    )
    bad = batch_body(
        [
            http_part("POST", "Orders", order(3), "1"),
            http_part("POST", "Orders", order(4, CardCode="NOPE"), "2"),
        ]
    )
    assert status_lines((await post_batch(sl, good))[2]) == ["201 Created", "201 Created"]
    assert status_lines((await post_batch(sl, bad))[2]) == ["400 Bad Request"]
    reopened = FakeSap(FakeSapConfig(persist_path=path))
    try:
        assert sorted(reopened.docs["Orders"]) == [1, 2]
        assert reopened.next_entry["Orders"] == 3
        assert len(reopened.truth) == 2
    finally:
        reopened.close()
