"""Timeline actions: each kind a small unit registered in ``ACTIONS`` by name.

An action is what an operator (or the world) does to a running integration: a fault rule
switched on in SAP, a change to how the shop delivers webhooks, a cut network link, a
``kill -9`` of the bridge, a SAP restart, a broker outage, a heal. Each unit declares its
parameters (checked by ``scenarios.schema`` before anything starts, every error with its
line), what it does (``run``), and, when it can be undone, ``undo`` — used when the
timeline entry has ``duration_s`` and by ``heal``.

Actions talk to the stack only through interface B (``scenarios.stack.EmbeddedStack``):
the proxy client, the emulators' ``/__admin`` APIs, and the process actions.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

#: the proxied links a scenario may cut or poison
LINKS = ("shop_to_bridge", "bridge_to_sap", "bridge_to_shop", "bridge_to_broker")
STREAMS = ("upstream", "downstream")


class StackLike(Protocol):
    """What an action needs from the stack (``EmbeddedStack``, interface B)."""

    sap_url: str
    shop_url: str
    proxy: Any

    async def kill_bridge(self) -> None: ...
    async def start_bridge(self) -> None: ...
    async def restart_bridge(self) -> None: ...
    async def restart_sap(self) -> None: ...
    async def kill_broker(self) -> None: ...
    async def stop_broker(self) -> None: ...
    async def start_broker(self) -> None: ...


class AdminCall(Protocol):
    async def __call__(self, method: str, url: str, body: Any = None) -> Any: ...


@dataclass
class ActionContext:
    """What a running action gets: the stack, an admin HTTP call, a seeded RNG, and the
    run's record of what is active (for ``heal``, progress and the fault windows)."""

    stack: StackLike
    admin: AdminCall
    rng: random.Random
    #: label → undo coroutine factory of every effect still active
    active: dict[str, Callable[[], Awaitable[None]]] = field(default_factory=dict)
    #: background tasks an action started (crash loops); awaited or cancelled at the end
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    #: called with (event, label) when an effect starts ("on") or ends ("off")
    on_change: Callable[[str, str], None] = lambda _e, _l: None


