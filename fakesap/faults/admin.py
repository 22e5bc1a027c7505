"""``/__admin/faults``: list, add, delete and reset fault rules at run time."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from fakesap.faults.engine import FaultEngine
from fakesap.faults.profiles import ProfileError, load_profile, shipped_profiles
from fakesap.faults.rules import RuleError


def admin_error(status: int, code: str, message: str, field: str | None = None) -> web.Response:
    error: dict[str, Any] = {"code": code, "message": message}
    if field is not None:
        error["field"] = field
    return web.json_response({"error": error}, status=status)


async def _json_body(request: web.Request, *, optional: bool = False) -> Any:
    raw = await request.read()
    if not raw.strip():
        if optional:
            return {}
        raise ValueError("the body must be a JSON object")
    return json.loads(raw)


def add_admin_routes(app: web.Application, engine: FaultEngine) -> None:
    async def list_rules(_request: web.Request) -> web.Response:
        return web.json_response(engine.snapshot())

    async def add_rule(request: web.Request) -> web.Response:
        try:
            raw = await _json_body(request)
        except ValueError as exc:
            return admin_error(400, "invalid_json", f"body is not valid JSON: {exc}")
        try:
            rule = engine.parse_and_add(raw)
        except RuleError as exc:
            return admin_error(400, "invalid_rule", str(exc), exc.field)
        return web.json_response({**rule.to_dict(), "fired": 0}, status=201)

    async def delete_rule(request: web.Request) -> web.Response:
        rule_id = request.match_info["rule_id"]
        if not engine.remove_rule(rule_id):
            return admin_error(404, "unknown_rule", f"no fault rule with id {rule_id!r}")
        return web.Response(status=204)

    async def reset(request: web.Request) -> web.Response:
        try:
            body = await _json_body(request, optional=True)
        except ValueError as exc:
            return admin_error(400, "invalid_json", f"body is not valid JSON: {exc}")
        if not isinstance(body, dict):
            return admin_error(400, "invalid_reset", "body must be a JSON object")
        seed = body.get("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            return admin_error(400, "invalid_reset", "seed must be an integer", "seed")
        if "profile" not in body:
            rules = None
            profile = engine.profile
            if engine.profile is not None:
                try:
                    rules = load_profile(engine.profile).rules
                except ProfileError as exc:
                    return admin_error(400, "invalid_profile", str(exc), "profile")
            else:
                rules = []
        elif body["profile"] in (None, ""):
            rules, profile = [], None
        elif not isinstance(body["profile"], str):
            return admin_error(400, "invalid_reset", "profile must be a name or a path", "profile")
        else:
            try:
                loaded = load_profile(body["profile"])
            except ProfileError as exc:
                return admin_error(400, "invalid_profile", str(exc), "profile")
            rules, profile = loaded.rules, body["profile"]
        engine.reset(seed=seed, rules=rules, profile=profile)
        return web.json_response(engine.snapshot())

    async def profiles(_request: web.Request) -> web.Response:
        out = []
        for name in shipped_profiles():
            p = load_profile(name)
            out.append(
                {
                    "name": name,
                    "description": p.description,
                    "rules": [r.to_dict() for r in p.rules],
                }
            )
        return web.json_response({"profiles": out})

    async def history(_request: web.Request) -> web.Response:
        return web.json_response({"seed": engine.seed, "decisions": list(engine.history)})

    app.router.add_get("/__admin/faults", list_rules)
    app.router.add_post("/__admin/faults", add_rule)
    app.router.add_post("/__admin/faults/reset", reset)
    app.router.add_get("/__admin/faults/profiles", profiles)
    app.router.add_get("/__admin/faults/history", history)
    app.router.add_delete("/__admin/faults/{rule_id}", delete_rule)
