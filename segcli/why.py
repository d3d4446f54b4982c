"""`segcli why CUSTOMER`: which rules held for one customer, and the values they were decided on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import assert_never
from zoneinfo import ZoneInfo

from segcli.api import plan_segments
from segcli.backends import Inputs, load_engine
from segcli.errors import UsageError
from segcli.plan import (
    FIRST_ORDER_AT,
    KEY,
    LAST_ORDER_AT,
    SCORE_COLUMNS,
    FeaturePlan,
    features_of,
    grid_groups,
    resolve_segment,
    score_features,
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
    tables: Inputs,
    as_of: datetime,
    customer: str,
) -> tuple[bool, list[Line]]:
    """Whether the customer is a member, and one line per rule node with the value it saw."""
    found = explain_customer(definition, library, tables, as_of, customer)
    if found is None:
        raise UsageError("no customer with that id or email in the data")
    return found


def explain_customer(
    definition: Definition,
    library: Sequence[Definition],
    tables: Inputs,
    as_of: datetime,
    customer: str,
) -> tuple[bool, list[Line]] | None:
    """`why_lines`, or None when the data has no such customer. For a grid group the line
    shows the customer's group, cell and scores: the plan then also places every customer on
    the grids the rules name."""
    grids = _grids(definition, library)
    axes = [Definition(f"__axes{i}", "axes", g.axes_rule()) for i, g in enumerate(grids.values())]
    plan = plan_segments([definition, *axes], tables, as_of, library)
    nodes = list(_nodes(definition.rule, plan, 0))
    groups = [(ref, g, i) for ref, g in grids.items() for i in range(len(g.groups))]
    rules = [rule for _, rule in nodes] + [g.group_rule(i) for _, g, i in groups]
    rows = load_engine(tables.engine).customer_values(plan, tables, [customer], rules)
    if not rows:
        return None
    first = rows[0]
    held = [ref_group for k, ref_group in enumerate(groups) if first[f"rule{len(nodes) + k}"]]
    texts = {ref: _grid_text(grid, plan, first, held) for ref, grid in grids.items()}
    lines = [
        Line(depth, bool(first[f"rule{i}"]), _label(rule), _value(rule, plan, first, texts))
        for i, (depth, rule) in enumerate(nodes)
    ]
    return bool(first[segment_column(definition)]), lines


def _grids(definition: Definition, library: Sequence[Definition]) -> dict[str, Grid]:
    """The grids the rules name, by the reference as written."""
    by_id = {d.segment_id: d for d in [*library, definition]}
    folder = definition.source.parent if definition.source is not None else None
    refs = [c.grid for c in grid_groups(definition.rule, by_id)]
    return {ref: load_grid(ref, folder) for ref in dict.fromkeys(refs)}


def _grid_text(
    grid: Grid, plan: FeaturePlan, row: dict[str, object], held: list[tuple[str, Grid, int]]
) -> str:
    """Group, cell and scores of one customer on one grid (the first group that holds wins)."""
    group = next((grid.groups[i].group_id for _, g, i in held if g is grid), None)
    parts = [f"group: {group or 'none'}"]
    for axis in (grid.x, grid.y):
        value = _axis_value(axis.field, plan, row)
        index = axis.bin_of(value)
        where = "off the grid" if index is None else axis.labels()[index]
        parts.append(f"{axis.field}: {_known(value)} ({where})")
    if plan.needs_scores:
        parts.append(" ".join(f"{name}={_known(row[c])}" for name, c in SCORE_COLUMNS.items()))
    return "; ".join(parts)


def _axis_value(field: str, plan: FeaturePlan, row: dict[str, object]) -> int | None:
    """The figure an axis places the customer by (as the engine computes it: grid_cells)."""
    if field in SCORE_COLUMNS:
        value = row[SCORE_COLUMNS[field]]
    elif field == "order_count":
        value = row[plan.name(score_features()[0])]
    else:
        at = row[FIRST_ORDER_AT if field == "days_since_first_order" else LAST_ORDER_AT]
        if not isinstance(at, datetime):
            return None
        zone = ZoneInfo(plan.timezone)
        return (plan.as_of.astimezone(zone).date() - at.astimezone(zone).date()).days
    return value if isinstance(value, int) else None


def _known(value: object) -> str:
    """A figure, or "none" for a customer without orders."""
    return "none" if value is None else str(value)


def explain_customers(
    definition: Definition,
    library: Sequence[Definition],
    tables: Inputs,
    as_of: datetime,
    customers: Sequence[str],
) -> dict[str, tuple[bool, list[Line]]]:
    """`explain_customer` for many customers (ids or emails, any case) in one query: by the
    name given, for those the data has."""
    plan = plan_segments([definition], tables, as_of, library)
    nodes = list(_nodes(definition.rule, plan, 0))
    names = {c.strip().lower(): c for c in customers}
    engine = load_engine(tables.engine)
    rows = engine.customer_values(plan, tables, list(customers), [rule for _, rule in nodes])
    found: dict[str, tuple[bool, list[Line]]] = {}
    for row in rows:
        lines = [
            Line(depth, bool(row[f"rule{i}"]), _label(rule), _value(rule, plan, row))
            for i, (depth, rule) in enumerate(nodes)
        ]
        for name in (str(row[KEY]).lower(), row["email"]):
            if name in names:
                found[names[name]] = (bool(row[segment_column(definition)]), lines)
    return found


@dataclass(frozen=True, slots=True)
class SegmentWhy:
    """One segment for one customer: member or not, and the rule lines (`why_lines`)."""

    segment: str
    name: str
    member: bool
    lines: tuple[Line, ...]


def customer_segments(
    definitions: Sequence[Definition],
    library: Sequence[Definition],
    tables: Inputs,
    as_of: datetime,
    customer: str,
) -> list[SegmentWhy] | None:
    """Every segment for one customer from one plan and one query; None when the data has no
    such customer. The definitions must be answerable by the data (see api.plan_segments);
    the inputs are best those of that customer alone (segcli.checkout)."""
    plan = plan_segments(definitions, tables, as_of, library)
    nodes = [(d, _nodes(d.rule, plan, 0)) for d in definitions]
    rules = [rule for _, pairs in nodes for _, rule in pairs]
    rows = load_engine(tables.engine).customer_values(plan, tables, [customer], rules)
    if not rows:
        return None
    row = rows[0]
    found, index = [], 0
    for definition, pairs in nodes:
        lines = []
        for depth, rule in pairs:
            lines.append(
                Line(depth, bool(row[f"rule{index}"]), _label(rule), _value(rule, plan, row))
            )
            index += 1
        member = bool(row[segment_column(definition)])
        found.append(SegmentWhy(definition.segment_id, definition.name, member, tuple(lines)))
    return found


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


def _value(
    rule: Rule, plan: FeaturePlan, row: dict[str, object], grids: dict[str, str] | None = None
) -> str:
    """The value a rule node was decided on; `grids`: each named grid's text (`_grid_text`)."""
    match rule:
        case Score(field=name):
            return f"{name}: {_known(row[SCORE_COLUMNS[name]])}"
        case GridGroup(grid=ref):
            return (grids or {}).get(ref, "")
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
