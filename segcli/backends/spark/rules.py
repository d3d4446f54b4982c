"""Rules → boolean Spark columns over the per-customer table (see members.py), as the Polars
engine compiles them (segcli.backends.polars_rules): every leaf is never null, so `not` and
`none` mean what they say."""

from __future__ import annotations

from typing import assert_never
from zoneinfo import ZoneInfo

from pyspark.sql import Column
from pyspark.sql import functions as F  # noqa: N812

from segcli.backends.spark.cells import instant
from segcli.backends.spark.compare import (
    CENTS,
    LocalDays,
    all_of,
    any_of,
    bool_compare,
    integer_compare,
    multi_text_compare,
    ratio_compare,
    text_compare,
)
from segcli.errors import UsageError
from segcli.periods import Window, resolve_period
from segcli.plan import (
    FIRST_ORDER_AT,
    KEY,
    LAST_ORDER_AT,
    FeaturePlan,
    features_of,
    resolve_segment,
)
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


def window_test(column: str, window: Window) -> Column:
    """The column's instant is inside the window (never for a null)."""
    col = F.col(column)
    test = col.isNotNull()
    if window.start is not None:
        start = instant(window.start)
        test = test & (col >= start if window.start_inclusive else col > start)
    if window.end is not None:
        end = instant(window.end)
        test = test & (col <= end if window.end_inclusive else col < end)
    return test


def segment_flag(definition: Definition, plan: FeaturePlan) -> Column:
    """A segment's rule plus its options: marketing_only, and without include_unidentified
    only customers with an email."""
    flag = compile_rule(definition.rule, plan)
    if definition.marketing_only:
        flag = flag & F.coalesce(F.col("accepts_marketing"), F.lit(False))
    if not definition.include_unidentified:
        flag = flag & F.col("email").isNotNull()
    return flag


def compile_rule(rule: Rule, plan: FeaturePlan) -> Column:
    match rule:
        case AllOf(rules=rules):
            return all_of([compile_rule(r, plan) for r in rules])
        case AnyOf(rules=rules):
            return any_of([compile_rule(r, plan) for r in rules])
        case NoneOf(rules=rules):
            return ~any_of([compile_rule(r, plan) for r in rules])
        case Not(rule=sub):
            return ~compile_rule(sub, plan)
        case InSegment(segment=ref):
            return compile_rule(resolve_segment(ref, plan.library).rule, plan)
        case Attribute():
            return _attribute(rule)
        case Registered(period=period):
            window = resolve_period(period, plan.as_of, plan.timezone)
            return F.coalesce(window_test("registered_at", window), F.lit(False))
        case Recency():
            return _recency(rule, plan)
        case Metric() | HasOrder() | Purchased() | Reviewed():
            return _aggregate_rule(rule, plan)
        case GridGroup(rule=sub):
            return compile_rule(sub, plan)
        case Score():
            raise UsageError(
                f"{rule.span}: the spark engine does not compute RFM scores yet "
                "(they rank every buyer); build this segment with the default engine"
            )
        case _:
            assert_never(rule)


def _attribute(rule: Attribute) -> Column:
    name, comparison = rule.field, rule.comparison
    if name == "customer_tag":
        return multi_text_compare(F.col("tags"), ",", comparison)
    if name == "accepts_marketing":
        return bool_compare(F.col("accepts_marketing"), comparison)
    if name == "has_email":
        return bool_compare(F.col("email").isNotNull(), comparison)
    if name == "customer_id":
        return text_compare(F.col(KEY), comparison)
    return text_compare(F.col(name), comparison)  # country, postal_code, customer_type


def _recency(rule: Recency, plan: FeaturePlan) -> Column:
    """Calendar days in the project time zone, as instant thresholds on the first or last
    order's instant (see LocalDays): the zone is applied here, once, not to every row."""
    first = rule.field.startswith(("first", "days_since_first"))
    days = LocalDays(F.col(FIRST_ORDER_AT if first else LAST_ORDER_AT), plan.timezone)
    if rule.field.endswith("_date"):
        return days.date_compare(rule.comparison)
    as_of_day = plan.as_of.astimezone(ZoneInfo(plan.timezone)).date()
    return days.days_before(as_of_day, rule.comparison)


def _aggregate_rule(rule: Metric | HasOrder | Purchased | Reviewed, plan: FeaturePlan) -> Column:
    names = [plan.name(f) for f in features_of(rule, plan.as_of, plan.timezone)]
    if not isinstance(rule, Metric):
        return F.col(names[0]) > 0
    match rule.field:
        case "total_spend" | "largest_order":
            return integer_compare(F.col(names[0]), rule.comparison, CENTS)
        case "average_order_value":
            return ratio_compare(F.col(names[0]), F.col(names[1]), rule.comparison, CENTS)
        case _:  # order_count, items_purchased
            return integer_compare(F.col(names[0]), rule.comparison)
