"""What a contract version is: an ordered table of small rules, one per concern.

A rule reads the validated order (``bridge.order.OrderPayload``) and the mapping context
(catalog, configured options) and returns the document fields it owns. A version is the
table plus its changelog line; ``bridge.contract.CONTRACTS`` registers every version.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bridge.mapping import MappingContext, MappingError
from bridge.order import OrderPayload

__all__ = ["Contract", "ContractError", "Rule"]

Rule = Callable[[OrderPayload, MappingContext], dict[str, Any]]


class ContractError(MappingError):
    """The order breaks the contract (an invalid national id, totals that cannot match):
    permanent — the order goes to the DLQ with this explanation, never to SAP."""


@dataclass(frozen=True)
class Contract:
    version: str
    rules: Mapping[str, Rule]
    #: one line: what changed from the previous version
    changes: str

    def build(self, order: OrderPayload, ctx: MappingContext) -> dict[str, Any]:
        """Apply every rule in order; a list field two rules return (``DocumentLines``)
        is concatenated, anything else set once."""
        doc: dict[str, Any] = {}
        for rule in self.rules.values():
            for key, value in rule(order, ctx).items():
                if isinstance(value, list) and isinstance(doc.get(key), list):
                    doc[key] = [*doc[key], *value]
                else:
                    doc[key] = value
        return doc