class ParamError(ValueError):
    """A bad action parameter; ``key`` names it (the schema adds the line)."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


Check = Callable[[Any], str | None]


@dataclass(frozen=True)
class Param:
    """One parameter: its TOML type, whether it is required, and an extra check."""

    kind: type | tuple[type, ...]
    required: bool = False
    help: str = ""
    check: Check | None = None

    def problem(self, value: Any) -> str | None:
        kinds = self.kind if isinstance(self.kind, tuple) else (self.kind,)
        ok = any(
            isinstance(value, k) and not (isinstance(value, bool) and k in (int, float))
            for k in kinds
        )
        if not ok:
            names = " or ".join(_TYPE_NAMES.get(k, k.__name__) for k in kinds)
            return f"must be {names}, got {_describe(value)}"
        return self.check(value) if self.check else None


_TYPE_NAMES = {
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "true or false",
    dict: "a table",
    list: "an array",
}


def _describe(value: Any) -> str:
    return f"{type(value).__name__} {value!r}"[:80]


def one_of(*choices: str) -> Check:
    return lambda v: None if v in choices else f"must be one of {', '.join(choices)}"


def positive(v: Any) -> str | None:
    return None if v > 0 else "must be > 0"


def non_negative(v: Any) -> str | None:
    return None if v >= 0 else "must be >= 0"


Run = Callable[
    [ActionContext, Mapping[str, Any], str], Awaitable[Callable[[], Awaitable[None]] | None]
]
Validate = Callable[[Mapping[str, Any]], list[ParamError]]


@dataclass(frozen=True)
class Action:
    """One kind of timeline action. ``run`` returns an undo (or None when nothing stays
    active); ``validate`` does checks beyond the per-parameter ones."""

    name: str
    help: str
    params: Mapping[str, Param]
    run: Run
    validate: Validate = lambda _p: []
    #: a process or network fault the report lists as a fault window while active
    fault: bool = True


# ---------------------------------------------------------------------------- SAP faults
def _validate_rule(p: Mapping[str, Any]) -> list[ParamError]:
    from fakesap.faults.rules import RuleError, parse_rule

    try:
        parse_rule(dict(p["rule"]), "check")
    except RuleError as exc:
        return [ParamError("rule", f"fakesap rejects this rule: {exc}")]
    except KeyError:
        return []
    return []


async def _sap_fault(ctx: ActionContext, p: Mapping[str, Any], label: str) -> Any:
    """``POST /__admin/faults``: a fakesap fault rule (the same table as its profiles)."""
    rule = dict(p["rule"])
    rule.setdefault("id", label)
    created = await ctx.admin("POST", f"{ctx.stack.sap_url}/__admin/faults", rule)
    rule_id = str(created.get("id", rule["id"]))

    async def undo() -> None:
        await ctx.admin("DELETE", f"{ctx.stack.sap_url}/__admin/faults/{rule_id}")

    return undo


async def _sap_guard(ctx: ActionContext, p: Mapping[str, Any], _label: str) -> Any:
    """The SAP-side uniqueness guard on ``U_IdemKey`` (a TransactionNotification) on/off."""
    udf = str(p.get("udf", "U_IdemKey")) if p["on"] else None
    await ctx.admin("PUT", f"{ctx.stack.sap_url}/__admin/uniqueness-guard", {"udf": udf})
    return None


async def _sap_backoffice(ctx: ActionContext, _p: Mapping[str, Any], _label: str) -> Any:
    """One back-office pass in SAP: paid open orders are delivered and invoiced (what the
    warehouse and accounting do later in a real company)."""
    await ctx.admin("POST", f"{ctx.stack.sap_url}/__admin/backoffice/tick")
    return None


async def _stock_drift(ctx: ActionContext, p: Mapping[str, Any], _label: str) -> Any:
    """SAP users move stock by hand: ``moves`` back-office passes, each a seeded goods
    receipt or goods issue in one warehouse (the scenario's ``[stock]`` table sets fakesap's
    back office up for it). Refused when no pass moved any stock — the drift the scenario
    promised did not happen."""
    moved = 0
    for _ in range(int(p.get("moves", 3))):
        done = await ctx.admin("POST", f"{ctx.stack.sap_url}/__admin/backoffice/tick")
        moved += int((done or {}).get("stock_moves", 0) or 0)
    if moved == 0:
        raise RuntimeError(
            "stock_drift: the back office moved no stock (does the scenario have [stock]?)"
        )
    return None


def _validate_udfs(p: Mapping[str, Any]) -> list[ParamError]:
    add = p.get("add", {})
    bad = [
        t
        for t, names in dict(add).items()
        if not isinstance(names, list)
        or not all(isinstance(n, str) and n.startswith("U_") for n in names)
    ]
    if bad:
        return [ParamError("add", f"add.{bad[0]} must be an array of U_ field names")]
    return []


async def _sap_udfs(ctx: ActionContext, p: Mapping[str, Any], _label: str) -> Any:
    """The SAP team adds user-defined fields to document tables (a new ``U_`` field on
    ORDR …): fakesap's master data is re-uploaded with the packaged catalog plus them. A
    bridge must keep working when SAP's schema grows under it."""
    import json
    from importlib import resources

    catalog = json.loads(
        resources.files("sapchaos.data").joinpath("catalog.json").read_text("utf-8")
    )
    udfs = {t: list(names) for t, names in dict(catalog.get("udfs", {})).items()}
    for table, names in dict(p.get("add", {})).items():
        udfs[table] = sorted({*udfs.get(table, []), *names})
    catalog["udfs"] = udfs
    await ctx.admin("POST", f"{ctx.stack.sap_url}/__admin/master-data", catalog)
    return None


async def _sap_restart(ctx: ActionContext, _p: Mapping[str, Any], _label: str) -> Any:
    """Restart fakesap on the same port with its persisted state (sessions are lost)."""
    await ctx.stack.restart_sap()
    return None


