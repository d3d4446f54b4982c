"""One segment's membership at many as-ofs: one group-by over the orders for a chunk of as-ofs.

The per-customer table is build_customer_table's, ungated, over the merged plan of
segcli.timeline: its features are those of every as-of, each window closed at its as-of. What
depends on the as-of beyond the features is kept so that each as-of can narrow it: the first
order's instant (who had ordered by then), the last order before each as-of (recency), and the
earliest order email with its instant (a buyer without a customers row has the email of an
order only once it is placed). Each as-of's flag is then the segment's rule, compiled with that
as-of's plan, over the one collected table, exactly as a build at that as-of evaluates it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from datetime import datetime

import polars as pl

from segcli.backends.polars.budget import pass_count
from segcli.backends.polars.customers import (
    ORDER_EMAIL,
    attribute_type,
    order_agg,
    with_item_features,
)
from segcli.backends.polars.groups import Aggregate, Combine, aggregate_by_customer, earliest
from segcli.backends.polars.orders import identity, known_customers, seen_orders
from segcli.backends.polars.passes import Pass
from segcli.backends.polars.rules import segment_flag
from segcli.inputs.checks import QueryRunner
from segcli.inputs.identity import IdentityResolver
from segcli.inputs.tables import ORDER_EMAIL_RAW, Tables
from segcli.plan import FIRST_ORDER_AT, KEY, LAST_ORDER_AT, MEMBER_ATTRIBUTES, FeaturePlan, OrderAgg
from segcli.timeline import merge_plans, point_column

# At most this many feature columns in one group-by: more as-ofs take more queries, so a long
# daily history holds a bounded table (a dozen monthly points of a few rules take one query).
MAX_COLUMNS = 64
_KNOWN = "__known"
_LAST = "__last_order_at_{}"
_EMAIL_AT = f"{ORDER_EMAIL}_at"

Progress = Callable[[int, int], None]


def membership_over_time(
    plans: Sequence[FeaturePlan],
    tables: Tables,
    runner: QueryRunner,
    roles: list[str],
    progress: Progress | None = None,
) -> pl.DataFrame:
    """KEY and point_column(i) for plan i, for the customers who are members at one as-of at
    least: one query per chunk of as-ofs (`chunks`) per pass over the customers (passes.py, as
    many as a build takes), `progress(done, total)` in queries after each."""
    count = pass_count(tables)
    parts = chunks(plans)
    queries = itertools.count(1)

    def tick() -> None:
        done = next(queries)
        if progress is not None:
            progress(done, count * len(parts))

    found = [_pass_flags(parts, Pass(i, count), tables, runner, roles, tick) for i in range(count)]
    return pl.concat(found)


def _pass_flags(
    parts: list[list[FeaturePlan]],
    part: Pass,
    tables: Tables,
    runner: QueryRunner,
    roles: list[str],
    tick: Callable[[], None],
) -> pl.DataFrame:
    """The flags of one pass's customers: a query per chunk of as-ofs (`tick` after each),
    joined by customer."""
    result: pl.DataFrame | None = None
    done = 0
    for chunk in parts:
        flags = _chunk_flags(chunk, part, tables, runner, roles)
        flags = flags.rename({point_column(i): point_column(done + i) for i in range(len(chunk))})
        result = flags if result is None else _join_flags(result, flags)
        done += len(chunk)
        tick()
    assert result is not None
    return result


def chunks(plans: Sequence[FeaturePlan]) -> list[list[FeaturePlan]]:
    """Consecutive runs of plans whose features fit MAX_COLUMNS (one plan at least each)."""
    per_point = max(1, len(plans[0].names) + (1 if plans[0].needs_recency else 0))
    size = max(1, MAX_COLUMNS // per_point)
    return [list(plans[i : i + size]) for i in range(0, len(plans), size)]


def _join_flags(left: pl.DataFrame, right: pl.DataFrame) -> pl.DataFrame:
    joined = left.join(right, on=KEY, how="full", coalesce=True)
    return joined.with_columns(pl.exclude(KEY).fill_null(value=False))


def _chunk_flags(
    plans: list[FeaturePlan], part: Pass, whole: Tables, runner: QueryRunner, roles: list[str]
) -> pl.DataFrame:
    merged = merge_plans(plans)
    query = history_table(merged.merged, [p.as_of for p in plans], part.tables(whole))
    table = runner.collect(part.keys(query), roles)
    dated = enumerate(merged.dated)
    columns = [_point_flag(table, plan, i).alias(point_column(i)) for i, plan in dated]
    flags = pl.DataFrame([table[KEY], *columns])
    return flags.filter(pl.any_horizontal(pl.exclude(KEY)))


def _point_flag(table: pl.DataFrame, plan: FeaturePlan, index: int) -> pl.Series:
    """Membership at one as-of: the customers a build sees then (known ones, and buyers by
    then), with the recency and order email of that date, through the segment's flag."""
    as_of = plan.as_of
    first = pl.col(FIRST_ORDER_AT)
    ordered = first.is_not_null() & (first <= as_of)
    email = pl.when(pl.col(_EMAIL_AT) <= as_of).then(pl.col(ORDER_EMAIL))
    dated = {
        FIRST_ORDER_AT: pl.when(ordered).then(first),
        "email": pl.coalesce(pl.col("email"), email),
    }
    if plan.needs_recency:
        dated[LAST_ORDER_AT] = pl.col(_LAST.format(index))
    flag = (pl.col(_KNOWN) | ordered) & segment_flag(plan.segments[0], plan)
    frame = table.lazy().with_columns(**dated).select(flag.fill_null(value=False).alias("flag"))
    return frame.collect()["flag"]


