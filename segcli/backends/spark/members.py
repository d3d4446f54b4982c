"""The per-customer table on Spark: one group-by over orders, one over order lines joined to
their orders, one over reviews, the customers joined; every rule of every segment is then a
boolean column (rules.py), and only the members leave the cluster."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, assert_never

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F  # noqa: N812

from segcli.backends.spark.cells import trimmed
from segcli.backends.spark.compare import (
    CENTS,
    all_of,
    any_of,
    integer_compare,
    multi_text_compare,
    text_compare,
)
from segcli.backends.spark.inputs import ORDER_EMAIL_RAW
from segcli.backends.spark.rules import compile_rule, segment_flag, window_test
from segcli.periods import Window
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
    zero_when_absent,
)
from segcli.spec.fields import ITEM_FIELDS

if TYPE_CHECKING:
    from segcli.backends.spark.inputs import SparkInputs
    from segcli.spec.model import FieldTest, Rule

ORDER_EMAIL = "__segcli_order_email"


def _net() -> Column:
    """An order's spend: total less refunds (columns are built only once a session exists)."""
    return F.col("total_cents") - F.col("refunded_cents")


_ATTRIBUTE_TYPES = {"registered_at": "timestamp", "accepts_marketing": "boolean"}


def members_frame(plan: FeaturePlan, inputs: SparkInputs) -> DataFrame:
    """EXPORT_COLUMNS and one flag per segment, for customers in at least one segment."""
    flags = [f"__segcli_flag{i}" for i in range(len(plan.segments))]
    table = customer_frame(plan, inputs)
    table = table.select(
        *EXPORT_COLUMNS,
        *(segment_flag(d, plan).alias(f) for d, f in zip(plan.segments, flags, strict=True)),
    )
    members = table.filter(any_of([F.col(f) for f in flags]))
    return members.select(
        *EXPORT_COLUMNS,
        *(F.col(f).alias(segment_column(d)) for d, f in zip(plan.segments, flags, strict=True)),
    )


def customer_rows(
    plan: FeaturePlan, inputs: SparkInputs, customers: Sequence[str], rules: Sequence[Rule]
) -> DataFrame:
    """The per-customer rows of the customers named (each an id or email, any case), with
    `rule<i>`: whether `rules[i]` holds, and each segment's flag (for `segcli why`)."""
    wanted = [c.strip().lower() for c in customers]
    table = customer_frame(plan, inputs)
    match = F.lower(F.col(KEY)).isin(*wanted) | F.col("email").isin(*wanted)
    return table.filter(match).select(
        "*",
        *(compile_rule(rule, plan).alias(f"rule{i}") for i, rule in enumerate(rules)),
        *(segment_flag(d, plan).alias(segment_column(d)) for d in plan.segments),
    )


def customer_frame(plan: FeaturePlan, inputs: SparkInputs) -> DataFrame:
    """customer_key, the customers' attributes, lifetime spend, recency and every feature."""
    orders = seen_orders(inputs, plan)
    table = _join_customers(_aggregate_orders(orders, plan), inputs.customers)
    if plan.needs_lines:
        if inputs.lines is None:
            raise ValueError("needs order lines")
        table = table.join(_aggregate_lines(inputs.lines, orders, plan), on=KEY, how="left")
    if plan.needs_reviews:
        if inputs.reviews is None:
            raise ValueError("needs reviews")
        table = table.join(_aggregate_reviews(inputs.reviews, plan), on=KEY, how="left")
    zero = [n for f, n in plan.names.items() if zero_when_absent(f)]
    return table.fillna(0, subset=[*zero, LIFETIME_SPEND])


def seen_orders(inputs: SparkInputs, plan: FeaturePlan) -> DataFrame:
    """Orders that count: up to the as-of, status not excluded, belonging to someone."""
    keep = window_test("ordered_at", _up_to(plan)) & F.col(KEY).isNotNull()
    exclude = inputs.settings.exclude_statuses
    if exclude:
        keep = keep & ~F.coalesce(F.col("status"), F.lit("")).isin(*exclude)
    return inputs.orders.filter(keep)


def _up_to(plan: FeaturePlan) -> Window:
    """Nothing after the as-of is seen."""
    return Window(end=plan.as_of, end_inclusive=True)


