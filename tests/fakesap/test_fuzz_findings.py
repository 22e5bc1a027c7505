"""Requests schemathesis found fakesap answering wrongly (a 500, or a silent accept where
the Service Layer refuses with 400); each is now the SL's 400 with its error object."""

from __future__ import annotations

import http.client
import json
import urllib.request

from .live import live_fakesap
from .sl_client import LOGIN, SL, order


async def test_line_amount_overflow_is_400_not_500(sl: SL) -> None:
    line = {"ItemCode": "TSH-RED-M", "Quantity": 509703690699234.1, "UnitPrice": 753165432647394.8}
    r = await sl.post("Orders", order(1, [line]))
    assert r.status == 400, r
    assert r.error["code"] == -1000 and "DocTotal" in r.error["message"]["value"]


async def test_falsy_non_string_description_and_vat_group_are_refused(sl: SL) -> None:
    for field in ("ItemDescription", "VatGroup"):
        line = {"ItemCode": "TSH-RED-M", "Quantity": 1, field: {}}
        r = await sl.post("Orders", order(2, [line]))
        assert r.status == 400, (field, r)
    ok = {"ItemCode": "TSH-RED-M", "Quantity": 1, "VatGroup": "", "ItemDescription": None}
    assert (await sl.post("Orders", order(3, [ok]))).status == 201


async def test_sqlquery_patch_with_a_json_array_is_400(sl: SL) -> None:
    body = {"SqlCode": "q1", "SqlName": "one", "SqlText": "SELECT CardCode FROM OCRD"}
    assert (await sl.post("SQLQueries", body)).status == 201
    r = await sl.call("PATCH", "SQLQueries('q1')", raw="[null, null]")
    assert r.status == 400, r
    assert r.error["code"] == -1000


def test_non_utf8_page_size_header_is_400_not_500() -> None:
    with live_fakesap() as live:
        req = urllib.request.Request(
            f"{live.sl('v1')}/Login", data=json.dumps(LOGIN).encode(), method="POST"
        )
        with urllib.request.urlopen(req, timeout=30) as reply:
            session = json.loads(reply.read())["SessionId"]
        host, port = live.base.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        conn.putrequest("GET", "/b1s/v1/Items")
        conn.putheader("Cookie", f"B1SESSION={session}")
        conn.putheader("B1S-PageSize", b"\x84")  # one byte that is not UTF-8
        conn.endheaders()
        r = conn.getresponse()
        body = json.loads(r.read())
        conn.close()
    assert r.status == 400
    assert "B1S-PageSize" in body["error"]["message"]["value"]
