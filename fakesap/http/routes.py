"""The ``/b1s/v1`` and ``/b1s/v2`` resources: Login/Logout, entity sets, single entities,
``$count`` and document actions, dispatched by one handler (moto's ``responses``).

The handler only parses HTTP and renders SL JSON; all behaviour is in ``FakeSap``.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from aiohttp import web
from multidict import MultiDict

from fakesap.backend import ENTITY_SETS, FakeSap
from fakesap.documents.actions import ACTIONS
from fakesap.documents.builder import HEADER_ALLOWED
from fakesap.documents.payments import PAYMENT_ALLOWED
from fakesap.documents.schema import DOCUMENT_KINDS, DOCUMENT_SETS
from fakesap.errors import ODataVersion, SLError
from fakesap.http.batch import BatchHandler
from fakesap.http.cookies import sl_cookies
from fakesap.http.keys import FAKESAP_KEY, REQUEST_ID_KEY
from fakesap.http.request_config import RequestConfig, request_config
from fakesap.http.sql_routes import SET as SQL_SET
from fakesap.http.sql_routes import SqlQueryRoutes
from fakesap.http.wire import (
    JSON_CONTENT_TYPE,
    collection_body,
    entities_response,
    entity_json,
    etag,
    json_response,
    service_root,
)
from fakesap.masterdata import MASTER_SETS
from fakesap.odata import (
    apply_query,
    count_matching,
    next_link,
    parse_query,
    project,
)
from fakesap.odata.apply import parse_apply, result_columns, run_apply
from fakesap.odata.crossjoin import parse_crossjoin, parse_members, run_crossjoin, split_options
from fakesap.odata.errors import QueryError
from fakesap.odata.metadata import build_metadata
from fakesap.partners import PARTNER_FIELDS
from fakesap.sessions import Session

#: bodies are JSON whatever the header says (``curl -d`` sends form-urlencoded to the real
#: SL and works); only types that cannot carry JSON are refused with 415
REFUSED_TYPES = (
    "multipart/",
    "application/xml",
    "text/xml",
    "application/atom+xml",
    "image/",
    "audio/",
    "video/",
)
SESSION_PURGE_S = 60.0


#: what a balancer member's route looks like (``.node1``); anything else names no node
_NODE_ROUTE = re.compile(r"\.?node\d{1,6}\Z")


def names_a_node(route: str) -> bool:
    """Whether a ``ROUTEID`` value names a cluster node. Apache's balancer ignores a route
    that matches no member (``ROUTEID=None``, sent by clients whose login reply carried
    no route, or an empty value) and picks a node itself: the session is still valid."""
    return _NODE_ROUTE.match(route) is not None


def version_of(request: web.Request) -> ODataVersion:
    return "v2" if request.path.startswith("/b1s/v2") else "v1"


def split_resource(tail: str) -> tuple[str, str | None, str | None]:
    """``Orders(12)/Cancel`` → ("Orders", "12", "Cancel"); quotes may hold ``(``/``)``."""
    if "(" not in tail and "/" not in tail:
        return tail, None, None
    cut = len(tail)
    for i, ch in enumerate(tail):
        if ch in "(/":
            cut = i
            break
    name = tail[:cut]
    if cut == len(tail):
        return name, None, None
    if tail[cut] == "/":
        return name, None, tail[cut + 1 :]
    in_quote = False
    for j in range(cut + 1, len(tail)):
        ch = tail[j]
        if ch == "'":
            in_quote = not in_quote
        elif ch == ")" and not in_quote:
            key = tail[cut + 1 : j]
            rest = tail[j + 1 :]
            if rest and not rest.startswith("/"):
                raise SLError.of("resource_not_found", segment=tail[:80])
            return name, key, rest[1:] if rest else None
    raise SLError.of("resource_not_found", segment=tail[:80])


def parse_key(text: str, entity_set: str) -> int | str:
    """``12`` for documents, ``'A0001'`` (``''`` escapes a quote) for master data."""
    if entity_set in MASTER_SETS:
        if len(text) >= 2 and text[0] == text[-1] == "'":
            return text[1:-1].replace("''", "'")
        raise SLError.of("resource_not_found", segment=f"{entity_set}({text[:60]})")
    if text.isascii() and text.isdigit() and len(text) < 10:
        return int(text)
    raise SLError.of("resource_not_found", segment=f"{entity_set}({text[:60]})")


#: one decoder for every body: numbers with decimals become Decimal, exactly
DECODER = json.JSONDecoder(parse_float=Decimal)


async def read_body(request: web.Request) -> tuple[bytes, Any]:
    """The raw request body and its JSON (``json.loads`` semantics: UTF-8/16/32 detected)."""
    ctype = request.headers.get("Content-Type")
    if ctype and ctype.lower().startswith(REFUSED_TYPES):
        raise SLError.of("unsupported_media_type", content_type=ctype.split(";")[0][:60])
    raw = await request.read()
    if not raw or raw.isspace():
        raise SLError.of("invalid_json", detail="the request body is empty")
    try:
        # json.loads' encoding detection; a body starting with ``{`` and no NUL is UTF-8
        utf8 = raw[:1] == b"{" and raw[1:2] != b"\x00"
        encoding = "utf-8" if utf8 else json.detect_encoding(raw)
        return raw, DECODER.decode(raw.decode(encoding, "surrogatepass"))
    except RecursionError:
        raise SLError.of("invalid_json", detail="nested too deeply") from None
    except ValueError as exc:
        raise SLError.of("invalid_json", detail=str(exc)[:120]) from None


async def read_json(request: web.Request) -> Any:
    """The request body as JSON (numbers with decimals become Decimal, exactly)."""
    return (await read_body(request))[1]


def prefers_no_content(request: web.Request) -> bool:
    prefer = request.headers.get("Prefer") or ""
    return "return-no-content" in prefer or "return=minimal" in prefer


def allowed_methods(tail: str) -> list[str]:
    """The methods fakesap serves on one ``/b1s/vN/<tail>`` resource."""
    if tail == "$metadata" or tail.startswith("$crossjoin("):
        return ["GET"]
    if tail == "QueryService_PostQuery":
        return ["POST"]
    if tail == SQL_SET:
        return ["GET", "POST"]
    if tail.startswith(SQL_SET + "("):
        return ["GET", "POST"] if tail.endswith("/List") else ["DELETE", "GET", "PATCH"]
    if tail in ("Login", "Logout", "$batch"):
        return ["POST"]
    if tail == "":
        return ["GET"]
    try:
        name, key_text, rest = split_resource(tail)
    except SLError:
        return []
    if name not in ENTITY_SETS:
        return []
    documents = name in DOCUMENT_SETS
    if key_text is None:
        if rest == "$count":
            return ["GET"]
        creatable = documents or name == "BusinessPartners"
        return ["GET", "POST"] if creatable and not rest else ["GET"] if not rest else []
    if rest:
        return ["POST"] if rest in ACTIONS and documents else []
    if name in DOCUMENT_KINDS:
        return ["DELETE", "GET", "PATCH"]
    return ["DELETE", "GET"] if documents else ["GET"]


class SlHandlers:
    """Handlers bound to one ``FakeSap``."""

    def __init__(self, state: FakeSap) -> None:
        self.state = state
        self.route_id = f".node{state.config.route_node}"
        self._last_purge = state.clock()
        self._fields: dict[str, frozenset[str]] = {}
        self._fields_of: object = state.udfs
        self._md_of: object = state.md
        self._paths: dict[str, str] = {}  # at most the document sets under v1 and v2
        self.batch = BatchHandler(self)
        self.sql = SqlQueryRoutes(self)

    # ---- sessions -------------------------------------------------------------------------
    def authenticate(self, request: web.Request) -> Session:
        session_id, route = sl_cookies(request)
        if route is not None and route != self.route_id and names_a_node(route):
            raise SLError.of("invalid_session")  # another cluster node: session unknown there
        session = self.state.sessions.touch(session_id)
        if session is None:
            raise SLError.of("invalid_session")
        return session

    async def login(self, request: web.Request, version: ODataVersion) -> web.Response:
        body = await read_json(request)
        if not isinstance(body, dict):
            raise SLError.of("invalid_json", detail="the body must be a JSON object")
        config = self.state.config
        company_db, user, password = (
            body.get("CompanyDB"),
            body.get("UserName"),
            body.get("Password"),
        )
        if not all(isinstance(v, str) for v in (company_db, user, password)):
            raise SLError.of("login_failed")
        company = config.company(str(company_db))
        if company is None:
            raise SLError.of("unknown_company", company=str(company_db)[:60])
        if company.users.get(str(user)) != password:
            raise SLError.of("login_failed")
        now = self.state.clock()
        if now - self._last_purge > SESSION_PURGE_S:
            self.state.sessions.purge_idle()
            self._last_purge = now
        limit = config.max_sessions_per_user
        if limit and self.state.sessions.count_for(company.db, str(user)) >= limit:
            raise SLError.of("too_many_sessions", user=str(user), limit=limit)
        session = self.state.sessions.new(company.db, str(user))
        root = service_root(request, version)
        reply: dict[str, Any] = (
            {"@odata.context": f"{root}/$metadata#B1Sessions/$entity"}
            if version == "v2"
            else {"odata.metadata": f"{root}/$metadata#B1Sessions/@Element"}
        )
        reply.update(
            SessionId=session.session_id,
            Version=config.version,
            SessionTimeout=config.session_timeout_min,
        )
        resp = json_response(reply)
        resp.set_cookie("B1SESSION", session.session_id, path="/b1s", httponly=True)
        resp.set_cookie("ROUTEID", self.route_id, path="/b1s")
        return resp

    async def logout(self, request: web.Request, session: Session) -> web.Response:
        self.state.sessions.drop(session.session_id)
        return web.Response(status=204)

    # ---- dispatch -------------------------------------------------------------------------
    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        """Route one ``/b1s`` request; a 405 carries ``Allow`` naming what the resource
        does accept (RFC 9110), as any HTTP server in front of the SL would."""
        try:
            return await self._dispatch(request)
        except SLError as err:
            if err.name == "method_not_allowed":
                allowed = allowed_methods(request.match_info.get("tail", ""))
                if allowed:
                    err.headers = {"Allow": ", ".join(allowed)}
            raise

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        version: ODataVersion = "v2" if request.match_info["version"] == "v2" else "v1"
        tail = request.match_info.get("tail", "")
        method = request.method
        if tail == "Login":
            if method != "POST":
                raise SLError.of("method_not_allowed", method=method, segment=tail)
            return await self.login(request, version)
        session = self.authenticate(request)
        if tail == "Logout":
            if method != "POST":
                raise SLError.of("method_not_allowed", method=method, segment=tail)
            return await self.logout(request, session)
        if tail == "$batch":
            if method != "POST":
                raise SLError.of("method_not_allowed", method=method, segment=tail)
            return await self.batch.handle(request, version)
        return await self.route(request, version, tail)

    async def route(
        self, request: web.Request, version: ODataVersion, tail: str
    ) -> web.StreamResponse:
        """Serve an authenticated request for one resource (also a ``$batch`` part's GET)."""
        method = request.method
        if tail.startswith("$crossjoin("):
            if method != "GET":
                raise SLError.of("method_not_allowed", method=method, segment="$crossjoin")
            query = request.query
            for name in query:
                if len(query.getall(name)) > 1:
                    raise QueryError(name, f"{name} is given more than once")
            return self.crossjoin(request, version, tail, dict(query))
        if tail == "QueryService_PostQuery":
            if method != "POST":
                raise SLError.of("method_not_allowed", method=method, segment=tail)
            body = await read_json(request)
            if not isinstance(body, dict) or not all(
                isinstance(body.get(k), str) for k in ("QueryPath", "QueryOption")
            ):
                raise SLError.of(
                    "invalid_json", detail='expected {"QueryPath": ..., "QueryOption": ...}'
                )
            options = split_options(body["QueryOption"])
            return self.crossjoin(request, version, body["QueryPath"], options)
        if tail == SQL_SET or tail.startswith(SQL_SET + "("):
            return await self.sql.handle(request, version, tail)
        if tail == "$metadata":
            if method != "GET":
                raise SLError.of("method_not_allowed", method=method, segment=tail)
            return web.Response(
                text=build_metadata(self.state, version),
                content_type="application/xml",
                charset="utf-8",
            )
        if tail == "":
            if method != "GET":
                raise SLError.of("method_not_allowed", method=method, segment=f"b1s/{version}")
            return self.service_document(request, version)
        name, key_text, rest = split_resource(tail)
        if name not in ENTITY_SETS:
            raise SLError.of("resource_not_found", segment=name[:80] or tail[:80])
        if key_text is None:
            if rest == "$count":
                if method != "GET":
                    raise SLError.of("method_not_allowed", method=method, segment=f"{name}/$count")
                return self.count(request, name, version)
            if rest:
                raise SLError.of("resource_not_found", segment=rest[:80])
            if method == "GET":
                return self.collection(request, name, version)
            if method == "POST" and name in DOCUMENT_SETS:
                return await self.create(request, name, version)
            if method == "POST" and name == "BusinessPartners":
                return await self.create_partner(request, version)
            raise SLError.of("method_not_allowed", method=method, segment=name)
        key = parse_key(key_text, name)
        if rest:
            if method == "POST" and rest in ACTIONS and name in DOCUMENT_SETS:
                await self.state.document_action(name, key, rest)  # type: ignore[arg-type]
                return web.Response(status=204)
            if rest in ACTIONS:
                raise SLError.of("method_not_allowed", method=method, segment=f"{name}/{rest}")
            raise SLError.of("resource_not_found", segment=rest[:80])
        if method == "GET":
            return self.entity(request, name, key, version)
        if method == "PATCH" and name in DOCUMENT_KINDS:
            return await self.patch(request, name, key)
        if method == "DELETE" and name in DOCUMENT_SETS:
            raise SLError.of("documents_not_deletable")
        raise SLError.of("method_not_allowed", method=method, segment=name)

    # ---- reads ----------------------------------------------------------------------------
    def service_document(self, request: web.Request, version: ODataVersion) -> web.Response:
        """``GET /b1s/v1`` (or ``/b1s/v1/``): the OData service document listing the entity
        sets, as the Service Layer answers a logged-in client (v1: OData v3 JSON with
        ``odata.metadata``; v2: OData v4 with ``@odata.context`` and ``kind``)."""
        root = service_root(request, version)
        if version == "v2":
            sets = [{"name": n, "kind": "EntitySet", "url": n} for n in ENTITY_SETS]
            return json_response({"@odata.context": f"{root}/$metadata", "value": sets})
        return json_response(
            {
                "odata.metadata": f"{root}/$metadata",
                "value": [{"name": n, "url": n} for n in ENTITY_SETS],
            }
        )

    def fields(self, entity_set: str) -> frozenset[str]:
        """Property names a query may use (unknown ones are refused, as the SL does)."""
        if self._fields_of is not self.state.udfs or self._md_of is not self.state.md:
            self._fields.clear()  # a master-data upload changed UDFs or columns
            self._fields_of, self._md_of = self.state.udfs, self.state.md
        known = self._fields.get(entity_set)
        if known is None:
            state = self.state
            if entity_set in DOCUMENT_KINDS:
                kind = DOCUMENT_KINDS[entity_set]
                known = (
                    HEADER_ALLOWED | state.udfs.get(kind.header_table, frozenset()) | {"PaidToDate"}
                )
            elif entity_set in DOCUMENT_SETS:
                known = PAYMENT_ALLOWED | state.udfs.get("ORCT", frozenset()) | {"DocObjectCode"}
            else:
                names: set[str] = set()
                for row in state.list_entities(entity_set):
                    names.update(row)
                if entity_set == "BusinessPartners":  # declared columns and OCRD UDFs
                    names.update(PARTNER_FIELDS)
                    names.update(state.udfs.get("OCRD", frozenset()))
                known = frozenset(names)
            self._fields[entity_set] = known
        return known

    def collection(self, request: web.Request, name: str, version: ODataVersion) -> web.Response:
        asked = request_config(request, self.state.config)
        page_size = asked.page_size
        if "$apply" in request.query:
            return self.aggregated(request, name, version, asked)
        opts = parse_query(
            request.query,
            version,
            page_size,
            fields=self.fields(name),
            case_insensitive=asked.case_insensitive,
        )
        entities = self.state.list_entities(name)
        if version == "v2":  # OData v4: each entity carries its @odata.etag
            result = apply_query(entities, replace(opts, select=None), page_size)
            full = result.rows
            result.rows = [
                {"@odata.etag": etag(row), **picked}
                for row, picked in zip(full, project(full, opts.select), strict=True)
            ]
        else:
            result = apply_query(entities, opts, page_size)
        link = next_link(name, opts, result.next_skip) if result.next_skip is not None else None
        body = collection_body(
            service_root(request, version),
            name,
            result.rows,
            version,
            result.total if opts.count else None,
            link,
        )
        applied = asked.preference_applied
        return entities_response(body, headers={"Preference-Applied": applied} if applied else None)

    def aggregated(
        self, request: web.Request, name: str, version: ODataVersion, asked: RequestConfig
    ) -> web.Response:
        """A collection read with ``$apply``: ``$filter`` narrows the rows first, the
        transformations run, then ``$orderby``/``$skip``/``$top``/``$select`` and server
        paging work on the aggregated rows (their names are the group properties and
        aliases)."""
        query = request.query
        if len(query.getall("$apply")) > 1:
            raise QueryError("$apply", "$apply is given more than once")
        fields = self.fields(name)
        steps = parse_apply(
            query["$apply"], version, fields, case_insensitive=asked.case_insensitive
        )
        pre_params = {"$filter": query["$filter"]} if "$filter" in query else {}
        pre = parse_query(
            pre_params, version, fields=fields, case_insensitive=asked.case_insensitive
        )
        rows: list[dict[str, Any]] = self.state.list_entities(name)
        if pre.filter is not None:
            rows = [row for row in rows if pre.filter(row)]
        out = run_apply(rows, steps)
        rest = MultiDict((k, v) for k, v in query.items() if k not in ("$apply", "$filter"))
        post = parse_query(rest, version, asked.page_size, fields=result_columns(steps, fields))
        result = apply_query(out, post, asked.page_size)
        link = None
        if result.next_skip is not None:
            link = next_link(name, post, result.next_skip)
            extra = "$apply=" + quote(query["$apply"], safe="'(),/:$")
            if pre.filter_text is not None:
                extra += "&$filter=" + quote(pre.filter_text, safe="'(),/:")
            link = link.replace("?", f"?{extra}&", 1)
        body = collection_body(
            service_root(request, version),
            name,
            result.rows,
            version,
            result.total if post.count else None,
            link,
        )
        return entities_response(body)

    def crossjoin(
        self,
        request: web.Request,
        version: ODataVersion,
        query_path: str,
        options: dict[str, str],
    ) -> web.Response:
        """``$crossjoin`` (GET) and ``QueryService_PostQuery`` (POST): see
        ``fakesap.odata.crossjoin``."""
        asked = request_config(request, self.state.config)
        members = parse_members(query_path, {n: n in DOCUMENT_SETS for n in ENTITY_SETS})
        cj = parse_crossjoin(members, options, version, case_insensitive=asked.case_insensitive)
        rows, next_skip = run_crossjoin(cj, self.state.list_entities, asked.page_size)
        root = service_root(request, version)
        context = f"{root}/$metadata#Collection(Edm.ComplexType)"
        body: dict[str, Any] = (
            {"@odata.context": context} if version == "v2" else {"odata.metadata": context}
        )
        body["value"] = rows
        if next_skip is not None:
            kept = {k: v for k, v in options.items() if k not in ("$skip", "$top")}
            if cj.top is not None:
                kept["$top"] = str(cj.skip + cj.top - next_skip)
            kept["$skip"] = str(next_skip)
            safe = "'(),/:$="
            link = "&".join(f"{k}={quote(v, safe=safe)}" for k, v in kept.items())
            key = "@odata.nextLink" if version == "v2" else "odata.nextLink"
            body[key] = f"$crossjoin({','.join(members)})?{link}"
        return entities_response(body)

    def count(self, request: web.Request, name: str, version: ODataVersion) -> web.Response:
        asked = request_config(request, self.state.config)
        opts = parse_query(
            request.query,
            version,
            self.state.config.page_size,
            fields=self.fields(name),
            case_insensitive=asked.case_insensitive,
        )
        n = count_matching(self.state.list_entities(name), opts)
        return web.Response(text=str(n), content_type="text/plain")

    def entity(
        self, request: web.Request, name: str, key: int | str, version: ODataVersion
    ) -> web.Response:
        row = self.state.get_entity(name, key)
        tag = etag(row)
        select = request.query.get("$select")
        if select is not None:
            opts = parse_query({"$select": select}, version, 1, fields=self.fields(name))
            row = project([row], opts.select)[0]
        body = entity_json(
            service_root(request, version), name, row, version, tag if version == "v2" else None
        )
        return web.Response(body=body, headers={"ETag": tag, "Content-Type": JSON_CONTENT_TYPE})

    # ---- writes ---------------------------------------------------------------------------
    async def create(self, request: web.Request, name: str, version: ODataVersion) -> web.Response:
        raw, body = await read_body(request)
        path = request.path
        doc = await self.state.create_document(
            name,
            body,
            # the ground truth keeps the raw bytes (compact) and one shared copy of the path
            request={
                "method": "POST",
                "path": self._paths.setdefault(path, path),
                "body": raw,
                "id": request.get(REQUEST_ID_KEY),
            },
        )
        root = service_root(request, version)
        location = f"{root}/{name}({doc['DocEntry']})"
        if prefers_no_content(request):
            return web.Response(
                status=204,
                headers={"Location": location, "Preference-Applied": "return-no-content"},
            )
        if version == "v2":  # OData v4: the new entity's ETag, as header and annotation
            tag = etag(doc)
            return web.Response(
                body=entity_json(root, name, doc, version, tag),
                status=201,
                headers={"Location": location, "ETag": tag, "Content-Type": JSON_CONTENT_TYPE},
            )
        return web.Response(
            body=entity_json(root, name, doc, version),
            status=201,
            headers={"Location": location, "Content-Type": JSON_CONTENT_TYPE},
        )

    async def create_partner(self, request: web.Request, version: ODataVersion) -> web.Response:
        """``POST /BusinessPartners``: 201 with the new partner (204 on return-no-content)."""
        body = await read_json(request)
        row = await self.state.create_business_partner(
            body, request={"id": request.get(REQUEST_ID_KEY)}
        )
        root = service_root(request, version)
        location = f"{root}/BusinessPartners('{row['CardCode']}')"
        if prefers_no_content(request):
            return web.Response(
                status=204,
                headers={"Location": location, "Preference-Applied": "return-no-content"},
            )
        tag = etag(row)
        return web.Response(
            body=entity_json(
                root, "BusinessPartners", row, version, tag if version == "v2" else None
            ),
            status=201,
            headers={"Location": location, "ETag": tag, "Content-Type": JSON_CONTENT_TYPE},
        )

    async def patch(self, request: web.Request, name: str, key: int | str) -> web.Response:
        if_match = request.headers.get("If-Match")
        if if_match and if_match != "*" and if_match != etag(self.state.get_entity(name, key)):
            raise SLError.of("etag_mismatch")
        body = await read_json(request)
        replace = request.headers.get("B1S-ReplaceCollectionsOnPatch", "").lower() == "true"
        await self.state.patch_document(name, key, body, replace_collections=replace)
        return web.Response(status=204)


def add_sl_routes(app: web.Application, state: FakeSap) -> SlHandlers:
    handlers = SlHandlers(state)
    app.router.add_route("*", "/b1s/{version:v1|v2}/{tail:.*}", handlers.dispatch)
    app.router.add_route("*", "/b1s/{version:v1|v2}", handlers.dispatch)  # the service root
    return handlers


__all__ = [
    "FAKESAP_KEY",
    "SlHandlers",
    "add_sl_routes",
    "read_json",
    "split_resource",
    "version_of",
]