# ---------------------------------------------------------------------------- shop chaos
def _validate_chaos(p: Mapping[str, Any]) -> list[ParamError]:
    from fakeshop.chaos.profiles import PROFILES, profile
    from fakeshop.chaos.settings import ChaosSettings

    try:
        base = profile(str(p["profile"])) if "profile" in p else ChaosSettings()
    except (KeyError, ValueError):
        return [
            ParamError("profile", f"unknown chaos profile; known: {', '.join(sorted(PROFILES))}")
        ]
    try:
        base.merged(dict(p.get("settings", {})))
    except ValueError as exc:
        return [ParamError("settings", f"fakeshop rejects these settings: {exc}")]
    return []


def _chaos_body(p: Mapping[str, Any], seed: int) -> dict[str, Any]:
    body: dict[str, Any] = dict(p.get("settings", {}))
    if "copies" in body:
        body["copies"] = {str(k): v for k, v in dict(body["copies"]).items()}
    if "profile" in p:
        body["profile"] = p["profile"]
    body["seed"] = seed
    return body


async def _shop_chaos(ctx: ActionContext, p: Mapping[str, Any], _label: str) -> Any:
    """``PUT /__admin/chaos``: webhook copies, delays, reordering, drops, tampering …"""
    seed = ctx.rng.getrandbits(31)
    await ctx.admin("PUT", f"{ctx.stack.shop_url}/__admin/chaos", _chaos_body(p, seed))

    async def undo() -> None:
        await ctx.admin("POST", f"{ctx.stack.shop_url}/__admin/chaos/reset")

    return undo


# ---------------------------------------------------------------------------- network
def _validate_toxic(p: Mapping[str, Any]) -> list[ParamError]:
    from scenarios.proxy.toxics.registry import TOXICS, attribute_names

    kind = p.get("type")
    if kind not in TOXICS:
        return [ParamError("type", f"unknown toxic type; known: {', '.join(sorted(TOXICS))}")]
    known = set(attribute_names(str(kind)))
    errors = []
    for key, value in dict(p.get("attributes", {})).items():
        if key not in known:
            errors.append(
                ParamError(
                    "attributes",
                    f"unknown {kind} attribute {key!r}; known: {', '.join(sorted(known))}",
                )
            )
        elif isinstance(value, bool) or not isinstance(value, int):
            errors.append(ParamError("attributes", f"attribute {key} must be an integer"))
    return errors


async def _toxic(ctx: ActionContext, p: Mapping[str, Any], label: str) -> Any:
    """A Toxiproxy toxic on one link (latency, timeout, reset_peer, bandwidth, …)."""
    link, stream = str(p["link"]), str(p.get("stream", "downstream"))
    await ctx.stack.proxy.add_toxic(
        link,
        str(p["type"]),
        stream=stream,
        name=label,
        toxicity=float(p.get("toxicity", 1.0)),
        **{k: int(v) for k, v in dict(p.get("attributes", {})).items()},
    )

    async def undo() -> None:
        await ctx.stack.proxy.remove_toxic(link, label)

    return undo


async def _partition(ctx: ActionContext, p: Mapping[str, Any], _label: str) -> Any:
    """Cut one link: the proxy stops listening and drops its connections (Toxiproxy's
    ``enabled: false``), as a firewall change or a dead route would."""
    link = str(p["link"])
    await ctx.stack.proxy.disable(link)

    async def undo() -> None:
        await ctx.stack.proxy.enable(link)

    return undo


async def _store_partition(ctx: ActionContext, p: Mapping[str, Any], label: str) -> Any:
    """One bridge instance loses its PostgreSQL (``bridge_<instance>_to_store``), the others
    keep theirs. ``refused``: the link is down, connecting fails at once (a database
    restart, a closed port). ``blackhole``: connections open but nothing passes either way
    and nothing is closed (a dropped route, a firewall that drops instead of rejecting) —
    only the instance's own timeouts end its waits."""
    from scenarios.instances import store_link

    link = store_link(str(p["instance"]))
    if link not in getattr(ctx.stack, "links", {}):
        raise RuntimeError(
            f"store_partition: this run has no link {link} (needs stack.bridge_instances > 1)"
        )
    if p.get("mode", "refused") == "refused":
        await ctx.stack.proxy.disable(link)

        async def enable() -> None:
            await ctx.stack.proxy.enable(link)

        return enable
    names = {stream: f"{label}-{stream}" for stream in STREAMS}
    for stream, name in names.items():
        await ctx.stack.proxy.add_toxic(link, "timeout", stream=stream, name=name, timeout=0)

    async def remove() -> None:
        for name in names.values():
            await ctx.stack.proxy.remove_toxic(link, name)

    return remove


