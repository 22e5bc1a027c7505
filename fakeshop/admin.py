"""Ground truth and control under ``/__admin/`` (never under ``/wp-json``): every order with
its history, every delivery attempt, everything clients wrote back, chaos, load, reset."""

from __future__ import annotations

import json
import math
from typing import Any

from aiohttp import web

from fakeshop.chaos.profiles import PROFILES, profile
from fakeshop.context import FAKESHOP_KEY, Shop
from fakeshop.errors import WooError
from fakeshop.timefmt import iso_ms


def _shop(request: web.Request) -> Shop:
    return request.app[FAKESHOP_KEY]


def _number(data: dict[str, Any], name: str, default: float) -> float:
    """A finite JSON number (or numeric string) from an admin body; ValueError otherwise."""
    value = data.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{name} must be a number")
    try:
        number = float(value)
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"{name} must be a number") from exc
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number")
    return number


def _bad(message: str, status: int = 400) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def _json_body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except RecursionError as exc:
        raise ValueError("body nests too deeply") from exc
    if not isinstance(data, dict):
        raise ValueError("body must be a JSON object")
    return data


async def orders(request: web.Request) -> web.Response:
    state = _shop(request).state
    return web.json_response(
        {
            "orders": [
                {
                    "id": r.id,
                    "created_at": iso_ms(r.created_at),
                    "order": r.order,
                    "history": r.history,
                    "refunds": state.refunds.get(r.id, []),
                    "notes": state.notes.get(r.id, []),
                }
                for r in state.orders.values()
            ]
        }
    )


async def deliveries(request: web.Request) -> web.Response:
    return web.json_response({"deliveries": _shop(request).state.deliveries})


async def received(request: web.Request) -> web.Response:
    """Everything clients wrote back; ``?since=N`` skips the first N records (an
    incremental cursor: the answer's ``next`` is the cursor for the following call)."""
    rows = _shop(request).state.received
    since = request.query.get("since", "0")
    start = int(since) if since.isdigit() else 0
    return web.json_response({"received": rows[start:], "next": len(rows)})


async def stats(request: web.Request) -> web.Response:
    """Counters of the ground truth, cheap enough to poll many times a second (a
    harness waits for them to stop moving instead of re-reading every order)."""
    shop = _shop(request)
    state = shop.state
    return web.json_response(
        {
            "orders": len(state.orders),
            "changes": state.changes,
            "deliveries": len(state.deliveries),
            "pending_deliveries": shop.engine.pending,
            "received": len(state.received),
            "events": len(state.events),
            "magento_pending": await shop.magento.pending() if shop.magento else 0,
            # orders whose lifecycle plan still has steps to come (a scenario waits for 0)
            "lifecycle_pending": len(shop.runner.tasks),
        }
    )


async def events(request: web.Request) -> web.Response:
    shop = _shop(request)
    pending = await shop.magento.pending() if shop.magento else 0
    return web.json_response({"events": shop.state.events, "pending": pending})


async def webhooks(request: web.Request) -> web.Response:
    state = _shop(request).state
    return web.json_response(
        {
            "webhooks": [
                {
                    "id": w.id,
                    "status": w.status,
                    "topic": w.topic,
                    "delivery_url": w.delivery_url,
                    "secret": w.secret,
                    "failure_count": w.failure_count,
                    "pending_delivery": w.pending_delivery,
                }
                for w in state.webhooks.values()
            ]
        }
    )


async def generate(request: web.Request) -> web.Response:
    shop = _shop(request)
    try:
        data = await _json_body(request)
        count_f = _number(data, "count", 1)
        if count_f != int(count_f):
            raise ValueError("count must be an integer")
        count = int(count_f)
        lifecycle = bool(data.get("with_lifecycle", False))
        mix = shop.runner.mix(data.get("mix")) if lifecycle else None
    except (ValueError, TypeError) as exc:
        return _bad(str(exc))
    if not 1 <= count <= 100000:
        return _bad("count must be between 1 and 100000")
    ids = []
    for _ in range(count):
        order = shop.state.create_order(source="admin")
        ids.append(order["id"])
        if lifecycle:
            shop.runner.start(int(order["id"]), mix)
    return web.json_response({"created": ids}, status=201)


async def restore(request: web.Request) -> web.Response:
    state = _shop(request).state
    try:
        rec = state.record(int(request.match_info["id"]))
    except WooError:
        return _bad("unknown order", 404)
    if not rec.trashed:
        return _bad("order is not in the trash", 409)
    return web.json_response({"order": state.restore_order(rec, "admin")})


