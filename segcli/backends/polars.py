"""The Polars backend: a feature plan + normalized tables → one lazy per-customer table.

One group-by over orders, one over order lines (joined to their orders first), one over reviews;
every rule of every segment is then a boolean column of that table (polars_rules.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, assert_never

import polars as pl

from segcli.backends.polars_compare import (
    CENTS,
    integer_compare,
    multi_text_compare,
    text_compare,
)
from segcli.backends.polars_grid import with_scores
from segcli.backends.polars_groups import (
    Aggregate,
    Combine,
    aggregate_by_customer,
    earliest,
    rows_apart_from,
    rows_of,
)
from segcli.backends.polars_items import cell_query, lines_superset, with_item_flags
from segcli.backends.polars_rules import (
    buyers_gate,
    members_gate,
    segment_flag,
    window_test,
)
from segcli.inputs.assemble import KeyRule
from segcli.inputs.tables import FROM_EMAIL, ORDER_EMAIL_RAW, RAW_KEY, Tables
from segcli.plan import (
    EXPORT_COLUMNS,
    FIRST_ORDER_AT,
    KEY,
    LAST_ORDER_AT,
    LIFETIME_SPEND,
    MEMBER_ATTRIBUTES,
    FeaturePlan,
    LineAgg,
    OrderAgg,
    ReviewAgg,
    segment_column,
)
from segcli.spec.fields import ITEM_FIELDS
from segcli.spec.model import (
    FieldTest,
)

ORDER_EMAIL = "order_email"
NET = pl.col("total_cents") - pl.col("refunded_cents").fill_null(0)


def build_customer_table(
    plan: FeaturePlan,
    tables: Tables,
    exclude: tuple[str, ...],
    lines: pl.DataFrame | None = None,
    *,
    gated: bool = False,
    order_emails: pl.DataFrame | None = None,
) -> pl.LazyFrame:
    """customer_key, attributes, lifetime spend, recency, features, and one flag per segment.

    `lines`: the collected `line_features` (with the same `gated`); without it they are part
    of this query, every item test on every line. `gated`: only customers who can be members
    of some segment (see `members_gate`); the others' rows are never aggregated.
    `order_emails`: the collected `order_email_query` (gated); without it the orders' group-by
    computes every buyer's earliest email."""
    orders, known, gate = _scope(plan, tables, exclude, gated=gated, lines=lines)
    keys = tables.order_keys or KeyRule(tables.settings)
    per_customer = _aggregate_orders(orders, plan, keys, emails=order_emails is None)
    if order_emails is not None:  # its customers all have orders: none is lost or added
        per_customer = per_customer.join(order_emails.lazy(), on=KEY, how="left")
    table = _join_customers(per_customer, known, gated=gate is not None)
    if plan.needs_lines:
        if tables.lines is None:
            raise ValueError("needs order lines")
        per_customer = (
            _aggregate_lines(tables.lines, orders, plan, keys, None)
            if lines is None
            else lines.lazy()
        )
        table = table.join(per_customer, on=KEY, how="left")
    if plan.needs_reviews:
        if tables.reviews is None:
            raise ValueError("needs reviews")
        table = table.join(_aggregate_reviews(tables.reviews, plan), on=KEY, how="left")
    zero = [pl.col(n).fill_null(0) for f, n in plan.names.items() if _zero_when_absent(f)]
    table = table.with_columns(*zero, pl.col(LIFETIME_SPEND).fill_null(0))
    if plan.needs_scores:
        table = with_scores(table, plan)
    flags = [segment_flag(d, plan).alias(segment_column(d)) for d in plan.segments]
    return table.with_columns(flags)


def line_features(
    plan: FeaturePlan,
    tables: Tables,
    exclude: tuple[str, ...],
    cells: pl.DataFrame | None,
    *,
    gated: bool = False,
    order: Order = None,
) -> pl.LazyFrame:
    """customer_key and the order-line features, as a query of its own: collected before the
    main one, the lines' join and the orders' group-by do not hold memory at the same time
    (at 30M orders the one pass of rules/ peaked at 7.3 GB as one query, 4.2 GB this way).
    `cells`: the collected `item_cell_query` (item tests then run once per distinct cell).
    `order`: the lines and the orders are both sorted by order id this way (`id_order`)."""
    if tables.lines is None:
        raise ValueError("needs order lines")
    orders, _known, gate = _scope(plan, tables, exclude, gated=gated)
    keys = tables.order_keys or KeyRule(tables.settings)
    merge = order if gate is None else None  # rows_of does not keep the orders' order
    return _aggregate_lines(tables.lines, orders, plan, keys, cells, merge)