async def _instance_kill(ctx: ActionContext, p: Mapping[str, Any], _label: str) -> Any:
    """``kill -9`` one bridge instance (``a``, ``b``, …) while the others keep serving, as
    an OOM kill or a node failure takes out one replica; it starts again after ``down_s``
    (unless ``restart = false``: then undo or ``heal`` starts it)."""
    name = str(p["instance"])
    kill = getattr(ctx.stack, "kill_instance", None)
    if kill is None:
        raise RuntimeError("instance_kill needs a stack with several bridge instances")
    await kill(name)

    async def start() -> None:
        await ctx.stack.start_instance(name)  # type: ignore[attr-defined]

    if p.get("restart", True) is False:
        return start
    await asyncio.sleep(float(p.get("down_s", 0.5)))
    await start()
    return None


async def _heal(ctx: ActionContext, _p: Mapping[str, Any], _label: str) -> Any:
    """Undo every fault still active (newest first): links back up, toxics and SAP rules
    removed, shop chaos reset, a killed bridge or broker started again."""
    for name in reversed(list(ctx.active)):
        undo = ctx.active.pop(name)
        await undo()
        ctx.on_change("off", name)
    return None


# ---------------------------------------------------------------------------- processes
async def _bridge_kill(ctx: ActionContext, p: Mapping[str, Any], _label: str) -> Any:
    """``kill -9`` the bridge's process group: no shutdown hook, no flush, mid-anything."""
    await ctx.stack.kill_bridge()
    if p.get("restart", True) is False:

        async def start() -> None:
            await ctx.stack.start_bridge()

        return start
    await asyncio.sleep(float(p.get("down_s", 0.5)))
    await ctx.stack.start_bridge()
    return None


async def _bridge_crash_loop(ctx: ActionContext, p: Mapping[str, Any], label: str) -> Any:
    """Repeated ``kill -9`` at seeded random moments, each followed by a restart on the
    same store: the crash can land at any instruction (before the ledger write, between
    SAP's answer and the commit, in the middle of a note)."""
    count = int(p["count"])
    lo, hi = float(p.get("min_gap_s", 1.0)), float(p.get("max_gap_s", 4.0))
    gaps = [ctx.rng.uniform(lo, hi) for _ in range(count)]
    down = float(p.get("down_s", 0.3))

    async def loop() -> None:
        for i, gap in enumerate(gaps, start=1):
            await asyncio.sleep(gap)
            ctx.on_change("on", f"{label}#{i}")
            await ctx.stack.kill_bridge()
            await asyncio.sleep(down)
            await ctx.stack.start_bridge()
            ctx.on_change("off", f"{label}#{i}")

    ctx.tasks.append(asyncio.create_task(loop()))
    return None


async def _bridge_restart(ctx: ActionContext, _p: Mapping[str, Any], _label: str) -> Any:
    """A graceful-looking restart is not asked for here: kill -9, then start again."""
    await ctx.stack.restart_bridge()
    return None


async def _broker_stop(ctx: ActionContext, _p: Mapping[str, Any], _label: str) -> Any:
    """Stop the MQTT broker (SIGTERM); undo starts it again."""
    await ctx.stack.stop_broker()

    async def undo() -> None:
        await ctx.stack.start_broker()

    return undo


async def _broker_kill(ctx: ActionContext, _p: Mapping[str, Any], _label: str) -> Any:
    """``kill -9`` the MQTT broker; undo starts it again."""
    await ctx.stack.kill_broker()

    async def undo() -> None:
        await ctx.stack.start_broker()

    return undo


