"""``$metadata``: EDMX for v1 (OData v3) and v2 (OData v4) describing what fakesap accepts,
read by two third-party OData clients (pyodata reads v1's EDMX; python-odata reflects
v2's and then queries through it); a UDF added through master data shows up."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import aiohttp
import pyodata
import requests
from odata import ODataService

from .live import live_fakesap
from .sl_client import LOGIN, SL

CATALOG = Path(__file__).parents[2] / "sapchaos" / "data" / "catalog.json"
EDM4 = "{http://docs.oasis-open.org/odata/ns/edm}"


def _session(base: str) -> requests.Session:
    http = requests.Session()
    assert http.post(f"{base}/Login", json=LOGIN).status_code == 200
    return http


async def test_metadata_shapes_per_version(sl: SL) -> None:
    r = await sl.get("$metadata")
    assert r.status == 200 and r.headers["Content-Type"].startswith("application/xml")
    root = ET.fromstring(r.text)
    assert root.get("Version") == "1.0"
    assert 'FunctionImport Name="Cancel" IsBindable="true"' in r.text
    sl.version = "v2"
    r = await sl.get("$metadata")
    root = ET.fromstring(r.text)
    assert root.get("Version") == "4.0"
    doc = root.find(f".//{EDM4}EntityType[@Name='Document']")
    assert doc is not None
    key = doc.find(f"{EDM4}Key/{EDM4}PropertyRef")
    assert key is not None and key.get("Name") == "DocEntry"
    types = {p.get("Name"): p.get("Type") for p in doc.findall(f"{EDM4}Property")}
    assert types["DocEntry"] == "Edm.Int32" and types["DocTotal"] == "Edm.Double"
    assert types["DocDate"] == "Edm.Date" and types["CardCode"] == "Edm.String"
    assert types["DocumentLines"] == "Collection(SAPB1.DocumentLine)"
    assert "U_IdemKey" in types
    actions = {a.get("Name") for a in root.iter(f"{EDM4}Action")}
    assert {"Cancel", "Close", "Reopen"} <= actions
    assert (await sl.post("$metadata", {})).status == 405
    async with aiohttp.ClientSession() as anonymous:  # no session cookie: 401 as on the SL
        unauth = await anonymous.get(sl.url("$metadata"))
        assert unauth.status == 401


def test_pyodata_reads_v1_metadata_and_sees_a_udf_added_through_master_data() -> None:
    with live_fakesap() as live:
        http = _session(live.sl("v1"))
        client = pyodata.Client(live.sl("v1") + "/", http)
        sets = {es.name: es for es in client.schema.entity_sets}
        assert set(sets) >= {"Orders", "Invoices", "IncomingPayments", "Items", "BusinessPartners"}
        assert [p.name for p in sets["Orders"].entity_type.key_proprties] == ["DocEntry"]
        assert [p.name for p in sets["Items"].entity_type.key_proprties] == ["ItemCode"]
        names = {p.name for p in sets["Orders"].entity_type.proprties()}
        assert "U_IdemKey" in names and "U_Channel" not in names
        r = http.get(f"{live.sl('v1')}/Orders", params={"$filter": "U_Channel eq 'web'"})
        assert r.status_code == 400  # unknown property, as the SL says
        catalog = json.loads(CATALOG.read_text())
        catalog["udfs"]["ORDR"].append("U_Channel")
        r = http.post(f"{live.base}/__admin/master-data", json=catalog)
        assert r.status_code == 200, r.text
        client = pyodata.Client(live.sl("v1") + "/", http)
        doc = client.schema.entity_type("Document")
        assert "U_Channel" in {p.name for p in doc.proprties()}
        # and the UDF is usable where the metadata says it exists
        r = http.get(f"{live.sl('v1')}/Orders", params={"$filter": "U_Channel eq 'web'"})
        assert r.status_code == 200, r.text


def test_python_odata_reflects_v2_and_queries_through_it() -> None:
    with live_fakesap() as live:
        http = _session(live.sl("v2"))
        service = ODataService(live.sl("v2") + "/", session=http, reflect_entities=True)
        assert {"Orders", "Items", "BusinessPartners"} <= set(service.entities)
        bp = service.entities["BusinessPartners"]
        found = [
            (b.CardCode, b.CardName) for b in service.query(bp).filter(bp.CardCode == "C10011")
        ]
        assert found == [("C10011", "Lucía Fernández")]
