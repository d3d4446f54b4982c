"""The Polars backend: a feature plan + normalized tables → one lazy per-customer table.

One group-by over orders, one over order lines (joined to their orders first), one over reviews;
every rule of every segment is then a boolean column of that table (rules.py).
"""

from __future__ import annotations

from typing import assert_never

import polars as pl

from segcli.backends.polars.compare import (
    text_compare,
)
from segcli.backends.polars.grid import with_scores
from segcli.backends.polars.groups import (
    Aggregate,
    Combine,
    aggregate_by_customer,
    cell_groups,
)
from segcli.backends.polars.lines import aggregate_lines, flagged_lines
from segcli.backends.polars.orders import (
    NET,
    customers_gate,
    identity,
    known_customers,
    order_where,
    scope,
)
from segcli.backends.polars.rules import (
    buyers_gate,
    orders_gate,
    segment_flag,
    window_test,
)
from segcli.inputs.identity import IdentityResolver
from segcli.inputs.tables import Tables
from segcli.plan import (
    EXPORT_COLUMNS,
    FIRST_ORDER_AT,
    KEY,
    LAST_ORDER_AT,
    LIFETIME_SPEND,
    MEMBER_ATTRIBUTES,
    FeaturePlan,
    OrderAgg,
    ReviewAgg,
    segment_column,
    zero_when_absent,
)
from segcli.spec.fields import ITEM_FIELDS

ORDER_EMAIL = "order_email"


def build_customer_table(
    plan: FeaturePlan,
    tables: Tables,
    exclude: tuple[str, ...],
    lines: pl.DataFrame | None = None,
    *,
    gated: bool = False,
    cells: pl.DataFrame | None = None,
) -> pl.LazyFrame:
    """customer_key, attributes, lifetime spend, recency, features, and one flag per segment.

    `lines`: the collected `line_features` (with the same `gated`); without it they are part
    of this query, every item test on every line. `gated`: only customers who can be members
    of some segment (see `members_gate`); the others' rows are never aggregated. `cells`:
    the collected `order_cells_query` (with the same `gated` and `lines`), if any."""
    orders, known, gate = scope(plan, tables, exclude, gated=gated, lines=lines)
    keys = identity(tables)
    emails = tables.order_emails
    per_customer = _aggregate_orders(orders, plan, keys, emails=emails, cells=cells)
    if not tables.order_emails:  # no email column: no order's email stands in
        per_customer = per_customer.with_columns(pl.lit(None, pl.String).alias(ORDER_EMAIL))
    buyers = orders_gate(plan) if gated else None
    if buyers is not None:  # every member has orders that pass it
        per_customer = per_customer.filter(buyers)
    table = _join_customers(per_customer, known, gated=gate is not None, buyers=buyers is not None)
    table = with_item_features(table, plan, tables, orders, keys, lines)
    table = table.with_columns(pl.col(LIFETIME_SPEND).fill_null(0))
    if plan.needs_scores:
        table = with_scores(table, plan)
    flags = [segment_flag(d, plan).alias(segment_column(d)) for d in plan.segments]
    return table.with_columns(flags)


def with_item_features(
    table: pl.LazyFrame,
    plan: FeaturePlan,
    tables: Tables,
    orders: pl.LazyFrame,
    keys: IdentityResolver,
    lines: pl.DataFrame | None = None,
) -> pl.LazyFrame:
    """`table` with the plan's line and review features joined by customer, and every feature
    a customer without rows has at zero (see `zero_when_absent`) filled. `lines`: the line
    features already collected; without it they are computed over `orders` here."""
    if plan.needs_lines:
        if tables.lines is None:
            raise ValueError("needs order lines")
        per_customer = (
            aggregate_lines(
                flagged_lines(tables.lines, plan, tables.settings, None), orders, plan, keys
            )
            if lines is None
            else lines.lazy()
        )
        table = table.join(per_customer, on=KEY, how="left")
    if plan.needs_reviews:
        if tables.reviews is None:
            raise ValueError("needs reviews")
        table = table.join(_aggregate_reviews(tables.reviews, plan), on=KEY, how="left")
    zero = [pl.col(n).fill_null(0) for f, n in plan.names.items() if zero_when_absent(f)]
    return table.with_columns(zero)


def order_cells_query(
    plan: FeaturePlan,
    tables: Tables,
    exclude: tuple[str, ...],
    lines: pl.DataFrame | None = None,
) -> pl.LazyFrame | None:
    """What to collect before `build_members_table`: the orders' aggregates per id cell as
    written, and which cells' order emails can matter (see groups.cell_groups). The main
    query then groups by id and email only the orders of those cells, those of customers the
    customers table gives no email, where most customers have one a small part of the orders.

    None (the main query groups every order by id and email) where reading the orders again
    costs more than it saves: when they are not Parquet (every cell would be parsed again);
    when a gate already narrows the orders to few customers' (`scope`); without a customers
    table; when the orders are matched to customers by email; and when the orders have no
    email column at all (nothing to find). `lines`: as for `build_members_table`."""
    matched_by_email = tables.orders_by_email is not None
    if not tables.orders_parquet or matched_by_email or not tables.order_emails:
        return None
    narrowed = lines is not None and buyers_gate(plan) is not None
    known = known_customers(tables.customers)
    if known is None or narrowed or customers_gate(plan, tables, gated=True) is not None:
        return None
    orders, _known, _gate = scope(plan, tables, exclude, gated=True, lines=lines)
    with_email = known.filter(pl.col("email").is_not_null()).select(KEY)
    return cell_groups(orders, _order_aggregates(plan), identity(tables), with_email)