async def reset(request: web.Request) -> web.Response:
    shop = _shop(request)
    await shop.load.stop()
    await shop.runner.close()
    for t in list(shop.engine.tasks):
        t.cancel()
    shop.state.reset()
    shop.engine.reseed()
    reseed = getattr(shop.state.order_factory, "reseed", None)
    if reseed is not None:  # a reset shop generates the same orders as a new one
        reseed()
    return web.json_response({"reset": True})


async def get_chaos(request: web.Request) -> web.Response:
    shop = _shop(request)
    return web.json_response(
        {
            "profile": shop.extras.get("chaos_profile"),
            "seed": shop.engine.seed,
            "settings": shop.engine.settings.to_json(),
            "profiles": sorted(PROFILES),
        }
    )


async def put_chaos(request: web.Request) -> web.Response:
    """``{"profile": "hostile", "drop_p": 0.2, "seed": 7}``: profile, then overrides."""
    shop = _shop(request)
    try:
        data = await _json_body(request)
        name = data.pop("profile", None)
        seed = data.pop("seed", None)
        if seed is not None:
            seed_f = _number({"seed": seed}, "seed", 0)
            if seed_f != int(seed_f):
                raise ValueError("seed must be an integer")
            seed = int(seed_f)
        base = profile(str(name)) if name else shop.engine.settings
        settings = base.merged(data)
    except (ValueError, TypeError) as exc:
        return _bad(str(exc))
    shop.engine.settings = settings
    if shop.magento is not None:
        shop.magento.settings = settings
    if name:
        shop.extras["chaos_profile"] = name
    elif data:
        shop.extras["chaos_profile"] = f"{shop.extras.get('chaos_profile')}+custom"
    if seed is not None:
        shop.engine.reseed(seed)
    return await get_chaos(request)


async def reset_chaos(request: web.Request) -> web.Response:
    shop = _shop(request)
    name = shop.state.config.chaos_profile
    shop.engine.settings = profile(name)
    if shop.magento is not None:
        shop.magento.settings = shop.engine.settings
    shop.extras["chaos_profile"] = name
    shop.engine.reseed(shop.state.config.seed)
    return await get_chaos(request)


async def start_load(request: web.Request) -> web.Response:
    shop = _shop(request)
    try:
        data = await _json_body(request)
        rate = _number(data, "rate", 1)
        duration = _number(data, "duration_s", 10)
        if rate <= 0 or duration <= 0 or rate * duration > 1_000_000:
            raise ValueError("rate and duration_s must be > 0 (and rate*duration <= 1e6)")
        run = shop.load.start(rate, duration, data.get("mix"), bool(data.get("lifecycle", True)))
    except RuntimeError as exc:
        return _bad(str(exc), 409)
    except (ValueError, TypeError) as exc:
        return _bad(str(exc))
    return web.json_response(run.to_json(), status=202)


async def get_load(request: web.Request) -> web.Response:
    run = _shop(request).load.run
    return web.json_response(run.to_json() if run else {"state": "idle"})


async def stop_load(request: web.Request) -> web.Response:
    shop = _shop(request)
    await shop.load.stop()
    run = shop.load.run
    return web.json_response(run.to_json() if run else {"state": "idle"})


async def drain(request: web.Request) -> web.Response:
    """Wait until every scheduled delivery has been attempted (for scenario quiescence)."""
    shop = _shop(request)
    try:
        timeout = float(request.query.get("timeout_s", "30"))
    except ValueError:
        return _bad("timeout_s must be a number")
    done = await shop.engine.drain(timeout)
    return web.json_response({"drained": done, "pending": shop.engine.pending})


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/__admin/orders", orders)
    r.add_post("/__admin/orders/generate", generate)
    r.add_post("/__admin/orders/{id:\\d+}/restore", restore)
    r.add_get("/__admin/deliveries", deliveries)
    r.add_get("/__admin/received", received)
    r.add_get("/__admin/stats", stats)
    r.add_get("/__admin/events", events)
    r.add_get("/__admin/webhooks", webhooks)
    r.add_post("/__admin/reset", reset)
    r.add_get("/__admin/chaos", get_chaos)
    r.add_put("/__admin/chaos", put_chaos)
    r.add_post("/__admin/chaos", put_chaos)
    r.add_post("/__admin/chaos/reset", reset_chaos)
    r.add_post("/__admin/load", start_load)
    r.add_get("/__admin/load", get_load)
    r.add_delete("/__admin/load", stop_load)
    r.add_post("/__admin/drain", drain)
