"""What every fault is: a small unit with validated params and one ``apply`` coroutine.

A fault wraps the real Service Layer handler the way a misbehaving SL, HANA or the gateway
in front of them wraps a healthy one: it may delay the call, refuse it, call it and then
lose the reply, or never answer.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol

from aiohttp import web

from fakesap.errors import ODataVersion

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
#: "delay" faults all apply (in rule order); of the "outcome" faults only the first fires
Phase = Literal["delay", "outcome"]
#: what a fault does to an outgoing back-office callback (see ``fakesap.backoffice``)
CallbackEffect = Literal["delay", "drop", "duplicate", "corrupt", "none"]


class FaultParamError(ValueError):
    """A rule's fault params are invalid; the admin API answers it as a 400."""


@dataclass
class RequestView:
    """The parts of an SL request that rules and faults look at (body parsed once)."""

    method: str
    path: str  # full path, e.g. /b1s/v1/Orders(12)
    version: ODataVersion
    resource: str  # path below the service root, e.g. Orders(12)/Cancel
    entity_set: str | None  # e.g. Orders
    key: str | None  # raw key text inside the parentheses, e.g. 12 or 'C20000'
    body: Any = None  # parsed JSON body, or None
    session_id: str | None = None


@dataclass
class FaultContext:
    """Everything one fault application needs; ``rng`` is private to this request."""

    request: web.Request
    view: RequestView
    rng: random.Random
    state: Any  # fakesap.backend.FakeSap
    spawn: Callable[[Awaitable[Any]], Any]  # start a task the engine owns
    info: dict[str, Any] = field(default_factory=dict)  # extra facts for the journal


class Fault(Protocol):
    """One named fault. ``applies`` is a deterministic precondition on the request."""

    kind: ClassVar[str]
    phase: ClassVar[Phase]
    callback_effect: ClassVar[CallbackEffect]

    def applies(self, view: RequestView) -> bool: ...

    async def apply(self, ctx: FaultContext, call_next: Handler) -> web.StreamResponse: ...

    def callback_delay_s(self, rng: random.Random) -> float: ...


FaultFactory = Callable[[Mapping[str, Any]], Fault]


class FaultBase:
    """Defaults shared by the fault classes: applies to any request, no callback delay."""

    kind: ClassVar[str] = "?"
    phase: ClassVar[Phase] = "outcome"
    callback_effect: ClassVar[CallbackEffect] = "drop"

    def applies(self, view: RequestView) -> bool:
        return True

    def callback_delay_s(self, rng: random.Random) -> float:
        return 0.0


class Params:
    """Reads and validates one fault's params; every problem is a ``FaultParamError``."""

    def __init__(self, kind: str, raw: Mapping[str, Any], allowed: set[str]) -> None:
        if not isinstance(raw, Mapping):
            raise FaultParamError(f"{kind}: params must be an object")
        unknown = sorted(set(raw) - allowed)
        if unknown:
            raise FaultParamError(
                f"{kind}: unknown param(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}"
            )
        self.kind = kind
        self.raw = raw

    def number(
        self,
        name: str,
        default: float | None,
        *,
        minimum: float = 0.0,
        maximum: float | None = None,
    ) -> float | None:
        value = self.raw.get(name, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise FaultParamError(f"{self.kind}: {name} must be a number, got {value!r}")
        if value < minimum or (maximum is not None and value > maximum):
            bounds = f">= {minimum}" if maximum is None else f"between {minimum} and {maximum}"
            raise FaultParamError(f"{self.kind}: {name} must be {bounds}, got {value!r}")
        return float(value)

    def required_number(
        self, name: str, default: float, *, minimum: float = 0.0, maximum: float | None = None
    ) -> float:
        value = self.number(name, default, minimum=minimum, maximum=maximum)
        assert value is not None
        return value

    def choice(self, name: str, default: str, options: tuple[str, ...]) -> str:
        value = self.raw.get(name, default)
        if value not in options:
            raise FaultParamError(
                f"{self.kind}: {name} must be one of {', '.join(options)}, got {value!r}"
            )
        return str(value)

    def boolean(self, name: str, default: bool) -> bool:
        value = self.raw.get(name, default)
        if not isinstance(value, bool):
            raise FaultParamError(f"{self.kind}: {name} must be true or false, got {value!r}")
        return value

    def strings(self, name: str) -> tuple[str, ...]:
        value = self.raw.get(name, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise FaultParamError(f"{self.kind}: {name} must be a string or a list of strings")
        return tuple(value)

    def statuses(self, name: str, default: int, allowed: tuple[int, ...]) -> tuple[int, ...]:
        value = self.raw.get(name, default)
        values = value if isinstance(value, list | tuple) else [value]
        if not values or not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            raise FaultParamError(f"{self.kind}: {name} must be an integer or a list of integers")
        bad = [v for v in values if v not in allowed]
        if bad:
            raise FaultParamError(
                f"{self.kind}: {name} {bad[0]} not supported; use one of {', '.join(map(str, allowed))}"
            )
        return tuple(values)