async def _broker_start(ctx: ActionContext, _p: Mapping[str, Any], _label: str) -> Any:
    await ctx.stack.start_broker()
    return None


async def _bridge_dlq_replay(ctx: ActionContext, _p: Mapping[str, Any], _label: str) -> Any:
    """Replay every dead letter through the reference bridge's ops API (``POST
    /ops/dlq/replay-all``), as an operator does once the data in SAP is fixed. A foreign
    bridge has its own way: this action is for the reference bridge."""
    env = getattr(ctx.stack, "env", None)
    port = getattr(env, "bridge_port", None)
    if port is None:
        raise RuntimeError("bridge_dlq_replay needs the bridge's port (stack.env)")
    url = f"http://127.0.0.1:{port}/ops/dlq/replay-all"
    token = _reference_ops_token(getattr(env, "state_dir", None))
    if token is None:
        await ctx.admin("POST", url)
        return None
    # /ops needs the operator token the reference bridge wrote into the run's state folder
    import aiohttp

    async with (
        aiohttp.ClientSession() as http,
        http.post(url, headers={"Authorization": f"Bearer {token}"}) as resp,
    ):
        if resp.status >= 400:
            raise RuntimeError(f"POST {url} → {resp.status}: {await resp.text()}")
    return None


def _reference_ops_token(state_dir: Any) -> str | None:
    """The operator token ``sapchaos bridge serve`` generated in the run's state folder
    (``bridge.ops.auth``), or None when there is no such file."""
    import json
    from pathlib import Path

    from bridge.ops.auth import OPERATOR, TOKEN_FILE_NAME

    if state_dir is None:
        return None
    path = Path(state_dir) / TOKEN_FILE_NAME
    if not path.is_file():
        return None
    tokens = json.loads(path.read_text("utf-8")).get("tokens", [])
    return next((str(t["token"]) for t in tokens if t.get("role") == OPERATOR), None)


def _validate_crash_loop(p: Mapping[str, Any]) -> list[ParamError]:
    if float(p.get("min_gap_s", 1.0)) > float(p.get("max_gap_s", 4.0)):
        return [ParamError("min_gap_s", "min_gap_s cannot exceed max_gap_s")]
    return []


def _link(v: Any) -> str | None:
    """A fixed link, or one instance's store link (``bridge_a_to_store`` …)."""
    from scenarios.instances import MAX_INSTANCES, store_links

    if v in LINKS or v in store_links(MAX_INSTANCES):
        return None
    return f"must be one of {', '.join(LINKS)} or bridge_<a..h>_to_store"


_LINK = Param(
    str,
    True,
    "shop_to_bridge | bridge_to_sap | bridge_to_shop | bridge_to_broker | bridge_<x>_to_store",
    _link,
)

