"""Scenario files: a strict TOML schema, every error reported with its line.

A scenario file declares the load, a timeline of actions and the expectations (see
``docs/scenarios.md`` for the annotated example). Validation runs before anything starts,
collects every problem (an unknown key is one), and names each by line — as
``chaos validate`` does for Chaos Toolkit experiments.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scenarios.actions import ACTIONS, ParamError
from scenarios.oracle.contract import Contract, ContractError
from scenarios.oracle.invariants import INVARIANTS
from scenarios.stock import StockPlan, parse_stock
from scenarios.tomllines import key_lines, line_of

CATALOG_DIR = Path(__file__).parent / "catalog"
MAX_ORDERS = 100_000

#: lifecycle shares a file may give → fakeshop's ``LifecycleMix`` field (None: the runner's)
LIFECYCLE_KEYS: dict[str, str | None] = {
    "paid": "pay",
    "on_hold": "hold",
    "cancelled_before_sync": "cancel_unpaid",
    "cancelled_after_sync": "cancel_paid",
    "refunded": "refund_full",
    "partially_refunded": "refund_partial",
    "completed": "complete",
    "edited": None,
}


class ScenarioError(ValueError):
    """A scenario cannot be loaded: ``errors`` lists every problem (``path:line: message``)."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__(
            errors[0] if len(errors) == 1 else f"{len(errors)} errors:\n" + "\n".join(errors)
        )
        self.errors = errors


@dataclass(frozen=True)
class Load:
    orders: int
    #: orders per second; None = a burst (all at once)
    rate: float | None = None
    shop: str = "woo"
    #: lifecycle shares (file names); empty = orders stay as created (pending)
    lifecycle: Mapping[str, float] = field(default_factory=dict)
    #: mean seconds between lifecycle steps
    step_s: float = 1.0
    #: store option ``woocommerce_prices_include_tax`` (None: the catalog's)
    prices_include_tax: bool | None = None

    def fakeshop_mix(self) -> dict[str, Any] | None:
        """The ``mix`` body of fakeshop's load API, or None without a lifecycle."""
        if not self.lifecycle:
            return None
        mix: dict[str, Any] = {
            "pay": 0.0,
            "hold": 0.0,
            "cancel_unpaid": 0.0,
            "cancel_paid": 0.0,
            "refund_full": 0.0,
            "refund_partial": 0.0,
            "complete": 0.0,
        }
        for key, share in self.lifecycle.items():
            target = LIFECYCLE_KEYS.get(key)
            if target is not None:
                mix[target] = float(share)
        mix["mean_step_s"] = self.step_s
        return mix


@dataclass(frozen=True)
class TimelineEntry:
    action: str
    params: Mapping[str, Any]
    at_s: float | None = None
    after_orders: int | None = None
    duration_s: float | None = None
    line: int | None = None

    @property
    def label(self) -> str:
        return f"{self.action}@{self.line or 0}"


@dataclass(frozen=True)
class StackOptions:
    uniqueness_guard: bool = False
    broker: str = "none"
    bridge_process: bool = False
    sap_persist: bool = False
    workers: int = 4
    sap_timeout_s: float = 5.0
    topics: tuple[str, ...] = ("order.created", "order.updated")
    #: reference bridge only: fast retries so a scenario drains in seconds
    fast_retry: bool = True
    #: reference bridge only: how often it reconciles with the shop / polls SAP (seconds)
    reconcile_s: float | None = None
    poll_s: float | None = None
    #: several bridge instances behind the harness's balancer on one PostgreSQL schema
    #: (``scenarios.instances``); 1 = the usual single bridge
    bridge_instances: int = 1
    #: in front of several instances: ``embedded`` (scenarios.balancer) | ``nginx``
    balancer: str = "embedded"