def _aggregate_orders(orders: DataFrame, plan: FeaturePlan) -> DataFrame:
    present = F.col(ORDER_EMAIL_RAW).isNotNull()
    earliest = F.when(present, F.struct(F.col("ordered_at"), F.col(ORDER_EMAIL_RAW)))
    aggregates = [
        F.sum(_net()).alias(LIFETIME_SPEND),
        F.min(earliest).getField(ORDER_EMAIL_RAW).alias(ORDER_EMAIL),
    ]
    if plan.needs_recency:
        aggregates.append(F.min("ordered_at").alias(FIRST_ORDER_AT))
        aggregates.append(F.max("ordered_at").alias(LAST_ORDER_AT))
    for feature in plan.features(OrderAgg):
        assert isinstance(feature, OrderAgg)
        aggregates.append(_order_agg(feature).alias(plan.name(feature)))
    per_customer = orders.groupBy(KEY).agg(*aggregates)
    # The earliest email as written, then as the customers table holds emails.
    return per_customer.withColumn(ORDER_EMAIL, F.lower(trimmed(F.col(ORDER_EMAIL))))


def _order_agg(feature: OrderAgg) -> Column:
    keep = window_test("ordered_at", feature.window) & order_where(feature.where)
    match feature.measure:
        case "count":
            return F.sum(F.when(keep, F.lit(1)).otherwise(F.lit(0)).cast("long"))
        case "spend":
            return F.sum(F.when(keep, _net()).otherwise(F.lit(0)).cast("long"))
        case "max_total":
            return F.max(F.when(keep, F.col("total_cents")))
        case _:
            assert_never(feature.measure)


def order_where(where: tuple[FieldTest, ...]) -> Column:
    return all_of([_order_field_test(item) for item in where])


def _order_column(field: str) -> str:
    return "total_cents" if field == "order_total" else field  # discount_code, status, currency


def _order_field_test(item: FieldTest) -> Column:
    column = F.col(_order_column(item.field))
    if item.field == "order_total":
        return integer_compare(column, item.comparison, CENTS)
    if item.field == "discount_code":
        return multi_text_compare(column, " + ", item.comparison)
    return text_compare(column, item.comparison)  # status, currency


def _item_test(item: tuple[FieldTest, ...]) -> Column:
    """Every field test of one `purchased` holds on the same line."""
    tests = []
    for one in item:
        column = F.col(ITEM_FIELDS[one.field])
        if one.field == "tag":
            tests.append(multi_text_compare(column, ",", one.comparison))
        else:
            tests.append(text_compare(column, one.comparison))
    return all_of(tests)


def _aggregate_lines(lines: DataFrame, orders: DataFrame, plan: FeaturePlan) -> DataFrame:
    """Lines joined to their (seen) orders, then one group-by per customer."""
    features = [f for f in plan.features(LineAgg) if isinstance(f, LineAgg)]
    distinct = dict.fromkeys(f.item for f in features)
    items = {item: f"__segcli_item{i}" for i, item in enumerate(distinct)}
    flags = (_item_test(item).alias(name) for item, name in items.items())
    tested = lines.select("order_id", "quantity", *flags)
    where_columns = dict.fromkeys(_order_column(w.field) for f in features for w in f.where)
    seen = orders.select("order_id", KEY, "ordered_at", *where_columns)
    joined = tested.join(seen, on="order_id", how="inner")
    aggregates = []
    for feature in features:
        keep = window_test("ordered_at", feature.window) & order_where(feature.where)
        keep = keep & F.col(items[feature.item])
        value = F.lit(1) if feature.measure == "lines" else F.col("quantity")
        total = F.sum(F.when(keep, value).otherwise(F.lit(0)).cast("long"))
        aggregates.append(total.alias(plan.name(feature)))
    return joined.groupBy(KEY).agg(*aggregates)


def _aggregate_reviews(reviews: DataFrame, plan: FeaturePlan) -> DataFrame:
    seen = reviews.filter(window_test("reviewed_at", _up_to(plan)) & F.col(KEY).isNotNull())
    aggregates = []
    for feature in plan.features(ReviewAgg):
        assert isinstance(feature, ReviewAgg)
        keep = window_test("reviewed_at", feature.window) & _review_item(feature)
        count = F.sum(F.when(keep, F.lit(1)).otherwise(F.lit(0)).cast("long"))
        aggregates.append(count.alias(plan.name(feature)))
    return seen.groupBy(KEY).agg(*aggregates)


def _review_item(feature: ReviewAgg) -> Column:
    return all_of([text_compare(F.col(ITEM_FIELDS[o.field]), o.comparison) for o in feature.item])


def _join_customers(per_customer: DataFrame, known: DataFrame | None) -> DataFrame:
    """The universe: every known customer plus every buyer; the email is the customer's,
    else the earliest order's."""
    if known is None:
        attributes = [
            F.lit(None).cast(_ATTRIBUTE_TYPES.get(c, "string")).alias(c) for c in MEMBER_ATTRIBUTES
        ]
        table = per_customer.select("*", *attributes)
    else:
        table = known.join(per_customer, on=KEY, how="full")
    email = F.coalesce(F.col("email"), F.col(ORDER_EMAIL))
    return table.withColumn("email", email).drop(ORDER_EMAIL)