#: every action kind a timeline entry may name
ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        Action(
            "sap_fault",
            "add a fakesap fault rule (see docs/fakesap-faults.md); duration_s removes it",
            {"rule": Param(dict, True, "the rule, as POST /__admin/faults takes it")},
            _sap_fault,
            _validate_rule,
        ),
        Action(
            "sap_guard",
            "switch fakesap's uniqueness guard on U_IdemKey on or off",
            {"on": Param(bool, True), "udf": Param(str, False, "the UDF to guard (U_IdemKey)")},
            _sap_guard,
            fault=False,
        ),
        Action(
            "sap_backoffice",
            "one back-office pass in SAP (deliver and invoice paid open orders)",
            {},
            _sap_backoffice,
            fault=False,
        ),
        Action(
            "stock_drift",
            "SAP's back office posts goods receipts/issues (needs [stock])",
            {"moves": Param(int, False, "back-office passes, one stock move each (3)", positive)},
            _stock_drift,
            fault=False,
        ),
        Action("sap_restart", "restart fakesap with its persisted state", {}, _sap_restart),
        Action(
            "sap_udfs",
            "add user-defined fields to SAP document tables (schema growing under the bridge)",
            {"add": Param(dict, True, 'table → [U_ names], e.g. { ORDR = ["U_Channel"] }')},
            _sap_udfs,
            _validate_udfs,
            fault=False,
        ),
        Action(
            "shop_chaos",
            "change webhook delivery chaos (fakeshop /__admin/chaos); duration_s resets it",
            {
                "settings": Param(
                    dict, False, "knobs: copies, delay, reorder_p, drop_p, tamper_p …"
                ),
                "profile": Param(str, False, "a fakeshop chaos profile to start from"),
            },
            _shop_chaos,
            _validate_chaos,
        ),
        Action(
            "toxic",
            "add a Toxiproxy toxic on a link; duration_s removes it",
            {
                "link": _LINK,
                "type": Param(str, True, "latency | timeout | reset_peer | bandwidth | …"),
                "stream": Param(str, False, "downstream (default) | upstream", one_of(*STREAMS)),
                "toxicity": Param(
                    (float, int),
                    False,
                    "share of connections affected (0–1)",
                    lambda v: None if 0 <= v <= 1 else "must be within 0..1",
                ),
                "attributes": Param(dict, False, "the toxic's integer attributes"),
            },
            _toxic,
            _validate_toxic,
        ),
        Action(
            "partition",
            "cut a link (proxy disabled); duration_s heals it",
            {"link": _LINK},
            _partition,
        ),
        Action(
            "store_partition",
            "cut one bridge instance's PostgreSQL link (refused or black-holed); "
            "duration_s heals it",
            {
                "instance": Param(
                    str, True, "a, b, … (stack.bridge_instances)", one_of(*"abcdefgh")
                ),
                "mode": Param(
                    str, False, "refused (default) | blackhole", one_of("refused", "blackhole")
                ),
            },
            _store_partition,
        ),
        Action(
            "instance_kill",
            "kill -9 one bridge instance; restarts after down_s unless restart = false",
            {
                "instance": Param(
                    str, True, "a, b, … (stack.bridge_instances)", one_of(*"abcdefgh")
                ),
                "down_s": Param((float, int), False, "seconds before the restart", non_negative),
                "restart": Param(bool, False, "start it again (default true)"),
            },
            _instance_kill,
        ),
        Action("heal", "undo every fault still active", {}, _heal, fault=False),
        Action(
            "bridge_kill",
            "kill -9 the bridge; restarts after down_s unless restart = false",
            {
                "down_s": Param((float, int), False, "seconds before the restart", non_negative),
                "restart": Param(bool, False, "start it again (default true)"),
            },
            _bridge_kill,
        ),
        Action(
            "bridge_dlq_replay",
            "replay every dead letter (reference bridge ops API), after the data is fixed",
            {},
            _bridge_dlq_replay,
            fault=False,
        ),
        Action("bridge_restart", "kill -9 and start the bridge again at once", {}, _bridge_restart),
        Action(
            "bridge_crash_loop",
            "kill -9 the bridge count times at seeded random gaps, restarting each time",
            {
                "count": Param(int, True, "how many kills", positive),
                "min_gap_s": Param((float, int), False, "shortest gap (default 1)", positive),
                "max_gap_s": Param((float, int), False, "longest gap (default 4)", positive),
                "down_s": Param((float, int), False, "seconds down per kill", non_negative),
            },
            _bridge_crash_loop,
            _validate_crash_loop,
            fault=False,  # each kill records its own window (label#n)
        ),
        Action("broker_stop", "stop the MQTT broker; duration_s starts it again", {}, _broker_stop),
        Action(
            "broker_kill", "kill -9 the MQTT broker; duration_s starts it again", {}, _broker_kill
        ),
        Action("broker_start", "start the MQTT broker", {}, _broker_start, fault=False),
    )
}

#: actions that need the bridge as a child process
PROCESS_ACTIONS = frozenset({"bridge_kill", "bridge_restart", "bridge_crash_loop", "instance_kill"})
#: actions that need a broker the run owns
BROKER_ACTIONS = frozenset({"broker_stop", "broker_kill", "broker_start"})
