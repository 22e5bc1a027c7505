"""``/__admin/openapi.json`` is a valid OpenAPI 3.1 document (checked by the third-party
openapi-spec-validator) and says what the emulator does: every path template is a
declared parameter, and a method the document does not list gets 405 with ``Allow``."""

from __future__ import annotations

import json
import re

from openapi_spec_validator.validation.validators import OpenAPIV31SpecValidator

from .sl_client import SL, order


async def test_served_document_is_valid_openapi_31(sl: SL) -> None:
    doc = json.loads((await sl.get("/__admin/openapi.json")).text)
    errors = [e.message for e in OpenAPIV31SpecValidator(doc).iter_errors()]
    assert errors == []
    for path, item in doc["paths"].items():
        declared = {p["name"] for p in item.get("parameters", []) if p["in"] == "path"}
        assert declared == set(re.findall(r"\{(\w+)\}", path)), path


async def test_every_session_operation_lists_401_and_collections_the_b1s_headers(sl: SL) -> None:
    doc = json.loads((await sl.get("/__admin/openapi.json")).text)
    for path, item in doc["paths"].items():
        if not path.startswith("/b1s/") or path.endswith("/Login"):
            continue
        for method, op in item.items():
            if method != "parameters":
                assert "401" in op["responses"], (method, path)
    names = {p["name"] for p in doc["paths"]["/b1s/v1/Orders"]["get"]["parameters"]}
    assert {"B1S-PageSize", "B1S-CaseInsensitive", "Prefer", "$filter"} <= names
    assert "/ping/" in doc["paths"] and "/ping/node" in doc["paths"]


async def test_unsupported_methods_are_405_with_allow(sl: SL) -> None:
    await sl.create("Orders", order(1))
    doc = json.loads((await sl.get("/__admin/openapi.json")).text)
    cases = {
        "Orders(1)": ("PUT", "/b1s/v1/Orders({DocEntry})"),
        "Orders": ("DELETE", "/b1s/v1/Orders"),
        "Orders(1)/Cancel": ("GET", "/b1s/v1/Orders({DocEntry})/Cancel"),
        "Items('LAMP-DESK')": ("PATCH", "/b1s/v1/Items('{ItemCode}')"),
        "Logout": ("GET", "/b1s/v1/Logout"),
    }
    for tail, (method, documented) in cases.items():
        r = await sl.call(method, tail)
        assert r.status == 405, (tail, r)
        allow = {m.strip() for m in r.headers["Allow"].split(",")}
        listed = {m.upper() for m in doc["paths"][documented] if m != "parameters"}
        assert allow == listed, (tail, allow, listed)
        assert r.error["code"] == -1000
    r = await sl.call("POST", "/ping/")
    assert r.status == 405 and "GET" in r.headers["Allow"]
