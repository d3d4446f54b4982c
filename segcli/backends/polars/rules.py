"""Rules → boolean Polars expressions over the per-customer table (see customers.py), and
the gates: tests every member of every segment passes, so that only their rows are aggregated."""

from __future__ import annotations

from datetime import datetime, tzinfo
from functools import lru_cache, partial
from typing import assert_never

import polars as pl

from segcli.backends.polars.compare import (
    CENTS,
    bool_compare,
    date_compare,
    integer_compare,
    multi_text_compare,
    ratio_compare,
    text_compare,
)
from segcli.backends.polars.grid import days_since, score_rule
from segcli.periods import Window, resolve_period
from segcli.plan import (
    FIRST_ORDER_AT,
    KEY,
    LAST_ORDER_AT,
    FeaturePlan,
    OrderAgg,
    customer_gate,
    features_of,
    order_gate,
    purchase_gate,
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


def window_test(column: str, window: Window) -> pl.Expr:
    col = pl.col(column)
    test = col.is_not_null()  # a column, never a literal: aggregates count rows
    if window.start is not None:
        start = instant(window.start, window.start.tzinfo, window.start.fold)
        test = test & (col >= start if window.start_inclusive else col > start)
    if window.end is not None:
        end = instant(window.end, window.end.tzinfo, window.end.fold)
        test = test & (col <= end if window.end_inclusive else col < end)
    return test


@lru_cache(maxsize=256)
def instant(value: datetime, zone: tzinfo | None, fold: int) -> pl.Expr:
    """The literal of a window bound, made once per value: Polars builds an aware datetime
    literal through an eager Series and a time zone conversion, and the rules of a run repeat
    the same few bounds (the as-of, the starts of their periods) many times. The zone and the
    fold are part of the key because equal instants in other zones are equal datetimes."""
    del zone, fold
    return pl.lit(value)


def members_gate(plan: FeaturePlan) -> pl.Expr | None:
    """A test on customers-table attributes every member of every segment passes, or None
    when some segment has no such test (see plan.customer_gate; marketing_only counts), and
    when a rule reads RFM scores: they rank every buyer, so every buyer is aggregated."""
    if plan.needs_scores:
        return None
    tests = []
    for definition in plan.segments:
        rule = customer_gate(definition.rule, plan.library)
        test = compile_rule(rule, plan) if rule is not None else None
        if definition.marketing_only:
            marketing = pl.col("accepts_marketing").fill_null(value=False)
            test = marketing if test is None else test & marketing
        if test is None:
            return None
        tests.append(test)
    return pl.any_horizontal(tests) if tests else None


def buyers_gate(plan: FeaturePlan) -> pl.Expr | None:
    """A test on the line features (`line_features`) every member of every segment passes,
    or None when some segment requires no purchase (see plan.purchase_gate) or a rule reads
    RFM scores (see members_gate)."""
    if plan.needs_scores:
        return None
    tests = []
    for definition in plan.segments:
        rule = purchase_gate(definition.rule, plan.library)
        if rule is None:
            return None
        tests.append(compile_rule(rule, plan))
    return pl.any_horizontal(tests) if tests else None


def orders_gate(plan: FeaturePlan) -> pl.Expr | None:
    """A test on the orders' per-customer aggregates every member of every segment passes, or
    None when some segment may have a member without orders (see plan.order_gate)."""
    tests = []
    for definition in plan.segments:
        rule = order_gate(definition.rule, plan.library, partial(_needs_orders, plan=plan))
        if rule is None:
            return None
        tests.append(compile_rule(rule, plan))
    return pl.any_horizontal(tests) if tests else None


def _needs_orders(leaf: Rule, plan: FeaturePlan) -> bool:
    """Whether a condition reads order aggregates only and is false for a customer without
    orders: evaluated on its features as build_customer_table fills them for such a customer."""
    if not isinstance(leaf, Metric | HasOrder):
        return False
    features = features_of(leaf, plan.as_of, plan.timezone)
    if not features or not all(isinstance(f, OrderAgg) for f in features):
        return False
    absent = {
        plan.name(f): [None if isinstance(f, OrderAgg) and f.measure == "max_total" else 0]
        for f in features
    }
    frame = pl.DataFrame(absent, schema=dict.fromkeys(absent, pl.Int64))
    return frame.select(compile_rule(leaf, plan)).item() is False


def segment_flag(definition: Definition, plan: FeaturePlan) -> pl.Expr:
    """A segment's rule plus its options (marketing_only; unidentified customers are kept here
    and left out at export unless include_unidentified)."""
    flag = compile_rule(definition.rule, plan)
    if definition.marketing_only:
        flag = flag & pl.col("accepts_marketing").fill_null(value=False)
    if not definition.include_unidentified:
        flag = flag & pl.col("email").is_not_null()
    return flag


def compile_rule(rule: Rule, plan: FeaturePlan) -> pl.Expr:
    match rule:
        case AllOf(rules=rules):
            return pl.all_horizontal([compile_rule(r, plan) for r in rules])
        case AnyOf(rules=rules):
            return pl.any_horizontal([compile_rule(r, plan) for r in rules])
        case NoneOf(rules=rules):
            return ~pl.any_horizontal([compile_rule(r, plan) for r in rules])
        case Not(rule=sub):
            return ~compile_rule(sub, plan)
        case InSegment(segment=ref):
            return compile_rule(resolve_segment(ref, plan.library).rule, plan)
        case GridGroup(rule=sub):
            return compile_rule(sub, plan)
        case Score():
            return score_rule(rule)
        case Attribute():
            return _attribute(rule)
        case Registered(period=period):
            window = resolve_period(period, plan.as_of, plan.timezone)
            return window_test("registered_at", window).fill_null(value=False)
        case Recency():
            return _recency(rule, plan)
        case Metric() | HasOrder() | Purchased() | Reviewed():
            return _aggregate_rule(rule, plan)
        case _:
            assert_never(rule)


def _attribute(rule: Attribute) -> pl.Expr:
    name, comparison = rule.field, rule.comparison
    if name == "customer_tag":
        return multi_text_compare(pl.col("tags"), ",", comparison)
    if name == "accepts_marketing":
        return bool_compare(pl.col("accepts_marketing"), comparison)
    if name == "has_email":
        return bool_compare(pl.col("email").is_not_null(), comparison)
    if name == "customer_id":
        return text_compare(pl.col(KEY), comparison)
    return text_compare(pl.col(name), comparison)  # country, postal_code, customer_type


def _recency(rule: Recency, plan: FeaturePlan) -> pl.Expr:
    column = (
        FIRST_ORDER_AT if rule.field.startswith(("first", "days_since_first")) else (LAST_ORDER_AT)
    )
    if rule.field.endswith("_date"):
        local_day = pl.col(column).dt.convert_time_zone(plan.timezone).dt.date()
        return date_compare(local_day, rule.comparison)
    return integer_compare(days_since(plan, column), rule.comparison)


def _aggregate_rule(rule: Metric | HasOrder | Purchased | Reviewed, plan: FeaturePlan) -> pl.Expr:
    names = [plan.name(f) for f in features_of(rule, plan.as_of, plan.timezone)]
    if not isinstance(rule, Metric):
        return pl.col(names[0]) > 0
    match rule.field:
        case "total_spend" | "largest_order":
            return integer_compare(pl.col(names[0]), rule.comparison, CENTS)
        case "average_order_value":
            return ratio_compare(pl.col(names[0]), pl.col(names[1]), rule.comparison, CENTS)
        case _:  # order_count, items_purchased
            return integer_compare(pl.col(names[0]), rule.comparison)
