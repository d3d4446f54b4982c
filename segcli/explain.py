"""`segcli explain`: a segment in plain words, its periods as dates, the semantics in force and
(given data) the Polars plan."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from segcli.inputs.settings import Settings

if TYPE_CHECKING:
    from segcli.backends import Inputs
from segcli.periods import Window, resolve_period
from segcli.plan import grid_groups, walk_conditions
from segcli.spec.describe import describe_period, describe_rule
from segcli.spec.grid_parse import load_grid
from segcli.spec.model import (
    AllOf,
    Definition,
    HasOrder,
    Metric,
    Period,
    Purchased,
    Registered,
    Reviewed,
    Rule,
    Score,
)

NOT_SEEN = "orders after it are not seen"
SCORE_RULE = (
    "1 + ⌊5·w/n⌋ among the n buyers as of the as-of, w = buyers strictly worse (docs/grids.md)"
)


def explain_text(
    definition: Definition,
    library: Sequence[Definition],
    as_of: datetime,
    settings: Settings,
    tables: Inputs | None,
) -> str:
    zone = ZoneInfo(settings.timezone)
    lines = [
        f"segment   {definition.segment_id}: {definition.name}",
        *([f"          {definition.description}"] if definition.description else []),
        f"file      {definition.source}",
        f"as of     {as_of.astimezone(zone).isoformat()} ({settings.timezone}); {NOT_SEEN}",
        "",
        "rules",
        *("  " + line for line in describe_rule(definition.rule)),
        *_grids(definition, library),
        "",
        "periods",
        *_periods(definition, library, as_of, settings),
        "",
        "semantics",
        *_semantics(definition, settings),
    ]
    if tables is not None:
        lines += ["", f"{tables.engine} plan", _plan(definition, library, as_of, tables)]
    return "\n".join(lines)


def _grids(definition: Definition, library: Sequence[Definition]) -> list[str]:
    """Each grid the rules name: its groups up to the last one named, in order (the first
    that holds wins), and how the scores are ranked when the grid reads them."""
    by_id = {d.segment_id: d for d in [*library, definition]}
    folder = definition.source.parent if definition.source is not None else None
    lines: list[str] = []
    for condition in grid_groups(definition.rule, by_id):
        grid = load_grid(condition.grid, folder)
        last = max(grid.group_ids().index(g) for g in condition.groups)
        lines.append(f"  grid {grid.grid_id}: {grid.name}; the first group that holds wins")
        for group in grid.groups[: last + 1]:
            mark = "*" if group.group_id in condition.groups else " "
            words = _in_words(group.rule)
            lines.append(f"   {mark} {group.group_id:<18} {words}")
    scored = any(isinstance(c, Score) for c in walk_conditions(definition.rule, by_id))
    if scored:
        lines.append(f"  scores: {SCORE_RULE}")
    return ["", "grids", *dict.fromkeys(lines)] if lines else []


def _in_words(rule: Rule) -> str:
    """A group's rule on one line: `all` of plain conditions joined by "and"."""
    if isinstance(rule, AllOf):
        return " and ".join(_in_words(sub) for sub in rule.rules)
    lines = describe_rule(rule)
    return lines[0] if len(lines) == 1 else "; ".join(line.strip() for line in lines)


def _periods(
    definition: Definition, library: Sequence[Definition], as_of: datetime, settings: Settings
) -> list[str]:
    by_id = {d.segment_id: d for d in [*library, definition]}
    seen: dict[str, str] = {}
    for condition in walk_conditions(definition.rule, by_id):
        period: Period | None = None
        if isinstance(condition, Metric | HasOrder | Purchased | Reviewed | Registered):
            period = condition.period
        if period is not None:
            window = resolve_period(period, as_of, settings.timezone)
            seen.setdefault(describe_period(period), _window(window, settings.timezone))
    return [f"  {name:<24} {text}" for name, text in seen.items()] or ["  (none)"]


def _window(window: Window, timezone: str) -> str:
    zone = ZoneInfo(timezone)
    start = "−∞" if window.start is None else window.start.astimezone(zone).isoformat()
    end = "as-of" if window.end is None else window.end.astimezone(zone).isoformat()
    left = "[" if window.start_inclusive and window.start is not None else "("
    right = "]" if window.end_inclusive or window.end is None else ")"
    return f"{left}{start}, {end}{right}"


def _semantics(definition: Definition, settings: Settings) -> list[str]:
    excluded = ", ".join(settings.exclude_statuses)
    counting = (
        f"orders with status {excluded} are left out of every figure"
        if excluded
        else "every order counts, refunded and cancelled ones too (as Shopify reports)"
    )
    return [
        f"  orders    {counting}",
        "  spend     net of refunds (order total − refunded amount), exact to the cent",
        "  identity  customer id, else the trimmed, lower-cased email",
        "  export    "
        + (
            "customers without an email included"
            if definition.include_unidentified
            else "customers without an email left out"
        )
        + ("; only customers who accept marketing" if definition.marketing_only else ""),
    ]


def _plan(
    definition: Definition, library: Sequence[Definition], as_of: datetime, tables: Inputs
) -> str:
    from segcli.api import plan_segments  # noqa: PLC0415
    from segcli.backends import load_engine  # noqa: PLC0415

    plan = plan_segments([definition], tables, as_of, library)
    return load_engine(tables.engine).explain_plan(plan, tables)
