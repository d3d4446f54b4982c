"""The checked definition model: a closed set of frozen dataclasses, backend-neutral.

Positions (`span`) sit beside the data: they never take part in equality or hashing.
"""

from __future__ import annotations

import dataclasses  # `dataclasses.field` where a class has a field named `field`
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Literal

from segcli.errors import Span

Scalar = str | Decimal | bool | date
Op = Literal["eq", "gt", "ge", "lt", "le", "between", "not_in", "in", "contains", "starts_with"]


@dataclass(frozen=True, slots=True)
class Test:
    """One test on a value. `in`/`not_in` take any number of values, `between` two, others one."""

    op: Op
    values: tuple[Scalar, ...]


@dataclass(frozen=True, slots=True)
class Comparison:
    """All tests must hold. Text values are stored normalized (trimmed, lower-cased)."""

    tests: tuple[Test, ...]


# ---- periods -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AllTime:
    pass


@dataclass(frozen=True, slots=True)
class Rolling:
    n: int
    unit: Literal["days", "weeks", "months", "years"]


@dataclass(frozen=True, slots=True)
class ThisYear:
    pass


@dataclass(frozen=True, slots=True)
class LastYear:
    pass


@dataclass(frozen=True, slots=True)
class DateRange:
    """`{from: D1, to: D2}`: whole days, both inclusive."""

    start: date
    end: date


@dataclass(frozen=True, slots=True)
class Since:
    day: date


@dataclass(frozen=True, slots=True)
class Before:
    day: date


Period = AllTime | Rolling | ThisYear | LastYear | DateRange | Since | Before


# ---- conditions ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldTest:
    """A comparison on a named field of an order (`where`) or a line item / review (`purchased`)."""

    field: str
    comparison: Comparison


@dataclass(frozen=True, slots=True)
class Attribute:
    """A customer attribute: country, postal_code, customer_type, customer_tag,
    accepts_marketing, has_email, customer_id."""

    field: str
    comparison: Comparison
    span: Span | None = dataclasses.field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Registered:
    period: Period
    span: Span | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Metric:
    """order_count, total_spend, average_order_value, largest_order, items_purchased."""

    field: str
    comparison: Comparison
    period: Period = AllTime()
    where: tuple[FieldTest, ...] = ()
    span: Span | None = dataclasses.field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class HasOrder:
    period: Period = AllTime()
    where: tuple[FieldTest, ...] = ()
    span: Span | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Recency:
    """days_since_last_order, days_since_first_order, last_order_date, first_order_date."""

    field: str
    comparison: Comparison
    span: Span | None = dataclasses.field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Purchased:
    """One line item satisfies every item test, in an order within the period."""

    item: tuple[FieldTest, ...]
    period: Period = AllTime()
    span: Span | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Reviewed:
    item: tuple[FieldTest, ...]
    period: Period = AllTime()
    span: Span | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class InSegment:
    segment: str
    span: Span | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class AllOf:
    rules: tuple[Rule, ...]
    span: Span | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class AnyOf:
    rules: tuple[Rule, ...]
    span: Span | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class NoneOf:
    rules: tuple[Rule, ...]
    span: Span | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Not:
    rule: Rule
    span: Span | None = field(default=None, compare=False)


Condition = Attribute | Registered | Metric | HasOrder | Recency | Purchased | Reviewed | InSegment
Rule = AllOf | AnyOf | NoneOf | Not | Condition


@dataclass(frozen=True, slots=True)
class Definition:
    """One segment, checked. `segment_id` is the file stem; `name` the human title."""

    segment_id: str
    name: str
    rule: Rule
    description: str = ""
    as_of: date | datetime | None = None
    include_unidentified: bool = False
    marketing_only: bool = False
    min_members: int | None = None
    max_change_percent: Decimal | None = None
    priority: int | None = None  # `segcli run --exclusive`: the higher wins a customer
    priority_span: Span | None = field(default=None, compare=False)
    source: Path | None = field(default=None, compare=False)
    # sha256 of the definition file's bytes, combined with its ids files' when it reads any
    # (segment_refs.combined_sha256); manifests add the segments it names (definition_sha256)
    source_sha256: str = ""
