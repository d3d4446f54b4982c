"""The grid model: two axes that place every customer, and an ordered list of named groups.

A grid is a picture and a partition: the first group whose rule holds is a customer's group,
so the groups never overlap; a customer no group holds is in none (shown as "no group").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from segcli.spec.model import (
    AllOf,
    AnyOf,
    Comparison,
    Metric,
    NoneOf,
    Recency,
    Rule,
    Score,
    Test,
)

SCORE_MAX = 5


@dataclass(frozen=True, slots=True)
class Axis:
    """A per-customer whole number (`fields.AXIS_FIELDS`) cut into bins: `edges` are the bins'
    lower bounds, ascending; the last bin is open. A value below the first edge, or none (a
    customer without orders has no recency and no scores), is off the grid."""

    field: str
    edges: tuple[int, ...]
    label: str

    def labels(self) -> tuple[str, ...]:
        """`1`, `2–3`, `10+`: each bin as the values it holds."""
        out = []
        for index, low in enumerate(self.edges):
            if index + 1 == len(self.edges):
                top = self.field.endswith("_score") and low == SCORE_MAX
                out.append(str(low) if top else f"{low}+")
                continue
            high = self.edges[index + 1] - 1
            out.append(str(low) if high == low else f"{low}–{high}")
        return tuple(out)

    def bin_of(self, value: int | None) -> int | None:
        """The bin holding `value`, or None off the grid."""
        if value is None or value < self.edges[0]:
            return None
        return sum(1 for edge in self.edges if value >= edge) - 1


@dataclass(frozen=True, slots=True)
class Group:
    group_id: str
    name: str
    color: str  # #rrggbb
    rule: Rule


@dataclass(frozen=True, slots=True)
class Grid:
    grid_id: str  # the file stem, or the built-in's name
    name: str
    x: Axis
    y: Axis
    groups: tuple[Group, ...]
    description: str = ""
    source: Path | None = field(default=None, compare=False)

    def group_ids(self) -> tuple[str, ...]:
        return tuple(g.group_id for g in self.groups)

    def group_rule(self, index: int) -> Rule:
        """Group `index` as a partition: its rule, and none of the rules before it."""
        own = self.groups[index].rule
        if index == 0:
            return own
        return AllOf((own, NoneOf(tuple(g.rule for g in self.groups[:index]))))

    def axes_rule(self) -> Rule:
        """A rule that reads both axes' figures: planned with the groups, it makes every
        engine compute them."""
        return AllOf((axis_rule(self.x.field), axis_rule(self.y.field)))

    def members_rule(self, group_ids: tuple[str, ...]) -> Rule:
        """In any of the named groups."""
        ids = self.group_ids()
        rules = tuple(self.group_rule(ids.index(g)) for g in group_ids)
        return rules[0] if len(rules) == 1 else AnyOf(rules)


def axis_rule(field: str) -> Rule:
    """A rule on an axis field that holds where the figure is known (every axis figure is
    at least 0)."""
    known = Comparison((Test("ge", (Decimal(0),)),))
    if field.endswith("_score"):
        return Score(field, known)
    if field == "order_count":
        return Metric(field, known)
    return Recency(field, known)


def group_key(text: str) -> str:
    """A group's id as users may spell it: `Needs attention`, `needs-attention`: needs_attention."""
    return "_".join(text.strip().lower().replace("-", " ").split())