@dataclass(frozen=True)
class Expectations:
    tta_p95_ms: float | None = None
    drain_s: float | None = None
    dlq: int | None = None
    dlq_min: int | None = None
    dlq_max: int | None = None
    skip: tuple[str, ...] = ()
    skip_reason: str = ""
    timeout_s: float = 120.0
    quiet_s: float = 3.0
    #: the shop never disabled a webhook (``scenarios.oracle.webhooks``)
    webhook_active: bool = False
    #: at most this many deliveries the shop counted as failed
    delivery_failures_max: int | None = None
    #: no delivery held the shop's connection longer than this (seconds)
    delivery_max_s: float | None = None


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    load: Load
    timeline: tuple[TimelineEntry, ...] = ()
    stack: StackOptions = StackOptions()
    expect: Expectations = Expectations()
    contract: Contract | None = None
    residual_risk: str = ""
    tags: tuple[str, ...] = ()
    path: Path | None = None
    #: ``[stock]``: the run tests stock sync (``scenarios.stock``)
    stock: StockPlan | None = None

    @property
    def needs_bridge_process(self) -> bool:
        from scenarios.actions import PROCESS_ACTIONS

        return (
            self.stack.bridge_process
            or self.stack.bridge_instances > 1
            or any(e.action in PROCESS_ACTIONS for e in self.timeline)
        )


