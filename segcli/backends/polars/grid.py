"""RFM scores and grids over the Polars per-customer table (see customers.py).

The scores are ranks over the per-customer table, one row per customer, never over orders:
a window over the buyers after the one group-by, so a grid costs one pass like a segment.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import polars as pl

from segcli.backends.polars.compare import integer_compare
from segcli.plan import (
    CELL_CUSTOMERS,
    CELL_GROUP,
    CELL_X,
    CELL_Y,
    FIRST_ORDER_AT,
    LAST_ORDER_AT,
    LIFETIME_SPEND,
    SCORE_COLUMNS,
    FeaturePlan,
    score_features,
)
from segcli.spec.grid import SCORE_MAX, Axis, Grid
from segcli.spec.model import Score


def order_count(plan: FeaturePlan) -> pl.Expr:
    return pl.col(plan.name(score_features()[0]))


def days_since(plan: FeaturePlan, column: str = LAST_ORDER_AT) -> pl.Expr:
    """Calendar days from the order's local date to the as-of's local date (recency rules,
    grid axes and the recency score all count them this way)."""
    local_day = pl.col(column).dt.convert_time_zone(plan.timezone).dt.date()
    as_of_day = plan.as_of.astimezone(ZoneInfo(plan.timezone)).date()
    return (pl.lit(as_of_day) - local_day).dt.total_days()


def with_scores(table: pl.LazyFrame, plan: FeaturePlan) -> pl.LazyFrame:
    """The four score columns: null for a customer without orders, else 1 + ⌊5·w / n⌋ where n
    is the number of buyers and w the number of buyers strictly worse on that figure (fewer
    orders, less spend, more days since the last order). Equal figures share a score; the
    best figure scores 5, the worst 1."""
    buyer = order_count(plan) > 0
    buyers = buyer.sum().cast(pl.Int64)

    def score(figure: pl.Expr, *, higher_is_better: bool) -> pl.Expr:
        ranked = pl.when(buyer).then(figure).rank("min", descending=not higher_is_better)
        worse = ranked.cast(pl.Int64) - 1
        return (1 + (SCORE_MAX * worse) // buyers).cast(pl.Int64)

    frequency = score(order_count(plan), higher_is_better=True)
    monetary = score(pl.col(LIFETIME_SPEND), higher_is_better=True)
    recency = score(days_since(plan), higher_is_better=False)
    table = table.with_columns(
        recency.alias(SCORE_COLUMNS["recency_score"]),
        frequency.alias(SCORE_COLUMNS["frequency_score"]),
        monetary.alias(SCORE_COLUMNS["monetary_score"]),
    )
    f, m = pl.col(SCORE_COLUMNS["frequency_score"]), pl.col(SCORE_COLUMNS["monetary_score"])
    return table.with_columns(((f + m + 1) // 2).alias(SCORE_COLUMNS["fm_score"]))


def score_rule(rule: Score) -> pl.Expr:
    return integer_compare(pl.col(SCORE_COLUMNS[rule.field]), rule.comparison)


def axis_value(axis: Axis, plan: FeaturePlan) -> pl.Expr:
    """The figure an axis places customers by (null for none: off the grid)."""
    if axis.field in SCORE_COLUMNS:
        return pl.col(SCORE_COLUMNS[axis.field])
    if axis.field == "order_count":
        return order_count(plan)
    if axis.field == "days_since_last_order":
        return days_since(plan)
    if axis.field == "days_since_first_order":
        return days_since(plan, FIRST_ORDER_AT)
    raise ValueError(f"not an axis field: {axis.field!r}")


def axis_bin(axis: Axis, value: pl.Expr) -> pl.Expr:
    """The bin index of `value` (`Axis.bin_of`): null off the grid."""
    index = pl.sum_horizontal([(value >= edge).cast(pl.Int64) for edge in axis.edges]) - 1
    return pl.when(value >= axis.edges[0]).then(index)


def grid_cells(
    table: pl.LazyFrame, grid: Grid, plan: FeaturePlan, flags: list[str]
) -> pl.LazyFrame:
    """Customers per (x bin, y bin, group): `flags` are the groups' partition columns in
    order (at most one holds), `table` the per-customer table of `plan`."""
    group = pl.coalesce([pl.when(pl.col(f)).then(pl.lit(i)) for i, f in enumerate(flags)])
    cells = table.select(
        axis_bin(grid.x, axis_value(grid.x, plan)).alias(CELL_X),
        axis_bin(grid.y, axis_value(grid.y, plan)).alias(CELL_Y),
        group.alias(CELL_GROUP),
    )
    return cells.group_by(CELL_X, CELL_Y, CELL_GROUP).agg(
        pl.len().cast(pl.Int64).alias(CELL_CUSTOMERS)
    )
