"""`segcli why CUSTOMER`: which rules held for one customer, and the values they were decided on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import assert_never

import polars as pl

from segcli.api import plan_segments
from segcli.backends.polars import build_customer_table
from segcli.backends.polars_grid import SCORE_COLUMNS, axis_value
from segcli.backends.polars_rules import compile_rule
from segcli.errors import UsageError
from segcli.inputs.read import collect
from segcli.inputs.tables import Tables
from segcli.plan import (
    FIRST_ORDER_AT,
    KEY,
    LAST_ORDER_AT,
    FeaturePlan,
    features_of,
    grid_groups,
    plan_features,
    resolve_segment,
    segment_column,
)
from segcli.spec.describe import describe_condition
from segcli.spec.grid import Grid
from segcli.spec.grid_parse import load_grid
from segcli.spec.model import (
    AllOf,
    AnyOf,
    Attribute,
    Definition,
    GridGroup,
    HasOrder,
    InSegment,
    Metric,
    NoneOf,
    Not,
    Purchased,
    Recency,
    Registered,
    Reviewed,
    Rule,
    Score,
)

ATTRIBUTE_COLUMN = {"customer_tag": "tags", "customer_id": KEY, "has_email": "email"}
MONEY = {"total_spend", "average_order_value", "largest_order"}


@dataclass(frozen=True, slots=True)
class Line:
    depth: int
    held: bool
    text: str
    value: str = ""


def why_lines(
    definition: Definition,
    library: Sequence[Definition],
    tables: Tables,
    as_of: datetime,
    customer: str,
) -> tuple[bool, list[Line]]:
    """Whether the customer is a member, and one line per rule node with the value it saw
    (for a grid group: the customer's group, cell and scores)."""
    base = plan_features([definition], as_of, tables.settings.timezone, library)
    grids = _grids(definition, base)
    axes = [
        Definition(f"__axes{i}", "axes", grid.axes_rule()) for i, grid in enumerate(grids.values())
    ]
    plan = plan_segments([definition, *axes], tables, as_of, library)
    nodes = list(_nodes(definition.rule, plan, 0))
    table = build_customer_table(plan, tables, tables.settings.exclude_statuses)
    wanted = customer.strip().lower()
    match = (pl.col(KEY).str.to_lowercase() == wanted) | (pl.col("email") == wanted)
    columns = [compile_rule(rule, plan).alias(f"rule{i}") for i, (_, rule) in enumerate(nodes)]
    columns += [c for ref, grid in grids.items() for c in _grid_columns(ref, grid, plan)]
    row = collect(table.filter(match).with_columns(columns), tables)
    if row.height == 0:
        raise UsageError("no customer with that id or email in the data")
    first = row.row(0, named=True)
    lines = [
        Line(depth, bool(first[f"rule{i}"]), _label(rule), _value(rule, plan, first, grids))
        for i, (depth, rule) in enumerate(nodes)
    ]
    return bool(first[segment_column(definition)]), lines


def _grids(definition: Definition, plan: FeaturePlan) -> dict[str, Grid]:
    """The grids the rules name, by the reference as written."""
    folder = definition.source.parent if definition.source is not None else None
    refs = [c.grid for c in grid_groups(definition.rule, plan.library)]
    return {ref: load_grid(ref, folder) for ref in dict.fromkeys(refs)}


def _grid_columns(ref: str, grid: Grid, plan: FeaturePlan) -> list[pl.Expr]:
    groups = [
        pl.when(compile_rule(grid.group_rule(i), plan)).then(pl.lit(g.group_id))
        for i, g in enumerate(grid.groups)
    ]
    return [
        pl.coalesce(groups).alias(f"{ref}:group"),
        axis_value(grid.x, plan).alias(f"{ref}:x"),
        axis_value(grid.y, plan).alias(f"{ref}:y"),
    ]


def _grid_text(rule: GridGroup, grid: Grid, plan: FeaturePlan, row: dict[str, object]) -> str:
    parts = [f"group: {row[f'{rule.grid}:group'] or 'none'}"]
    for axis, which in ((grid.x, "x"), (grid.y, "y")):
        value = row[f"{rule.grid}:{which}"]
        index = axis.bin_of(value if isinstance(value, int) else None)
        where = "off the grid" if index is None else axis.labels()[index]
        parts.append(f"{axis.field}: {_known(value)} ({where})")
    if plan.needs_scores:
        scores = " ".join(f"{name}={_known(row[c])}" for name, c in SCORE_COLUMNS.items())
        parts.append(scores)
    return "; ".join(parts)


def _nodes(rule: Rule, plan: FeaturePlan, depth: int) -> list[tuple[int, Rule]]:
    children: tuple[Rule, ...] = ()
    match rule:
        case AllOf(rules=rules) | AnyOf(rules=rules) | NoneOf(rules=rules):
            children = rules
        case Not(rule=sub):
            children = (sub,)
        case InSegment(segment=ref):
            children = (resolve_segment(ref, plan.library).rule,)
    out = [(depth, rule)]
    for child in children:
        out.extend(_nodes(child, plan, depth + 1))
    return out


def _label(rule: Rule) -> str:
    match rule:
        case AllOf():
            return "all of"
        case AnyOf():
            return "any of"
        case NoneOf():
            return "none of"
        case Not():
            return "not"
        case _:
            return describe_condition(rule)


def _value(rule: Rule, plan: FeaturePlan, row: dict[str, object], grids: dict[str, Grid]) -> str:
    match rule:
        case Score(field=name):
            return f"{name}: {row[SCORE_COLUMNS[name]]}"
        case GridGroup(grid=ref):
            return _grid_text(rule, grids[ref], plan, row)
        case Metric(field=name):
            values = [row[plan.name(f)] for f in features_of(rule, plan.as_of, plan.timezone)]
            return _metric_text(name, values)
        case HasOrder() | Purchased() | Reviewed():
            feature = features_of(rule, plan.as_of, plan.timezone)[0]
            return f"matching: {row[plan.name(feature)]}"
        case Recency(field=name):
            column = FIRST_ORDER_AT if "first" in name else LAST_ORDER_AT
            return f"{column}: {row[column]}"
        case Attribute(field=name):
            return f"{name}: {row.get(ATTRIBUTE_COLUMN.get(name, name))}"
        case Registered():
            return f"registered_at: {row['registered_at']}"
        case AllOf() | AnyOf() | NoneOf() | Not() | InSegment():
            return ""
        case _:
            assert_never(rule)


def _known(value: object) -> str:
    """A figure, or "none" for a customer without orders."""
    return "none" if value is None else str(value)


def _metric_text(name: str, values: list[object]) -> str:
    if name == "average_order_value":
        spend, count = values
        if not count:
            return "no orders"
        average = (Decimal(str(spend)) / 100 / Decimal(str(count))).quantize(Decimal("0.01"))
        return f"{average} ({_money(spend)} / {count} orders)"
    if name in MONEY:
        return _money(values[0])
    return str(values[0])


def _money(cents: object) -> str:
    if cents is None:
        return "none"
    value = int(str(cents))
    sign = "-" if value < 0 else ""
    return f"{sign}{abs(value) // 100}.{abs(value) % 100:02d}"
