"""``POST /b1s/vN/$batch``: OData batch requests (multipart/mixed) with change sets.

What the Service Layer does, as fakesap does it:

- the answer is ``202 Accepted``, ``multipart/mixed; boundary=batchresponse_<uuid>``,
  one part per request or change set, in request order; each part is an
  ``application/http`` message with the SL status line (``HTTP/1.1 201 Created``), the
  sub-response's headers (``Location``, ``ETag``, ``Content-Type``) and its body;
- a change set (a nested ``multipart/mixed`` part) commits all of its requests or none:
  on the first failure everything it did is rolled back and its part is the failing
  request's error (no partial results); change-set responses carry the request's
  ``Content-ID``;
- processing stops after the first failed part unless the batch is sent with
  ``Prefer: odata.continue-on-error`` (OData v4 semantics, honoured on v1 too);
- inside a change set only writes are allowed (POST create, PATCH, POST actions); GETs
  go outside change sets.

Faults: the fault engine sees the ``$batch`` request as one SL request, so a rule that
drops the reply after the handler ran leaves a change set committed with its answer lost
(the ambiguity a bridge must resolve by looking the documents up).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from fakesap.changeset import atomic
from fakesap.documents.actions import ACTIONS
from fakesap.documents.schema import DOCUMENT_SETS
from fakesap.errors import ODataVersion, SLError, error_body
from fakesap.faults import FAULT_ENGINE_KEY
from fakesap.faults.base import RequestView
from fakesap.faults.middleware import RESOURCE as FAULT_RESOURCE
from fakesap.faults.middleware import chain as fault_chain
from fakesap.http.cookies import cookie
from fakesap.http.wire import (
    JSON_CONTENT_TYPE,
    dumps_bytes,
    entity_json,
    etag,
    service_root,
)
from fakesap.odata import QueryError

if TYPE_CHECKING:
    from fakesap.http.routes import SlHandlers

MAX_PARTS = 1000


@dataclass
class SubRequest:
    method: str
    tail: str  # the resource below /b1s/vN/, with its query string
    headers: CIMultiDict[str]
    body: bytes
    content_id: str | None = None


@dataclass
class Part:
    """A top-level part: one request, or a change set of several."""

    request: SubRequest | None = None
    changeset: list[SubRequest] = field(default_factory=list)


@dataclass
class SubResponse:
    status: int
    headers: dict[str, str]
    body: bytes = b""
    content_id: str | None = None


def boundary_of(content_type: str) -> str | None:
    for param in content_type.split(";")[1:]:
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "boundary" and value:
            return value.strip().strip('"')
    return None


def split_multipart(body: bytes, boundary: str) -> list[bytes]:
    """The parts between ``--boundary`` lines (preamble and epilogue dropped)."""
    delimiter = b"--" + boundary.encode("latin-1")
    chunks = body.split(delimiter)
    if len(chunks) < 2:
        raise SLError.of("invalid_batch", detail=f"no part delimited by --{boundary[:60]}")
    parts: list[bytes] = []
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            break  # the close delimiter
        if len(parts) >= MAX_PARTS:
            raise SLError.of("invalid_batch", detail=f"more than {MAX_PARTS} parts")
        parts.append(chunk.lstrip(b" \t").removeprefix(b"\r\n").removeprefix(b"\n"))
    return parts


def split_head(message: bytes) -> tuple[list[str], bytes]:
    """Header lines and the body of a MIME part or an HTTP message (CRLF or LF)."""
    for sep in (b"\r\n\r\n", b"\n\n"):
        head, found, rest = message.partition(sep)
        if found:
            break
    else:
        head, rest = message, b""
    lines = [line.rstrip("\r") for line in head.decode("utf-8", "replace").split("\n")]
    return [line for line in lines if line], rest


def parse_headers(lines: list[str]) -> CIMultiDict[str]:
    headers: CIMultiDict[str] = CIMultiDict()
    for line in lines:
        name, sep, value = line.partition(":")
        if not sep:
            raise SLError.of("invalid_batch", detail=f"malformed header line {line[:60]!r}")
        headers.add(name.strip(), value.strip())
    return headers


def resource_of(target: str, version: ODataVersion) -> str:
    """``/b1s/v1/Orders(1)``, ``http://host/b1s/v1/Orders`` or ``Orders`` → ``Orders…``."""
    if "://" in target:
        parts = urlsplit(target)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
    prefix = f"/b1s/{version}/"
    if target.startswith(prefix):
        return target[len(prefix) :]
    if target.startswith("/b1s/"):
        raise SLError.of("invalid_batch", detail=f"request {target[:60]!r} is for another version")
    return target.lstrip("/")