def history_table(plan: FeaturePlan, as_ofs: Sequence[datetime], tables: Tables) -> pl.LazyFrame:
    """Every known customer and every buyer up to the last as-of: attributes, the merged plan's
    features (zero where absent, as build_customer_table fills them), the first order, the last
    order before each as-of, and the earliest order email with its instant."""
    exclude = tables.settings.exclude_statuses
    orders = seen_orders(tables.orders, plan.as_of, exclude)
    keys = identity(tables)
    per_customer = aggregate_by_customer(orders, _order_aggregates(plan, as_ofs, tables), keys)
    per_customer = _order_email(per_customer, keys, tables)
    table = _with_customers(per_customer, known_customers(tables.customers))
    return with_item_features(table, plan, tables, orders, keys)


def _order_aggregates(
    plan: FeaturePlan, as_ofs: Sequence[datetime], tables: Tables
) -> list[Aggregate]:
    at = pl.col("ordered_at")
    aggregates = [Aggregate(FIRST_ORDER_AT, at.min(), "min")]
    if tables.order_emails:
        aggregates += earliest(ORDER_EMAIL, pl.col(ORDER_EMAIL_RAW), at)
    if plan.needs_recency:
        for index, as_of in enumerate(as_ofs):
            last = pl.when(at <= as_of).then(at).max()
            aggregates.append(Aggregate(_LAST.format(index), last, "max"))
    for feature in plan.features(OrderAgg):
        assert isinstance(feature, OrderAgg)
        combine: Combine = "max" if feature.measure == "max_total" else "sum"
        aggregates.append(Aggregate(plan.name(feature), order_agg(feature), combine))
    return aggregates


def _order_email(
    per_customer: pl.LazyFrame, keys: IdentityResolver, tables: Tables
) -> pl.LazyFrame:
    """The earliest order email as the customers table holds emails (its instant kept)."""
    if not tables.order_emails:  # no email column: no order's email stands in
        nothing = [
            pl.lit(None, pl.String).alias(ORDER_EMAIL),
            pl.lit(None, pl.Datetime("us", "UTC")).alias(_EMAIL_AT),
        ]
        return per_customer.with_columns(nothing)
    return per_customer.with_columns(keys.text(pl.col(ORDER_EMAIL), "email").alias(ORDER_EMAIL))


def _with_customers(per_customer: pl.LazyFrame, known: pl.LazyFrame | None) -> pl.LazyFrame:
    """Known customers (marked) and buyers, as an ungated build joins them."""
    if known is None:
        attributes = [pl.lit(None, dtype=attribute_type(c)).alias(c) for c in MEMBER_ATTRIBUTES]
        return per_customer.with_columns(*attributes, pl.lit(value=False).alias(_KNOWN))
    known = known.with_columns(pl.lit(value=True).alias(_KNOWN))
    table = known.join(per_customer, on=KEY, how="full", coalesce=True)
    return table.with_columns(pl.col(_KNOWN).fill_null(value=False))