Order = Literal["ascending", "descending"] | None


def id_order_query(plan: FeaturePlan, tables: Tables, *, gated: bool) -> pl.LazyFrame | None:
    """What to collect before `line_features` to know whether the lines and the orders are
    both sorted by order id (exports often are: one order after the other). Sorted, the join
    is a merge join, no hash table: at 30M orders, 2.0 GB instead of 4.2 GB for the line
    features of rules/ (the check: 4 s from Parquet, a parse of both files from CSV).

    None when it would not pay: when every feature tests items, only the lines passing a test
    are joined and the hash table holds those (the smaller side), not every order; and when
    the customers gate narrows the orders, as rows_of does not keep their order."""
    if not plan.needs_lines or tables.lines is None:
        return None
    if all(f.item for f in plan.features(LineAgg) if isinstance(f, LineAgg)):
        return None
    if _gate(plan, tables, gated=gated) is not None:
        return None
    checks = [
        frame.select(
            pl.col("order_id").is_sorted().alias(f"{name}_ascending"),
            pl.col("order_id").is_sorted(descending=True).alias(f"{name}_descending"),
        )
        for name, frame in (("lines", tables.lines), ("orders", tables.orders))
    ]
    return pl.concat(checks, how="horizontal")


def id_order(checked: pl.DataFrame) -> Order:
    """The collected `id_order_query` as the order both files share, if any."""
    row = checked.row(0, named=True)
    if row["lines_ascending"] and row["orders_ascending"]:
        return "ascending"
    if row["lines_descending"] and row["orders_descending"]:
        return "descending"
    return None


def _gate(plan: FeaturePlan, tables: Tables, *, gated: bool) -> pl.Expr | None:
    """The customers gate `_scope` applies, if any."""
    return members_gate(plan) if gated and tables.customers is not None else None


def _scope(
    plan: FeaturePlan,
    tables: Tables,
    exclude: tuple[str, ...],
    *,
    gated: bool,
    lines: pl.DataFrame | None = None,
) -> tuple[pl.LazyFrame, pl.LazyFrame | None, pl.Expr | None]:
    """The orders that count, the known customers, and the customers gate applied, if any.

    Gated, the customers and their orders are narrowed to those who can be members: by the
    customers gate (`members_gate`), and with the collected `lines`, to the buyers of an
    item every segment requires (`buyers_gate`)."""
    orders = seen_orders(tables.orders, plan.as_of, exclude)
    known = _known_customers(tables.customers)
    gate = _gate(plan, tables, gated=gated)
    if known is not None and gate is not None:
        known = known.filter(gate)
        orders = rows_of(orders, known)
    if gated and lines is not None and (buyers := buyers_gate(plan)) is not None:
        candidates = lines.lazy().filter(buyers).select(KEY)
        known = None if known is None else known.join(candidates, on=KEY, how="semi")
        orders = rows_of(orders, candidates)
    return orders, known, gate


def order_email_query(
    plan: FeaturePlan,
    tables: Tables,
    exclude: tuple[str, ...],
    lines: pl.DataFrame | None = None,
) -> pl.LazyFrame | None:
    """What to collect before `build_members_table`: customer_key and the earliest order email
    of the buyers the customers table gives no email, the only ones whose export email comes
    from their orders. Where most customers have an email these are few orders, and the main
    query's group-by no longer carries every order's email: at 30M orders, rules/ peaked at
    2.1 GB instead of 2.6 GB in the same time; vip at 1.5 GB instead of 2.4 GB, 1 s slower.

    None (the main query's group-by then computes the emails) where reading the orders again
    costs more than it saves: when they are not Parquet (every cell parsed again: vip at 10M
    orders from CSV took 6.1 s instead of 4.8 s); when a gate already narrows the orders to
    few customers' (`_scope`: new_gb_ie_no_order 1.8 s instead of 1.2 s); without a customers
    table; and when the orders have no customer_id column (matched to customers by email,
    every order would be read). `lines`: as for `build_members_table`."""
    matched_by_email = tables.order_keys is not None and tables.order_keys.customers is not None
    if not tables.orders_parquet or matched_by_email:
        return None
    narrowed = lines is not None and buyers_gate(plan) is not None
    known = _known_customers(tables.customers)
    if known is None or narrowed or _gate(plan, tables, gated=True) is not None:
        return None
    orders = seen_orders(tables.orders, plan.as_of, exclude)  # no gate: as `_scope` has them
    keys = tables.order_keys or KeyRule(tables.settings)
    others = rows_apart_from(orders, known.filter(pl.col("email").is_not_null()))
    return _earliest_email(aggregate_by_customer(others, _EMAIL_AGGREGATES, keys), keys)