# ----------------------------------------------------------------------------- checking
class _Checker:
    """Walks the parsed document, collecting (path, message) errors."""

    def __init__(self) -> None:
        self.errors: list[tuple[tuple[str | int, ...], str]] = []

    def err(self, path: tuple[str | int, ...], message: str) -> None:
        self.errors.append((path, message))

    def table(
        self, data: Any, path: tuple[str | int, ...], known: Mapping[str, str]
    ) -> dict[str, Any]:
        if not isinstance(data, dict):
            self.err(path, f"{_dotted(path)} must be a table")
            return {}
        for key in data:
            if key not in known:
                self.err(
                    (*path, key),
                    f"unknown key {_dotted((*path, key))!r}; allowed here: {', '.join(sorted(known))}",
                )
        return data

    def typed(
        self,
        data: Mapping[str, Any],
        path: tuple[str | int, ...],
        key: str,
        kind: type | tuple[type, ...],
        *,
        required: bool = False,
        lo: float | None = None,
        hi: float | None = None,
        choices: tuple[str, ...] | None = None,
    ) -> Any:
        if key not in data:
            if required:
                self.err(path, f"missing required key {_dotted((*path, key))!r}")
            return None
        value: Any = data[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
            names = " or ".join(
                {
                    str: "a string",
                    int: "an integer",
                    float: "a number",
                    bool: "true or false",
                    list: "an array",
                    dict: "a table",
                }.get(k, k.__name__)
                for k in kinds
            )
            self.err((*path, key), f"{_dotted((*path, key))} must be {names}, got {value!r}"[:160])
            return None
        num: Any = value
        if (lo is not None and num < lo) or (hi is not None and num > hi):
            bounds = f">= {lo}" if hi is None else f"within {lo}..{hi}"
            self.err((*path, key), f"{_dotted((*path, key))} must be {bounds}, got {value!r}")
            return None
        if choices is not None and value not in choices:
            self.err(
                (*path, key),
                f"{_dotted((*path, key))} must be one of {', '.join(choices)}, got {value!r}",
            )
            return None
        return value


def _dotted(path: tuple[str | int, ...]) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out or "(top level)"


TOP = {
    "name": "scenario name (defaults to the file name)",
    "description": "one line for `scenario list`",
    "tags": "labels",
    "residual_risk": "a risk the scenario accepts, printed in words in the report",
    "load": "the orders",
    "stack": "what to start",
    "timeline": "actions over time",
    "expect": "thresholds",
    "contract": "how the oracle recognises the bridge's work",
    "stock": "the stock rule under test (scenarios/stock.py)",
}
LOAD = {
    "orders": "",
    "rate": "",
    "burst": "",
    "shop": "",
    "lifecycle": "",
    "step_s": "",
    "taxes": "",
}
TAXES = {"prices_include_tax": ""}
STACK = {
    "uniqueness_guard": "",
    "broker": "",
    "bridge_process": "",
    "sap_persist": "",
    "workers": "",
    "sap_timeout_s": "",
    "topics": "",
    "fast_retry": "",
    "reconcile_s": "",
    "poll_s": "",
    "bridge_instances": "",
    "balancer": "",
}
EXPECT = {
    "tta_p95_ms": "",
    "drain_s": "",
    "dlq": "",
    "dlq_min": "",
    "dlq_max": "",
    "skip": "",
    "skip_reason": "",
    "timeout_s": "",
    "quiet_s": "",
    "webhook_active": "",
    "delivery_failures_max": "",
    "delivery_max_s": "",
}
ENTRY_BASE = {"at_s": "", "after_orders": "", "action": "", "duration_s": ""}


def _check(
    data: dict[str, Any], default_name: str, path: Path | None
) -> tuple[Scenario | None, list[tuple[tuple[str | int, ...], str]]]:
    c = _Checker()
    top = c.table(data, (), TOP)
    name = c.typed(top, (), "name", str) or default_name
    description = c.typed(top, (), "description", str, required=True) or ""
    tags = c.typed(top, (), "tags", list) or []
    residual = c.typed(top, (), "residual_risk", str) or ""

    # [load]
    load_raw = c.table(top.get("load", {}), ("load",), LOAD) if "load" in top else {}
    if "load" not in top:
        c.err((), "missing required table [load]")
    orders = c.typed(
        load_raw, ("load",), "orders", int, required="load" in top, lo=1, hi=MAX_ORDERS
    )
    rate = c.typed(load_raw, ("load",), "rate", (int, float), lo=0.001)
    burst = c.typed(load_raw, ("load",), "burst", bool)
    if rate is not None and burst:
        c.err(("load", "burst"), "give either load.rate or load.burst = true, not both")
    shop = c.typed(load_raw, ("load",), "shop", str, choices=("woo", "magento")) or "woo"
    step_s = c.typed(load_raw, ("load",), "step_s", (int, float), lo=0)
    life_raw = load_raw.get("lifecycle", {})
    lifecycle: dict[str, float] = {}
    if "lifecycle" in load_raw:
        life = c.table(life_raw, ("load", "lifecycle"), dict.fromkeys(LIFECYCLE_KEYS, ""))
        for key in life:
            if key in LIFECYCLE_KEYS:
                v = c.typed(life, ("load", "lifecycle"), key, (int, float), lo=0, hi=1)
                if v is not None:
                    lifecycle[key] = float(v)
        if lifecycle:
            try:
                from fakeshop.lifecycle import LifecycleMix

                mix = Load(1, lifecycle=lifecycle).fakeshop_mix() or {}
                LifecycleMix(**mix)
            except ValueError as exc:
                c.err(("load", "lifecycle"), f"load.lifecycle: {exc}")
    taxes = (
        c.table(load_raw.get("taxes", {}), ("load", "taxes"), TAXES) if "taxes" in load_raw else {}
    )
    incl = c.typed(taxes, ("load", "taxes"), "prices_include_tax", bool)

    # [stack]
    st = c.table(top.get("stack", {}), ("stack",), STACK) if "stack" in top else {}
    topics = c.typed(st, ("stack",), "topics", list)
    if topics is not None and not all(isinstance(t, str) for t in topics):
        c.err(("stack", "topics"), "stack.topics must be an array of strings")
        topics = None
    stack = StackOptions(
        uniqueness_guard=bool(c.typed(st, ("stack",), "uniqueness_guard", bool)),
        broker=c.typed(st, ("stack",), "broker", str, choices=("none", "shared", "own")) or "none",
        bridge_process=bool(c.typed(st, ("stack",), "bridge_process", bool)),
        sap_persist=bool(c.typed(st, ("stack",), "sap_persist", bool)),
        workers=c.typed(st, ("stack",), "workers", int, lo=1, hi=64) or 4,
        sap_timeout_s=float(c.typed(st, ("stack",), "sap_timeout_s", (int, float), lo=0.1) or 5.0),
        topics=tuple(topics) if topics else StackOptions.topics,
        fast_retry=c.typed(st, ("stack",), "fast_retry", bool) is not False,
        reconcile_s=c.typed(st, ("stack",), "reconcile_s", (int, float), lo=0.1),
        poll_s=c.typed(st, ("stack",), "poll_s", (int, float), lo=0.1),
        bridge_instances=c.typed(st, ("stack",), "bridge_instances", int, lo=1, hi=8) or 1,
        balancer=c.typed(st, ("stack",), "balancer", str, choices=("embedded", "nginx"))
        or "embedded",
    )

    # [[timeline]]
    entries: list[TimelineEntry] = []
    raw_tl = top.get("timeline", [])
    if "timeline" in top and not (
        isinstance(raw_tl, list) and all(isinstance(e, dict) for e in raw_tl)
    ):
        c.err(("timeline",), "timeline must be an array of tables ([[timeline]])")
        raw_tl = []
    for i, raw in enumerate(raw_tl):
        p: tuple[str | int, ...] = ("timeline", i)
        kind = raw.get("action")
        action = ACTIONS.get(kind) if isinstance(kind, str) else None
        if action is None:
            c.err(
                (*p, "action") if "action" in raw else p,
                f"timeline[{i}].action must be one of {', '.join(sorted(ACTIONS))}, got {kind!r}",
            )
            continue
        allowed = {**ENTRY_BASE, **dict.fromkeys(action.params, "")}
        c.table(raw, p, allowed)
        at_s = c.typed(raw, p, "at_s", (int, float), lo=0)
        after = c.typed(raw, p, "after_orders", int, lo=0)
        if ("at_s" in raw) == ("after_orders" in raw):
            c.err(p, f"timeline[{i}] needs exactly one of at_s or after_orders")
        if after is not None and orders is not None and after > orders:
            c.err(
                (*p, "after_orders"),
                f"timeline[{i}].after_orders ({after}) exceeds load.orders ({orders})",
            )
        duration = c.typed(raw, p, "duration_s", (int, float), lo=0)
        params: dict[str, Any] = {}
        for pname, spec in action.params.items():
            if pname not in raw:
                if spec.required:
                    c.err(p, f"timeline[{i}] ({kind}) needs {pname!r}: {spec.help}".rstrip(": "))
                continue
            problem = spec.problem(raw[pname])
            if problem:
                c.err((*p, pname), f"timeline[{i}].{pname} {problem}")
            else:
                params[pname] = raw[pname]
        if len(params) == sum(1 for k in action.params if k in raw):
            errs: list[ParamError] = action.validate(params)
            for e in errs:
                c.err((*p, e.key), f"timeline[{i}].{e.key}: {e}")
        entries.append(
            TimelineEntry(
                action=kind,
                params=params,
                at_s=float(at_s) if at_s is not None else None,
                after_orders=after,
                duration_s=float(duration) if duration is not None else None,
            )
        )

    # [expect]
    ex = c.table(top.get("expect", {}), ("expect",), EXPECT) if "expect" in top else {}
    skip = c.typed(ex, ("expect",), "skip", list) or []
    for s in skip:
        if s not in INVARIANTS:
            c.err(
                ("expect", "skip"),
                f"expect.skip names unknown invariant {s!r}; known: {', '.join(INVARIANTS)}",
            )
    skip_reason = c.typed(ex, ("expect",), "skip_reason", str) or ""
    if "dlq" in ex and ("dlq_min" in ex or "dlq_max" in ex):
        c.err(("expect", "dlq"), "give expect.dlq (exact) or expect.dlq_min/dlq_max, not both")
    if skip and not skip_reason:
        c.err(
            ("expect", "skip"),
            "expect.skip needs expect.skip_reason (a skipped invariant is reported with why)",
        )
    expect = Expectations(
        tta_p95_ms=c.typed(ex, ("expect",), "tta_p95_ms", (int, float), lo=0),
        drain_s=c.typed(ex, ("expect",), "drain_s", (int, float), lo=0),
        dlq=c.typed(ex, ("expect",), "dlq", int, lo=0),
        dlq_min=c.typed(ex, ("expect",), "dlq_min", int, lo=0),
        dlq_max=c.typed(ex, ("expect",), "dlq_max", int, lo=0),
        skip=tuple(str(s) for s in skip),
        skip_reason=skip_reason,
        timeout_s=float(c.typed(ex, ("expect",), "timeout_s", (int, float), lo=1) or 120.0),
        quiet_s=float(c.typed(ex, ("expect",), "quiet_s", (int, float), lo=0.2) or 3.0),
        webhook_active=bool(c.typed(ex, ("expect",), "webhook_active", bool)),
        delivery_failures_max=c.typed(ex, ("expect",), "delivery_failures_max", int, lo=0),
        delivery_max_s=c.typed(ex, ("expect",), "delivery_max_s", (int, float), lo=0.1),
    )

    stock_plan = None
    if "stock" in top:
        stock_plan, stock_errors = parse_stock(top["stock"])
        for key, message in stock_errors:
            c.err(("stock", key) if key else ("stock",), message)
    for i, entry in enumerate(entries):
        if entry.action == "stock_drift" and "stock" not in top:
            c.err(("timeline", i), f"timeline[{i}] (stock_drift) needs a [stock] table")

    contract = None
    if "contract" in top:
        try:
            contract = Contract.from_mapping(top["contract"])
        except ContractError as exc:
            c.err(("contract",), f"contract: {exc}")
    elif shop == "magento":
        contract = Contract(prefix="mg")

    if c.errors or orders is None:
        return None, c.errors
    scenario = Scenario(
        name=str(name),
        description=description,
        load=Load(
            orders=int(orders),
            rate=None if burst or rate is None else float(rate),
            shop=shop,
            lifecycle=lifecycle,
            step_s=float(step_s) if step_s is not None else 1.0,
            prices_include_tax=incl,
        ),
        timeline=tuple(entries),
        stack=stack,
        expect=expect,
        contract=contract,
        residual_risk=residual,
        tags=tuple(str(t) for t in tags),
        path=path,
        stock=stock_plan,
    )
    return scenario, []


def _parse(
    text: str, source: str, default_name: str, path: Path | None
) -> tuple[Scenario | None, list[str]]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return None, [f"{source}: not valid TOML: {exc}"]
    lines = key_lines(text)
    scenario, errors = _check(data, default_name, path)
    out = []
    for p, message in errors:
        line = line_of(lines, p)
        out.append(f"{source}:{line}: {message}" if line else f"{source}: {message}")
    if scenario is not None:
        scenario = _with_lines(scenario, lines)
    return scenario, out


def _with_lines(s: Scenario, lines: dict[tuple[str | int, ...], int]) -> Scenario:
    from dataclasses import replace

    entries = tuple(
        replace(e, line=line_of(lines, ("timeline", i))) for i, e in enumerate(s.timeline)
    )
    return replace(s, timeline=entries)


def validate_file(path: str | Path) -> list[str]:
    """Every schema error of a scenario file, each as ``FILE:LINE: message``; [] = valid."""
    p = Path(path)
    try:
        text = p.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [f"{p}: cannot read: {exc.strerror if isinstance(exc, OSError) else exc}"]
    return _parse(text, str(p), p.stem, p)[1]


def catalog_files() -> dict[str, Path]:
    """Shipped scenarios: name (file stem) → path, sorted by name."""
    return {f.stem: f for f in sorted(CATALOG_DIR.glob("*.toml"))}


def load_scenario(path_or_name: str | Path) -> Scenario:
    """A catalog scenario by name, or a scenario file by path; ``ScenarioError`` otherwise."""
    ref = str(path_or_name)
    p = Path(ref)
    if not (ref.endswith(".toml") or p.exists()):
        files = catalog_files()
        if ref not in files:
            raise ScenarioError(
                [f"unknown scenario {ref!r}; known: {', '.join(files)} (or give a .toml file)"]
            )
        p = files[ref]
    if not p.is_file():
        raise ScenarioError([f"{p}: no such scenario file"])
    try:
        text = p.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([f"{p}: cannot read: {exc}"]) from None
    scenario, errors = _parse(text, str(p), p.stem, p)
    if errors or scenario is None:
        raise ScenarioError(errors or [f"{p}: invalid scenario"])
    return scenario


def load_catalog() -> list[Scenario]:
    return [load_scenario(p) for p in catalog_files().values()]