def build_members_table(
    plan: FeaturePlan,
    tables: Tables,
    exclude: tuple[str, ...],
    lines: pl.DataFrame | None = None,
    cells: pl.DataFrame | None = None,
) -> pl.LazyFrame:
    """Export columns and one flag per segment of the plan, only for the customers who are in
    at least one of the segments. `lines`: the collected `line_features(..., gated=True)`;
    `cells`: the collected `order_cells_query`, if any."""
    flags = [segment_column(d) for d in plan.segments]
    table = build_customer_table(plan, tables, exclude, lines, gated=True, cells=cells)
    return table.filter(pl.any_horizontal(flags) if flags else pl.lit(value=False)).select(
        *EXPORT_COLUMNS, *flags
    )


def _earliest_email(per_customer: pl.LazyFrame, keys: IdentityResolver) -> pl.LazyFrame:
    """The earliest order email as the customers table holds emails: trimmed, lower-cased."""
    first_email = keys.text(pl.col(ORDER_EMAIL), "email")
    return per_customer.with_columns(first_email.alias(ORDER_EMAIL)).drop(f"{ORDER_EMAIL}_at")


def _aggregate_orders(
    orders: pl.LazyFrame,
    plan: FeaturePlan,
    keys: IdentityResolver,
    *,
    emails: bool,
    cells: pl.DataFrame | None,
) -> pl.LazyFrame:
    email = ORDER_EMAIL if emails else None
    aggregates = _order_aggregates(plan)
    per_customer = aggregate_by_customer(orders, aggregates, keys, email=email, cells=cells)
    return _earliest_email(per_customer, keys) if emails else per_customer


def _order_aggregates(plan: FeaturePlan) -> list[Aggregate]:
    aggregates = [Aggregate(LIFETIME_SPEND, NET.sum(), "sum")]
    if plan.needs_recency:
        aggregates.append(Aggregate(FIRST_ORDER_AT, pl.col("ordered_at").min(), "min"))
        aggregates.append(Aggregate(LAST_ORDER_AT, pl.col("ordered_at").max(), "max"))
    for feature in plan.features(OrderAgg):
        assert isinstance(feature, OrderAgg)
        combine: Combine = "max" if feature.measure == "max_total" else "sum"
        aggregates.append(Aggregate(plan.name(feature), order_agg(feature), combine))
    return aggregates


def order_agg(feature: OrderAgg) -> pl.Expr:
    keep = window_test("ordered_at", feature.window) & order_where(feature.where)
    match feature.measure:
        case "count":
            return keep.sum().cast(pl.Int64)
        case "spend":
            return pl.when(keep).then(NET).otherwise(0).sum()
        case "max_total":
            return pl.when(keep).then(pl.col("total_cents")).max()  # filter() in agg: 3x slower
        case _:
            assert_never(feature.measure)


def _aggregate_reviews(reviews: pl.LazyFrame, plan: FeaturePlan) -> pl.LazyFrame:
    seen = reviews.filter((pl.col("reviewed_at") <= plan.as_of) & pl.col(KEY).is_not_null())
    aggs = []
    for feature in plan.features(ReviewAgg):
        assert isinstance(feature, ReviewAgg)
        keep = window_test("reviewed_at", feature.window) & _review_item(feature)
        aggs.append(keep.sum().cast(pl.Int64).alias(plan.name(feature)))
    return seen.group_by(KEY).agg(aggs)


def _review_item(feature: ReviewAgg) -> pl.Expr:
    test = pl.lit(value=True)
    for one in feature.item:
        test = test & text_compare(pl.col(ITEM_FIELDS[one.field]), one.comparison)
    return test


def _join_customers(
    per_customer: pl.LazyFrame, known: pl.LazyFrame | None, *, gated: bool, buyers: bool
) -> pl.LazyFrame:
    """The universe: every known customer plus every buyer (gated: the known customers only,
    as no buyer without a customers row passes the gate; `buyers`: only the buyers, as every
    member has orders, so the many customers without any are never joined)."""
    if known is None:
        attributes = [pl.lit(None, dtype=attribute_type(c)).alias(c) for c in MEMBER_ATTRIBUTES]
        table = per_customer.with_columns(attributes)
    elif buyers:
        table = per_customer.join(known, on=KEY, how="inner" if gated else "left")
    elif gated:
        table = known.join(per_customer, on=KEY, how="left")
    else:
        table = known.join(per_customer, on=KEY, how="full", coalesce=True)
    return table.with_columns(pl.coalesce("email", ORDER_EMAIL).alias("email")).drop(ORDER_EMAIL)


def attribute_type(column: str) -> pl.DataType:
    if column == "registered_at":
        return pl.Datetime("us", "UTC")
    if column == "accepts_marketing":
        return pl.Boolean()
    return pl.String()