def parse_http(message: bytes, version: ODataVersion, content_id: str | None) -> SubRequest:
    lines, body = split_head(message)
    if not lines:
        raise SLError.of("invalid_batch", detail="an application/http part has no request line")
    words = lines[0].split()
    if len(words) < 2 or not words[0].isalpha():
        raise SLError.of("invalid_batch", detail=f"bad request line {lines[0][:60]!r}")
    headers = parse_headers(lines[1:])
    return SubRequest(
        method=words[0].upper(),
        tail=resource_of(words[1], version),
        headers=headers,
        body=body.rstrip(b"\r\n"),
        content_id=content_id or headers.get("Content-ID"),
    )


def parse_batch(body: bytes, content_type: str, version: ODataVersion) -> list[Part]:
    boundary = boundary_of(content_type)
    if not content_type.lower().startswith("multipart/mixed") or boundary is None:
        raise SLError.of(
            "invalid_batch", detail="Content-Type must be multipart/mixed with a boundary"
        )
    parts: list[Part] = []
    for raw in split_multipart(body, boundary):
        lines, content = split_head(raw)
        mime = parse_headers(lines)
        ctype = mime.get("Content-Type", "")
        if ctype.lower().startswith("multipart/mixed"):
            inner = boundary_of(ctype)
            if inner is None:
                raise SLError.of("invalid_batch", detail="a change set has no boundary")
            changeset = []
            for sub in split_multipart(content, inner):
                sub_lines, sub_content = split_head(sub)
                sub_mime = parse_headers(sub_lines)
                changeset.append(parse_http(sub_content, version, sub_mime.get("Content-ID")))
            parts.append(Part(changeset=changeset))
        elif ctype.lower().startswith("application/http"):
            parts.append(Part(request=parse_http(content, version, mime.get("Content-ID"))))
        else:
            raise SLError.of("invalid_batch", detail=f"unexpected part type {ctype[:60]!r}")
    return parts


def sub_view(sub: SubRequest, version: ODataVersion, session_id: str | None) -> RequestView:
    """What the fault engine's rules see of one request inside a batch."""
    resource = sub.tail.split("?")[0]
    m = FAULT_RESOURCE.match(resource)
    body: Any = None
    if sub.body.strip():
        try:
            body = json.loads(sub.body)
        except (ValueError, RecursionError):
            body = None
    return RequestView(
        method=sub.method,
        path=f"/b1s/{version}/{resource}",
        version=version,
        resource=resource,
        entity_set=m.group(1) if m else None,
        key=m.group(2) if m else None,
        body=body,
        session_id=session_id,
    )


