"""Rendering SL JSON: entity and collection bodies in the OData v3 (``/b1s/v1``) and
OData v4 (``/b1s/v2``) shapes, numbers as JSON numbers, errors as the SL error object."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

from aiohttp import web

from fakesap.errors import ODataVersion, SLError, error_body

JSON_TYPE = "application/json"
#: the Content-Type header of every JSON answer
JSON_CONTENT_TYPE = "application/json; charset=utf-8"


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        # SL sends amounts and quantities as JSON numbers (Edm.Double: 2.0, 24.19); values
        # with up to 15 significant digits print exactly through float's shortest repr
        return float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


_encoder = json.JSONEncoder(default=_default, ensure_ascii=False, separators=(",", ":"))


def _stdlib_dumps_bytes(value: Any) -> bytes:
    return _encoder.encode(value).encode("utf-8")


try:  # orjson encodes a document ~6x faster than the stdlib (a declared dependency)
    import orjson

    def dumps_bytes(value: Any) -> bytes:
        return orjson.dumps(value, default=_default)

    def dumps_entities(value: Any) -> bytes:
        """Entities (documents, master data) hold only JSON values and Decimals: the
        Decimals are converted by ``float`` itself, called from orjson's C code."""
        return orjson.dumps(value, default=float)

    def json_string(text: str) -> bytes:
        return orjson.dumps(text)

except ImportError:  # pragma: no cover - exercised where orjson is absent
    dumps_bytes = _stdlib_dumps_bytes
    dumps_entities = _stdlib_dumps_bytes

    def json_string(text: str) -> bytes:
        return _stdlib_dumps_bytes(text)


def dumps(value: Any) -> str:
    return _encoder.encode(value)


def json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        body=dumps_bytes(body),
        status=status,
        headers=headers,
        content_type=JSON_TYPE,
        charset="utf-8",
    )


def entities_response(body: Any, headers: dict[str, str] | None = None) -> web.Response:
    """A 200 with a body of entities (see ``dumps_entities``)."""
    return web.Response(
        body=dumps_entities(body), headers=headers, content_type=JSON_TYPE, charset="utf-8"
    )


def entity_json(
    root: str,
    entity_set: str,
    entity: dict[str, Any],
    version: ODataVersion,
    etag_value: str | None = None,
) -> bytes:
    """``entity_body`` encoded, without copying the entity: the annotation is spliced in
    front of the entity's own members (byte-for-byte what encoding ``entity_body`` gives).
    v2 (OData v4) bodies carry ``@odata.etag`` when ``etag_value`` is given, the same
    value as the ``ETag`` header, as the Service Layer's v2 does."""
    if version == "v2":
        head = b'{"@odata.context":' + json_string(f"{root}/$metadata#{entity_set}/$entity")
        if etag_value is not None:
            head += b',"@odata.etag":' + json_string(etag_value)
    else:
        head = b'{"odata.metadata":' + json_string(f"{root}/$metadata#{entity_set}/@Element")
    members = dumps_entities(entity)
    if members == b"{}":
        return head + b"}"
    return head + b"," + members[1:]


def error_response(err: SLError, version: ODataVersion) -> web.Response:
    return json_response(
        error_body(err.code, err.message, version), status=err.status, headers=err.headers
    )


def service_root(request: web.Request, version: ODataVersion) -> str:
    return f"{request.scheme}://{request.host}/b1s/{version}"


def entity_body(
    root: str, entity_set: str, entity: dict[str, Any], version: ODataVersion
) -> dict[str, Any]:
    if version == "v2":
        return {"@odata.context": f"{root}/$metadata#{entity_set}/$entity", **entity}
    return {"odata.metadata": f"{root}/$metadata#{entity_set}/@Element", **entity}


def collection_body(
    root: str,
    entity_set: str,
    rows: list[dict[str, Any]],
    version: ODataVersion,
    count: int | None,
    next_link: str | None,
) -> dict[str, Any]:
    if version == "v2":
        body: dict[str, Any] = {"@odata.context": f"{root}/$metadata#{entity_set}"}
        if count is not None:
            body["@odata.count"] = count
        body["value"] = rows
        if next_link is not None:
            body["@odata.nextLink"] = next_link
        return body
    body = {"odata.metadata": f"{root}/$metadata#{entity_set}"}
    if count is not None:
        body["odata.count"] = count
    body["value"] = rows
    if next_link is not None:
        body["odata.nextLink"] = next_link
    return body


def etag(entity: dict[str, Any]) -> str:
    """A weak ETag that changes whenever the entity's content changes."""
    digest = hashlib.md5(dumps(entity).encode("utf-8"), usedforsecurity=False).hexdigest()
    return f'W/"{digest}"'
