"""HTTP side of ``SQLQueries`` (see ``fakesap.sqlqueries``): CRUD on definitions and the
``List`` function that runs one, with server paging and a ``nextLink``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from aiohttp import web

from fakesap.errors import ODataVersion, SLError
from fakesap.http.request_config import request_config
from fakesap.http.wire import entity_json, json_response, service_root
from fakesap.odata.options import _parse_count_value
from fakesap.sqlqueries import definition, parse_param_list, run_query

if TYPE_CHECKING:
    from fakesap.http.routes import SlHandlers

SET = "SQLQueries"


class SqlQueryRoutes:
    def __init__(self, handlers: SlHandlers) -> None:
        self.handlers = handlers
        self.state = handlers.state

    async def handle(self, request: web.Request, version: ODataVersion, tail: str) -> web.Response:
        from fakesap.http.routes import parse_key, read_json, split_resource

        name, key_text, rest = split_resource(tail)
        if name != SET:
            raise SLError.of("resource_not_found", segment=name[:80])
        store: dict[str, dict[str, Any]] = self.state.sql_queries
        method = request.method
        root = service_root(request, version)
        if key_text is None:
            if rest:
                raise SLError.of("resource_not_found", segment=rest[:80])
            if method == "GET":
                rows = [dict(q) for q in store.values()]
                context = f"{root}/$metadata#{SET}"
                key = "@odata.context" if version == "v2" else "odata.metadata"
                return json_response({key: context, "value": rows})
            if method == "POST":
                query = definition(await read_json(request))
                if query["SqlCode"] in store:
                    raise SLError(400, -2035, f"SqlCode '{query['SqlCode']}' already exists")
                store[query["SqlCode"]] = query
                return web.Response(
                    body=entity_json(root, SET, query, version),
                    status=201,
                    headers={"Location": f"{root}/{SET}('{query['SqlCode']}')"},
                    content_type="application/json",
                    charset="utf-8",
                )
            raise SLError.of("method_not_allowed", method=method, segment=SET)
        code = str(parse_key(key_text, "BusinessPartners"))  # a quoted string key
        found = store.get(code)
        if found is None:
            raise SLError.of("no_matching_records")
        query = found
        if rest == "List":
            if method not in ("GET", "POST"):
                raise SLError.of("method_not_allowed", method=method, segment=f"{SET}/List")
            return await self.list(request, version, code, query)
        if rest:
            raise SLError.of("resource_not_found", segment=rest[:80])
        if method == "GET":
            return web.Response(
                body=entity_json(root, SET, query, version),
                content_type="application/json",
                charset="utf-8",
            )
        if method == "PATCH":
            body = await read_json(request)
            if isinstance(body, dict):  # anything else is refused by definition()
                body = {**body, "SqlCode": code}
            store[code] = definition(body, query)
            return web.Response(status=204)
        if method == "DELETE":
            del store[code]
            return web.Response(status=204)
        raise SLError.of("method_not_allowed", method=method, segment=SET)

    async def list(
        self, request: web.Request, version: ODataVersion, code: str, query: dict[str, Any]
    ) -> web.Response:
        asked = request_config(request, self.state.config)
        params: dict[str, Any] = {}
        if request.method == "POST" and (await request.read()).strip():
            from fakesap.http.routes import read_json

            sent = await read_json(request)
            if not isinstance(sent, dict) or not isinstance(sent.get("ParamList", ""), str):
                raise SLError.of("invalid_json", detail='expected {"ParamList": "a=1&b=\'x\'"}')
            params.update(parse_param_list(sent.get("ParamList", "")))
        skip = 0
        for name, value in request.query.items():
            if name == "$skip":
                skip = _parse_count_value("$skip", value) or 0
            elif name == "ParamList":
                params.update(parse_param_list(value))
            elif not name.startswith("$"):
                params[name] = parse_param_list(f"{name}={value}")[name]
        rows = run_query(self.state, query["SqlText"], params)
        size = asked.page_size
        end = len(rows) if size <= 0 else min(len(rows), skip + size)
        root = service_root(request, version)
        context = f"{root}/$metadata#{SET}('{code}')/List"
        body: dict[str, Any] = (
            {"@odata.context": context} if version == "v2" else {"odata.metadata": context}
        )
        body["SqlText"] = query["SqlText"]
        body["value"] = rows[skip:end]
        if end < len(rows):
            parts = [f"$skip={end}"]
            if params:
                encoded = "&".join(
                    f"{k}='{v}'" if isinstance(v, str) else f"{k}={v}" for k, v in params.items()
                )
                parts.insert(0, "ParamList=" + quote(encoded, safe="'"))
            link = f"{SET}('{code}')/List?{'&'.join(parts)}"
            body["@odata.nextLink" if version == "v2" else "odata.nextLink"] = link
        headers = (
            {"Preference-Applied": asked.preference_applied} if asked.preference_applied else None
        )
        return json_response(body, headers=headers)
