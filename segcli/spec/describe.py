"""A definition in plain words (for `segcli explain` and `segcli why`)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import assert_never

from segcli.spec.model import (
    AllOf,
    AllTime,
    AnyOf,
    Attribute,
    Before,
    Comparison,
    DateRange,
    FieldTest,
    GridGroup,
    HasOrder,
    InSegment,
    LastYear,
    Metric,
    NoneOf,
    Not,
    Period,
    Purchased,
    Recency,
    Registered,
    Reviewed,
    Rolling,
    Rule,
    Scalar,
    Score,
    Since,
    Test,
    ThisYear,
)

WORDS = {
    "eq": "is",
    "in": "is one of",
    "not_in": "is not",
    "gt": "is more than",
    "ge": "is at least",
    "lt": "is less than",
    "le": "is at most",
    "between": "is between",
    "contains": "contains",
    "starts_with": "starts with",
}


def describe_period(period: Period) -> str:
    match period:
        case AllTime():
            return "all time"
        case Rolling(n=n, unit=unit):
            return f"in the last {n} {unit}"
        case ThisYear():
            return "this year"
        case LastYear():
            return "last year"
        case DateRange(start=start, end=end):
            return f"from {start} to {end}"
        case Since(day=day):
            return f"since {day}"
        case Before(day=day):
            return f"before {day}"
        case _:
            assert_never(period)


def _value(value: Scalar) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (Decimal, date)):
        return str(value)
    return f"'{value}'"


def _test(test: Test) -> str:
    values = [_value(v) for v in test.values]
    if test.op == "between":
        return f"is between {values[0]} and {values[1]} (inclusive)"
    return f"{WORDS[test.op]} {' or '.join(values) if test.op != 'in' else ', '.join(values)}"


def describe_comparison(comparison: Comparison) -> str:
    return " and ".join(_test(t) for t in comparison.tests)


def _where(where: tuple[FieldTest, ...], noun: str) -> str:
    if not where:
        return ""
    parts = [f"{t.field} {describe_comparison(t.comparison)}" for t in where]
    return f" ({noun} where {' and '.join(parts)})"


def describe_rule(rule: Rule, indent: int = 0) -> list[str]:
    """One line per rule node, nested by indentation."""
    pad = "  " * indent
    match rule:
        case AllOf(rules=rules):
            return [f"{pad}all of:", *_children(rules, indent)]
        case AnyOf(rules=rules):
            return [f"{pad}any of:", *_children(rules, indent)]
        case NoneOf(rules=rules):
            return [f"{pad}none of:", *_children(rules, indent)]
        case Not(rule=sub):
            return [f"{pad}not:", *describe_rule(sub, indent + 1)]
        case _:
            return [pad + describe_condition(rule)]


def _children(rules: tuple[Rule, ...], indent: int) -> list[str]:
    return [line for sub in rules for line in describe_rule(sub, indent + 1)]


def describe_condition(rule: Rule) -> str:
    match rule:
        case Attribute(field=name, comparison=comparison):
            return f"{name} {describe_comparison(comparison)}"
        case Registered(period=period):
            return f"registered {describe_period(period)}"
        case Metric(field=name, comparison=comparison, period=period, where=where):
            return (
                f"{name} {describe_period(period)}{_where(where, 'orders')} "
                f"{describe_comparison(comparison)}"
            )
        case HasOrder(period=period, where=where):
            return f"has an order {describe_period(period)}{_where(where, 'an order')}"
        case Recency(field=name, comparison=comparison):
            return f"{name} {describe_comparison(comparison)}"
        case Purchased(item=item, period=period):
            return f"bought one line item{_where(item, 'item')} {describe_period(period)}"
        case Reviewed(item=item, period=period):
            return f"reviewed a product{_where(item, 'item')} {describe_period(period)}"
        case InSegment(segment=ref):
            return f"is a member of segment '{ref}'"
        case Score(field=name, comparison=comparison):
            return f"{name} {describe_comparison(comparison)}"
        case GridGroup(grid=grid, groups=groups):
            return f"is in group {' or '.join(groups)} of grid {grid} (the first group that holds)"
        case AllOf() | AnyOf() | NoneOf() | Not():
            return "; ".join(describe_rule(rule))
        case _:
            assert_never(rule)