def render_http(resp: SubResponse) -> bytes:
    reason = HTTPStatus(resp.status).phrase if resp.status in HTTPStatus._value2member_map_ else ""
    lines = [f"HTTP/1.1 {resp.status} {reason}"]
    lines += [f"{k}: {v}" for k, v in resp.headers.items()]
    if resp.body:
        lines.append(f"Content-Length: {len(resp.body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + resp.body


def render_part(resp: SubResponse) -> bytes:
    head = "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n"
    if resp.content_id:
        head += f"Content-ID: {resp.content_id}\r\n"
    return head.encode() + b"\r\n" + render_http(resp) + b"\r\n"


def error_sub(err: SLError, version: ODataVersion, content_id: str | None = None) -> SubResponse:
    return SubResponse(
        err.status,
        {"Content-Type": JSON_CONTENT_TYPE, **(err.headers or {})},
        dumps_bytes(error_body(err.code, err.message, version)),
        content_id,
    )


class PartRequest:
    """What the read handlers use of a request, for a GET inside a batch (aiohttp cannot
    clone a request whose body was read): method, URL query, headers, scheme and host."""

    def __init__(self, outer: web.Request, sub: SubRequest, version: ODataVersion) -> None:
        url = URL(f"/b1s/{version}/{sub.tail}")
        self.method = sub.method
        self.path = url.path
        self.tail = url.path[len(f"/b1s/{version}/") :]
        self.query = url.query
        self.query_string = url.query_string
        self.headers = CIMultiDictProxy(sub.headers)
        self.scheme = outer.scheme
        self.host = outer.host
        self.match_info = {"version": version, "tail": self.tail}

    def get(self, key: object, default: object = None) -> object:
        return default


class BatchHandler:
    """Runs a parsed batch against the handlers' backend."""

    def __init__(self, handlers: SlHandlers) -> None:
        self.handlers = handlers
        self.state = handlers.state

    async def handle(self, request: web.Request, version: ODataVersion) -> web.Response:
        body = await request.read()
        parts = parse_batch(body, request.headers.get("Content-Type", ""), version)
        go_on = "odata.continue-on-error" in (request.headers.get("Prefer") or "")
        outer = f"batchresponse_{uuid.uuid4()}"
        chunks: list[bytes] = []
        for part in parts:
            if part.request is not None:
                single = part.request
                [resp], _ = await self.with_faults(
                    request,
                    [single],
                    version,
                    partial(self.single_as_list, request, single, version),
                )
                chunks.append(render_part(resp))
                failed = resp.status >= 400
            else:
                subs = part.changeset
                responses, failed = await self.with_faults(
                    request,
                    subs,
                    version,
                    partial(self.run_changeset, request, subs, version),
                )
                if failed:
                    chunks.append(render_part(responses[0]))
                else:
                    inner = f"changesetresponse_{uuid.uuid4()}"
                    payload = b"".join(
                        f"--{inner}\r\n".encode() + render_part(r) for r in responses
                    )
                    payload += f"--{inner}--\r\n".encode()
                    chunks.append(
                        f"Content-Type: multipart/mixed; boundary={inner}\r\n\r\n".encode()
                        + payload
                    )
            if failed and not go_on:
                break
        out = b"".join(f"--{outer}\r\n".encode() + c for c in chunks) + f"--{outer}--\r\n".encode()
        return web.Response(
            status=202,
            body=out,
            headers={"Content-Type": f"multipart/mixed; boundary={outer}"},
        )

    async def single_as_list(
        self, request: web.Request, sub: SubRequest, version: ODataVersion
    ) -> tuple[list[SubResponse], bool]:
        resp = await self.single(request, sub, version)
        return [resp], resp.status >= 400

    async def with_faults(
        self,
        request: web.Request,
        subs: list[SubRequest],
        version: ODataVersion,
        run: Callable[[], Awaitable[tuple[list[SubResponse], bool]]],
    ) -> tuple[list[SubResponse], bool]:
        """Run one part (a request, or a change set as one unit) inside the faults the
        engine picks for its requests, as if each had come alone: an error fault answers
        in its place (a change set then does not run), a commit-then-fail runs it and
        loses its answers, delays delay it."""
        engine = request.app.get(FAULT_ENGINE_KEY)
        if engine is None or not engine.rules:
            return await run()
        session = cookie(request, "B1SESSION")
        picked = []
        for sub in subs:
            view = sub_view(sub, version, session)
            decision = engine.decide(view, "sl")
            if decision is not None:
                picked.append((decision, view))
        if not picked:
            return await run()
        seen: dict[str, Any] = {}

        async def base(_request: web.Request) -> web.StreamResponse:
            responses, failed = await run()
            reply = web.Response(
                status=responses[0].status if failed else 200,
                body=responses[0].body if failed else b"{}",
                content_type="application/json",
            )
            seen["result"], seen["reply"] = (responses, failed), reply
            return reply

        handler: Any = base
        for decision, view in reversed(picked):
            handler = fault_chain(decision, request, view, self.state, engine, handler)
        try:
            final = await handler(request)
        finally:
            for decision, _ in picked:
                decision.finish()
        if final is seen.get("reply"):
            result: tuple[list[SubResponse], bool] = seen["result"]
            return result
        body = (
            final.body if isinstance(final, web.Response) and isinstance(final.body, bytes) else b""
        )
        headers = {"Content-Type": final.headers.get("Content-Type", JSON_CONTENT_TYPE)}
        return [SubResponse(final.status, headers, body, subs[0].content_id)], True

    async def single(
        self, request: web.Request, sub: SubRequest, version: ODataVersion
    ) -> SubResponse:
        """A request outside any change set: reads through the ordinary handlers, writes
        as a change set of one."""
        if sub.method != "GET":
            responses, _ = await self.run_changeset(request, [sub], version)
            return responses[0]
        try:
            part = PartRequest(request, sub, version)
            reply = await self.handlers.route(cast(web.Request, part), version, part.tail)
        except SLError as err:
            return error_sub(err, version, sub.content_id)
        except QueryError as exc:
            return error_sub(exc.sl_error(), version, sub.content_id)
        assert isinstance(reply, web.Response)
        headers = {
            k: v for k, v in reply.headers.items() if k in ("Content-Type", "ETag", "Location")
        }
        raw = reply.body if isinstance(reply.body, bytes) else b""
        return SubResponse(reply.status, headers, raw, sub.content_id)

    async def run_changeset(
        self, request: web.Request, subs: list[SubRequest], version: ODataVersion
    ) -> tuple[list[SubResponse], bool]:
        """Every write or none; on failure the one error response and True."""
        done: list[tuple[str, str, dict[str, Any]]] = []
        responses: list[SubResponse] = []
        current: SubRequest | None = None
        try:
            with atomic(self.state):
                for sub in subs:
                    current = sub
                    responses.append(self.write(request, sub, version, done))
        except SLError as err:
            cid = current.content_id if current else None
            return [error_sub(err, version, cid)], True
        await self.state._durable()
        if self.state.subscribers:
            for event, entity_set, doc in done:
                await self.state._notify(event, entity_set, doc)
        return responses, False

    def write(
        self,
        request: web.Request,
        sub: SubRequest,
        version: ODataVersion,
        done: list[tuple[str, str, dict[str, Any]]],
    ) -> SubResponse:
        from fakesap.http.routes import parse_key, split_resource

        state = self.state
        path = sub.tail.split("?")[0]
        name, key_text, rest = split_resource(path)
        if name not in DOCUMENT_SETS:
            if sub.method == "GET":
                raise SLError.of("invalid_batch", detail="GET is not allowed inside a change set")
            raise SLError.of("method_not_allowed", method=sub.method, segment=name[:80])
        root = service_root(request, version)
        if key_text is None and not rest and sub.method == "POST":
            doc = state.create_document_now(
                name,
                decode(sub.body),
                request={
                    "method": "POST",
                    "path": f"/b1s/{version}/{name}",
                    "body": sub.body,
                    "id": None,
                },
            )
            done.append(("created", name, doc))
            tag = etag(doc)
            headers = {
                "Content-Type": JSON_CONTENT_TYPE,
                "Location": f"{root}/{name}({doc['DocEntry']})",
            }
            if version == "v2":
                headers["ETag"] = tag
            body = entity_json(root, name, doc, version, tag if version == "v2" else None)
            return SubResponse(201, headers, body, sub.content_id)
        if key_text is None:
            raise SLError.of("method_not_allowed", method=sub.method, segment=name[:80])
        key = parse_key(key_text, name)
        if rest and sub.method == "POST" and rest in ACTIONS:
            doc = state.document_action_now(name, key, rest)
            event = {"Cancel": "cancelled", "Close": "closed", "Reopen": "updated"}[rest]
            done.append((event, name, doc))
            return SubResponse(204, {}, b"", sub.content_id)
        if not rest and sub.method == "PATCH":
            if_match = sub.headers.get("If-Match")
            if if_match and if_match != "*" and if_match != etag(state.get_entity(name, key)):
                raise SLError.of("etag_mismatch")
            replace = sub.headers.get("B1S-ReplaceCollectionsOnPatch", "").lower() == "true"
            doc = state.patch_document_now(name, key, decode(sub.body), replace_collections=replace)
            done.append(("updated", name, doc))
            return SubResponse(204, {}, b"", sub.content_id)
        raise SLError.of("method_not_allowed", method=sub.method, segment=path[:80])


def decode(raw: bytes) -> Any:
    from fakesap.http.routes import DECODER

    if not raw.strip():
        raise SLError.of("invalid_json", detail="the request body is empty")
    try:
        return DECODER.decode(raw.decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise SLError.of("invalid_json", detail=str(exc)[:120]) from None