def build_members_table(
    plan: FeaturePlan,
    tables: Tables,
    exclude: tuple[str, ...],
    lines: pl.DataFrame | None = None,
    order_emails: pl.DataFrame | None = None,
) -> pl.LazyFrame:
    """Export columns and one flag per segment of the plan, only for the customers who are in
    at least one of the segments. `lines`: the collected `line_features(..., gated=True)`;
    `order_emails`: the collected `order_email_query`, if any."""
    flags = [segment_column(d) for d in plan.segments]
    table = build_customer_table(
        plan, tables, exclude, lines, gated=True, order_emails=order_emails
    )
    return table.filter(pl.any_horizontal(flags) if flags else pl.lit(value=False)).select(
        *EXPORT_COLUMNS, *flags
    )


def seen_orders(orders: pl.LazyFrame, as_of: datetime, exclude: tuple[str, ...]) -> pl.LazyFrame:
    """Orders that count: up to the as-of, status not excluded. (Orders that belong to nobody
    are dropped when they are grouped by customer: see polars_groups.)"""
    keep = pl.col("ordered_at") <= as_of
    if exclude:
        keep = keep & ~pl.col("status").fill_null("").is_in(list(exclude))
    return orders.filter(keep)


def _zero_when_absent(feature: OrderAgg | LineAgg | ReviewAgg) -> bool:
    return not (isinstance(feature, OrderAgg) and feature.measure == "max_total")


_EMAIL_AGGREGATES = earliest(ORDER_EMAIL, pl.col(ORDER_EMAIL_RAW), pl.col("ordered_at"))


def _earliest_email(per_customer: pl.LazyFrame, keys: KeyRule) -> pl.LazyFrame:
    """The `_EMAIL_AGGREGATES` as the customers table holds emails: trimmed, lower-cased."""
    first_email = keys.text(pl.col(ORDER_EMAIL), "email")
    return per_customer.with_columns(first_email.alias(ORDER_EMAIL)).drop(f"{ORDER_EMAIL}_at")


def _aggregate_orders(
    orders: pl.LazyFrame, plan: FeaturePlan, keys: KeyRule, *, emails: bool
) -> pl.LazyFrame:
    aggregates = [Aggregate(LIFETIME_SPEND, NET.sum(), "sum")]
    if emails:
        aggregates += _EMAIL_AGGREGATES
    if plan.needs_recency:
        aggregates.append(Aggregate(FIRST_ORDER_AT, pl.col("ordered_at").min(), "min"))
        aggregates.append(Aggregate(LAST_ORDER_AT, pl.col("ordered_at").max(), "max"))
    for feature in plan.features(OrderAgg):
        assert isinstance(feature, OrderAgg)
        combine: Combine = "max" if feature.measure == "max_total" else "sum"
        aggregates.append(Aggregate(plan.name(feature), _order_agg(feature), combine))
    per_customer = aggregate_by_customer(orders, aggregates, keys)
    return _earliest_email(per_customer, keys) if emails else per_customer


def _order_agg(feature: OrderAgg) -> pl.Expr:
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


def order_where(where: tuple[FieldTest, ...]) -> pl.Expr:
    test = pl.lit(value=True)
    for item in where:
        test = test & _order_field_test(item)
    return test


def _order_column(field: str) -> str:
    """The orders column an order field (of a `where`) reads."""
    return "total_cents" if field == "order_total" else field  # discount_code, status, currency


def _order_field_test(item: FieldTest) -> pl.Expr:
    column = pl.col(_order_column(item.field))
    if item.field == "order_total":
        return integer_compare(column, item.comparison, CENTS)
    if item.field == "discount_code":
        return multi_text_compare(column, " + ", item.comparison)
    return text_compare(column, item.comparison)  # status, currency


def item_cell_query(plan: FeaturePlan, tables: Tables) -> pl.LazyFrame | None:
    """What to collect before the main query so item tests run per distinct cell, if any."""
    if not plan.needs_lines or tables.lines is None:
        return None
    features = [f for f in plan.features(LineAgg) if isinstance(f, LineAgg)]
    if _line_filter(features, tables.lines) is not None:
        return None  # few lines reach the tests: one more scan for the distinct cells costs more
    return cell_query(tables.lines, tuple(dict.fromkeys(f.item for f in features)))


