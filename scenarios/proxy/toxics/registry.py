"""The table of toxic types by name, with attribute defaults and validation.

Toxiproxy keeps a registry ``type name → toxic``; unknown types are refused with
``invalid toxic type``. Attributes are JSON integers; missing ones default to 0 and
unknown ones are ignored, as Go's JSON decoder does.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from scenarios.proxy.errors import ApiError
from scenarios.proxy.toxics.bandwidth import BandwidthToxic
from scenarios.proxy.toxics.base import Toxic
from scenarios.proxy.toxics.latency import LatencyToxic
from scenarios.proxy.toxics.limit_data import LimitDataToxic
from scenarios.proxy.toxics.noop import NoopToxic
from scenarios.proxy.toxics.reset_peer import ResetPeerToxic
from scenarios.proxy.toxics.slicer import SlicerToxic
from scenarios.proxy.toxics.slow_close import SlowCloseToxic
from scenarios.proxy.toxics.timeout import TimeoutToxic

TOXICS: Mapping[str, type[Toxic]] = {
    cls.type_name: cls
    for cls in (
        LatencyToxic,
        BandwidthToxic,
        SlowCloseToxic,
        TimeoutToxic,
        ResetPeerToxic,
        SlicerToxic,
        LimitDataToxic,
        NoopToxic,
    )
}


def attribute_names(type_name: str) -> list[str]:
    return [f.name for f in dataclasses.fields(TOXICS[type_name])]


def build_toxic(type_name: str, attributes: Any, base: Toxic | None = None) -> Toxic:
    """A toxic of ``type_name`` from JSON ``attributes``, on top of ``base``'s values.

    Raises ``invalid_toxic_type`` for an unknown type and ``bad_request_body`` for
    attributes that are not an object of integers.
    """
    cls = TOXICS.get(type_name)
    if cls is None:
        raise ApiError.of("invalid_toxic_type")
    if attributes is None:
        attributes = {}
    if not isinstance(attributes, dict):
        raise ApiError.of("bad_request_body", "attributes must be a JSON object")
    values: dict[str, Any] = dataclasses.asdict(base) if base is not None else {}
    for field in dataclasses.fields(cls):
        if field.name not in attributes:
            continue
        value = attributes[field.name]
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            raise ApiError.of(
                "bad_request_body", f"attribute {field.name} must be an integer, got {value!r}"
            )
        values[field.name] = value
    return cls(**values)
