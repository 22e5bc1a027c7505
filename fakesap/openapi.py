"""The OpenAPI 3.1 description of the emulated Service Layer subset and ``/__admin``.

``python -m fakesap.openapi`` rewrites ``fakesap/openapi.json`` (kept in the repo and served
at ``/__admin/openapi.json``); a test checks the file matches this builder.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from fakesap.documents.schema import DOCUMENT_KINDS, PAYMENT_SETS
from fakesap.errors import ERRORS
from fakesap.masterdata import MASTER_KEYS
from fakesap.openapi_bodies import body_schemas, packaged_masterdata

JSON = "application/json"


def _error_responses(*statuses: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for status in statuses:
        names = sorted(e.name for e in ERRORS.values() if e.status == status)
        out[str(status)] = {
            "description": "SL error: " + ", ".join(names),
            "content": {JSON: {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
    return out


_NAME = "[A-Za-z_][A-Za-z0-9_]*"
#: a few properties of each set that $select/$orderby/$filter examples may name
_QUERY_PROPS = {
    "Items": ("ItemCode", "ItemName"),
    "BusinessPartners": ("CardCode", "CardName"),
    "Warehouses": ("WarehouseCode", "WarehouseName"),
    "VatGroups": ("Code", "Name"),
}
_DOC_PROPS = ("DocEntry", "DocNum", "CardCode", "DocTotal")


def _query_params(entity_set: str) -> list[dict[str, Any]]:
    """The OData query options of a collection read. The schema's patterns describe the
    subset of OData's grammar a fuzzer may generate (a property list, one comparison);
    the emulator accepts the whole grammar the compatibility page lists and answers 400
    (code -1000) to anything else."""
    props = _QUERY_PROPS.get(entity_set, _DOC_PROPS)
    one = "(" + "|".join(props) + ")"
    listed = f"^{one}(,{one})*$"
    ordered = f"^{one}( (asc|desc))?(,{one}( (asc|desc))?)*$"
    numeric = "(DocEntry|DocNum) (eq|ne|gt|ge|lt|le) [0-9]{1,9}"
    text = f"{props[0]} (eq|ne) '[A-Za-z0-9-]{{0,20}}'"
    condition = text if entity_set in _QUERY_PROPS else f"({numeric}|{text})"
    specs: dict[str, tuple[str, dict[str, Any]]] = {
        "$filter": (
            "eq ne gt ge lt le, and or not, startswith/endswith/substringof (v1), contains (v2)",
            {"type": "string", "pattern": f"^({condition}|true|false)$"},
        ),
        "$select": ("comma-separated properties", {"type": "string", "pattern": listed}),
        "$orderby": ("Prop [asc|desc], ...", {"type": "string", "pattern": ordered}),
        "$top": ("non-negative integer", {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}),
        "$skip": ("non-negative integer", {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}),
        "$inlinecount": (
            "v1: allpages → odata.count (v2 uses $count=true)",
            {"type": "string", "enum": ["allpages", "none"]},
        ),
    }
    return [
        {"name": n, "in": "query", "required": False, "description": d, "schema": schema}
        for n, (d, schema) in specs.items()
    ]


def _prefer(desc: str) -> dict[str, Any]:
    return {
        "name": "Prefer",
        "in": "header",
        "required": False,
        "description": desc,
        "schema": {"type": "string"},
    }


def _body(schema: str) -> dict[str, Any]:
    return {
        "required": True,
        "content": {JSON: {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


def build_openapi() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    root = "/b1s/{version}"
    paths["/b1s/v1/Login"] = {
        "post": {
            "summary": "Log in; sets B1SESSION (HttpOnly) and ROUTEID cookies (path /b1s). Same on /b1s/v2.",
            "security": [],
            "requestBody": _body("Login"),
            "responses": {
                "200": {"description": "SessionId, Version, SessionTimeout (minutes)"},
                **_error_responses(400, 401),
            },
        }
    }
    paths["/b1s/v1/Logout"] = {
        "post": {
            "summary": "End the session",
            "responses": {"204": {"description": "ended"}, **_error_responses(401)},
        }
    }
    paths["/b1s/v1/$metadata"] = {
        "get": {
            "summary": "EDMX (v1: OData v3 CSDL; v2: OData v4 CSDL) with entity sets, keys, properties, actions and UDFs",
            "responses": {"200": {"description": "application/xml"}},
        }
    }
    paths["/b1s/v1/$batch"] = {
        "post": {
            "summary": "OData batch (multipart/mixed) with all-or-nothing change sets; 202 with one part per request or change set",
            "parameters": [_prefer("odata.continue-on-error → keep going after a failed part")],
            "requestBody": {
                "required": True,
                "content": {"multipart/mixed": {"schema": {"type": "string", "minLength": 1}}},
            },
            "responses": {"202": {"description": "multipart/mixed"}, **_error_responses(400)},
        }
    }
    paths["/b1s/v1/QueryService_PostQuery"] = {
        "post": {
            "summary": "Row-level query: QueryPath $crossjoin(Orders,Orders/DocumentLines), QueryOption $expand/$filter/$orderby/$top/$skip",
            "requestBody": _body("PostQuery"),
            "responses": {
                "200": {"description": "Collection(Edm.ComplexType)"},
                **_error_responses(400),
            },
        }
    }
    sql_body = _body("SQLQuery")
    paths["/b1s/v1/SQLQueries"] = {
        "get": {
            "summary": "Stored SQL queries",
            "responses": {"200": {"description": "collection"}},
        },
        "post": {
            "summary": "Store a SELECT (SqlCode, SqlName, SqlText with :params); 702 if not a single SELECT",
            "requestBody": sql_body,
            "responses": {"201": {"description": "created"}, **_error_responses(400)},
        },
    }
    paths["/b1s/v1/SQLQueries('{SqlCode}')"] = {
        "get": {
            "summary": "One stored query",
            "responses": {"200": {"description": "entity"}, **_error_responses(404)},
        },
        "patch": {
            "summary": "Change SqlName/SqlText",
            "requestBody": _body("SQLQueryPatch"),
            "responses": {"204": {"description": "updated"}, **_error_responses(400, 404)},
        },
        "delete": {
            "summary": "Remove",
            "responses": {"204": {"description": "removed"}, **_error_responses(404)},
        },
    }
    paths["/b1s/v1/SQLQueries('{SqlCode}')/List"] = {
        method: {
            "summary": "Run it: ParamList a=1&b='x' in the body (POST) or params in the query (GET); paged",
            "responses": {
                "200": {"description": "SqlText and value"},
                **_error_responses(400, 404),
            },
        }
        for method in ("get", "post")
    }
    doc_sets = [*DOCUMENT_KINDS, *PAYMENT_SETS]
    for es in doc_sets:
        key = "{DocEntry}"
        paths[f"/b1s/v1/{es}"] = {
            "get": {
                "summary": f"List {es} (server paging: 20 per page, odata.nextLink)",
                "parameters": [*_query_params(es), _prefer("odata.maxpagesize=N (0 = all)")],
                "responses": {"200": {"description": "collection"}, **_error_responses(400, 401)},
            },
            "post": {
                "summary": f"Create a {es[:-1]}: validated, computed (totals, VAT, stock), 201 with Location",
                "parameters": [_prefer("return-no-content → 204")],
                "requestBody": _body(f"{es}Create" if es in DOCUMENT_KINDS else "PaymentCreate"),
                "responses": {
                    "201": {"description": "the created entity"},
                    "204": {"description": "created (Prefer: return-no-content)"},
                    **_error_responses(400, 401, 413, 415),
                },
            },
        }
        paths[f"/b1s/v1/{es}/$count"] = {
            "get": {
                "summary": "Plain-text count (honours $filter)",
                "responses": {"200": {"description": "number"}},
            }
        }
        item: dict[str, Any] = {
            "get": {
                "summary": "One entity; ETag header",
                "responses": {"200": {"description": "entity"}, **_error_responses(401, 404)},
            },
            "delete": {
                "summary": "Documents cannot be deleted",
                "responses": _error_responses(400),
            },
        }
        if es in DOCUMENT_KINDS:
            item["patch"] = {
                "summary": "Partial update; DocumentLines merged by LineNum unless B1S-ReplaceCollectionsOnPatch: true",
                "requestBody": _body("DocumentPatch"),
                "parameters": [
                    {
                        "name": "B1S-ReplaceCollectionsOnPatch",
                        "in": "header",
                        "required": False,
                        "schema": {"type": "string", "enum": ["true", "false"]},
                    },
                    {
                        "name": "If-Match",
                        "in": "header",
                        "required": False,
                        "description": '* or the weak ETag of the last GET (W/"…", not described: '
                        "it changes with every update); a stale tag is 412 (-2039)",
                        "schema": {"type": "string", "enum": ["*"]},
                    },
                ],
                "responses": {
                    "204": {"description": "updated"},
                    **_error_responses(400, 401, 404, 412),
                },
            }
        paths[f"/b1s/v1/{es}({key})"] = item
        actions = ("Cancel", "Close", "Reopen") if es in DOCUMENT_KINDS else ("Cancel",)
        for action in actions:
            paths[f"/b1s/v1/{es}({key})/{action}"] = {
                "post": {
                    "summary": f"{action} the document",
                    "responses": {
                        "204": {"description": "done"},
                        **_error_responses(400, 401, 404),
                    },
                }
            }
    for es, key in MASTER_KEYS.items():
        paths[f"/b1s/v1/{es}"] = {
            "get": {
                "summary": f"List {es} (read-only)",
                "parameters": _query_params(es),
                "responses": {"200": {"description": "collection"}, **_error_responses(400)},
            }
        }
        paths[f"/b1s/v1/{es}('{{{key}}}')"] = {
            "get": {
                "summary": f"One of {es} by {key} ('' escapes a quote)",
                "responses": {"200": {"description": "entity"}, **_error_responses(404)},
            }
        }
    paths["/b1s/v1/BusinessPartners"]["get"]["summary"] = "List BusinessPartners"
    paths["/b1s/v1/BusinessPartners"]["post"] = {
        "summary": "Create a business partner: CardCode (or Series), CardType, CardName, "
        "EmailAddress, FederalTaxID, OCRD UDFs; an existing CardCode is -2035",
        "parameters": [_prefer("return-no-content → 204")],
        "requestBody": _body("BusinessPartnerCreate"),
        "responses": {
            "201": {"description": "the created partner"},
            "204": {"description": "created (Prefer: return-no-content)"},
            **_error_responses(400, 401, 413, 415),
        },
    }
    admin = {
        "/__admin/documents": (
            "get",
            "Every document ever created: entity_set, object_type, DocEntry, DocNum, committed_at, request_id, request, document (?entity_set=)",
        ),
        "/__admin/journal": (
            "get",
            "Request journal (ring buffer): id, at, method, path, query, status, duration_ms, session, fault (?limit=)",
        ),
        "/__admin/reset": (
            "post",
            "Forget documents, sessions, journal; master data back to the catalog",
        ),
        "/__admin/master-data": (
            "post",
            "Upload a catalog JSON (replace) or SL-shaped rows {Items, BusinessPartners, Warehouses, VatGroups} (upsert)",
        ),
        "/__admin/sessions": ("get", "Live session ids (DELETE drops all, like an SL restart)"),
        "/__admin/health": ("get", "Liveness and counts"),
        "/__admin/openapi.json": ("get", "This document"),
    }
    for path, (method, summary) in admin.items():
        paths[path] = {
            method: {
                "summary": summary,
                "security": [],
                "responses": {"200": {"description": "JSON"}},
            }
        }
    paths["/__admin/sessions"]["delete"] = {
        "summary": "Drop every session",
        "security": [],
        "responses": {"200": {"description": "{dropped: n}"}},
    }
    for path in ("/ping/", "/ping/node"):
        paths[path] = {
            "get": {
                "summary": "Health check answered by the load balancer (/ping/) or a node (/ping/node)",
                "security": [],
                "responses": {"200": {"description": "{message: pong, sender, timestamp}"}},
            }
        }
    _finish_paths(paths)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "fakesap — SAP Business One Service Layer emulator (subset)",
            "version": "1.0.0",
            "description": "Every /b1s/v1 path also exists under /b1s/v2 (OData v4 JSON: @odata.context, @odata.count, @odata.nextLink, string error codes). Errors are the SL error object.",
        },
        "servers": [{"url": "http://127.0.0.1:50000"}],
        "components": {
            "securitySchemes": {
                "B1SESSION": {"type": "apiKey", "in": "cookie", "name": "B1SESSION"}
            },
            "schemas": {
                "PostQuery": {
                    "type": "object",
                    "required": ["QueryPath", "QueryOption"],
                    "properties": {
                        "QueryPath": {
                            "type": "string",
                            "enum": ["$crossjoin(Orders,Orders/DocumentLines)"],
                        },
                        "QueryOption": {
                            "type": "string",
                            "pattern": "^\\$expand=Orders(,Orders/DocumentLines)?(&\\$top=[0-9]{1,4})?$",
                        },
                    },
                },
                "Login": {
                    "type": "object",
                    "required": ["CompanyDB", "UserName", "Password"],
                    "properties": {
                        "CompanyDB": {"type": "string"},
                        "UserName": {"type": "string"},
                        "Password": {"type": "string"},
                        "Language": {"type": "integer"},
                    },
                },
                "Error": {
                    "type": "object",
                    "properties": {
                        "error": {
                            "type": "object",
                            "properties": {
                                "code": {"type": ["integer", "string"]},
                                "message": {
                                    "oneOf": [
                                        {"type": "string"},
                                        {
                                            "type": "object",
                                            "properties": {
                                                "lang": {"type": "string"},
                                                "value": {"type": "string"},
                                            },
                                        },
                                    ]
                                },
                            },
                        }
                    },
                },
                **body_schemas(packaged_masterdata()),
            },
        },
        "security": [{"B1SESSION": []}],
        "paths": paths,
        "x-root": root,
    }


_TEMPLATE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_REQUEST_CONFIG = (
    {
        "name": "B1S-PageSize",
        "in": "header",
        "required": False,
        "description": "page size of this request (0 = all in one page); wins over Prefer",
        "schema": {"type": "string", "pattern": "^[0-9]{1,9}$"},
    },
    {
        "name": "B1S-CaseInsensitive",
        "in": "header",
        "required": False,
        "description": "true: string comparisons in $filter ignore case",
        "schema": {"type": "string", "enum": ["true", "false"]},
    },
)


def _finish_paths(paths: dict[str, Any]) -> None:
    """Declare every path template (``{DocEntry}``, ``{CardCode}``…) as a path parameter,
    add the per-request configuration headers to collection reads, and list the 401 that
    every ``/b1s`` operation behind a session can answer."""
    for path, item in paths.items():
        names = _TEMPLATE.findall(path)
        if names:
            item["parameters"] = [
                {
                    "name": name,
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 0, "maximum": 999_999_999}
                    if name == "DocEntry"
                    else {"type": "string", "minLength": 1, "maxLength": 50},
                }
                for name in names
            ]
        if not path.startswith("/b1s/") or path.endswith("/Login"):
            continue
        for method, op in item.items():
            if method == "parameters":
                continue
            statuses = [401, 404] if names else [401]
            if method == "get" and path.endswith("$count"):
                statuses.append(400)
            op["responses"].update(
                {k: v for k, v in _error_responses(*statuses).items() if k not in op["responses"]}
            )
            if method == "get" and not names and "$" not in path and "SQLQueries" not in path:
                op.setdefault("parameters", []).extend(_REQUEST_CONFIG)


def write(path: Path | None = None) -> Path:
    target = path or Path(__file__).with_name("openapi.json")
    target.write_text(json.dumps(build_openapi(), indent=1, ensure_ascii=False) + "\n", "utf-8")
    return target


if __name__ == "__main__":
    print(write())