def _line_filter(features: list[LineAgg], lines: pl.LazyFrame) -> pl.Expr | None:
    """The superset filter on the lines as written, when every feature tests items."""
    if not all(f.item for f in features):
        return None
    items = tuple(dict.fromkeys(f.item for f in features))
    return lines_superset(items, set(lines.collect_schema().names()))


def _aggregate_lines(
    lines: pl.LazyFrame,
    orders: pl.LazyFrame,
    plan: FeaturePlan,
    keys: KeyRule,
    cells: pl.DataFrame | None,
    order: Order = None,
) -> pl.LazyFrame:
    """Lines joined to their (seen) orders, then one group-by per customer.

    Each distinct item test is computed once, on the lines, before the join; when every feature
    has an item test (or an order test), only lines (orders) passing at least one are joined: the
    others count towards no feature. Only the columns the features read are carried."""
    features = [f for f in plan.features(LineAgg) if isinstance(f, LineAgg)]
    items = {item: f"__item{i}" for i, item in enumerate(dict.fromkeys(f.item for f in features))}
    narrow = _line_filter(features, lines)
    if narrow is not None:
        lines = lines.filter(narrow)  # pushed into the scan, before the cells are parsed
    line_columns = ["order_id"] + (
        ["quantity"] if any(f.measure == "quantity" for f in features) else []
    )
    lines, item_tests = with_item_flags(lines, items, keys.settings, cells)
    tested = lines.select(*line_columns, *item_tests)
    if all(f.item for f in features):
        tested = tested.filter(pl.any_horizontal(list(items.values())))
    where_columns = dict.fromkeys(_order_column(w.field) for f in features for w in f.where)
    seen = orders.select("order_id", RAW_KEY, FROM_EMAIL, "ordered_at", *where_columns)
    tests = {f: window_test("ordered_at", f.window) & order_where(f.where) for f in features}
    if all(_bounded(f) for f in features):
        seen = seen.filter(pl.any_horizontal(list(tests.values())))
    if order is not None:  # filters keep the files' order
        descending = order == "descending"
        tested = tested.set_sorted("order_id", descending=descending)
        seen = seen.set_sorted("order_id", descending=descending)
    joined = tested.join(seen, on="order_id", how="inner")
    aggregates = []
    for feature in features:
        keep = tests[feature] & pl.col(items[feature.item])
        value = (
            keep.sum()
            if feature.measure == "lines"
            else pl.when(keep).then(pl.col("quantity")).otherwise(0).sum()
        )
        aggregates.append(Aggregate(plan.name(feature), value.cast(pl.Int64), "sum"))
    return aggregate_by_customer(joined, aggregates, keys)


def _bounded(feature: LineAgg) -> bool:
    """Whether the feature reads only some orders: a window with a bound, or an order test."""
    return bool(feature.where) or feature.window.start is not None or feature.window.end is not None


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


def _known_customers(customers: pl.LazyFrame | None) -> pl.LazyFrame | None:
    """One row per customer key: the first row wins. (`unique(keep="first")` before a join
    lost its maintain_order to the optimizer and cost 7x more: 0.9 s for 1M customers.)"""
    if customers is None:
        return None
    first = pl.col(KEY).is_not_null() & pl.col(KEY).is_first_distinct()
    return customers.filter(first).select(KEY, *MEMBER_ATTRIBUTES)


def _join_customers(
    per_customer: pl.LazyFrame, known: pl.LazyFrame | None, *, gated: bool
) -> pl.LazyFrame:
    """The universe: every known customer plus every buyer (gated: the known customers only,
    as no buyer without a customers row passes the gate)."""
    if known is None:
        attributes = [pl.lit(None, dtype=_attribute_type(c)).alias(c) for c in MEMBER_ATTRIBUTES]
        table = per_customer.with_columns(attributes)
    elif gated:
        table = known.join(per_customer, on=KEY, how="left")
    else:
        table = known.join(per_customer, on=KEY, how="full", coalesce=True)
    return table.with_columns(pl.coalesce("email", ORDER_EMAIL).alias("email")).drop(ORDER_EMAIL)


def _attribute_type(column: str) -> pl.DataType:
    if column == "registered_at":
        return pl.Datetime("us", "UTC")
    if column == "accepts_marketing":
        return pl.Boolean()
    return pl.String()
