"""The feature plan: the per-customer columns a set of segments needs (backend-neutral).

Every order metric, item test and review test of every rule becomes one aggregate feature; equal
features are shared, so many segments cost one group-by per table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, assert_never

from segcli.periods import Window, resolve_period
from segcli.spec.model import (
    AllOf,
    AnyOf,
    Attribute,
    Definition,
    FieldTest,
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
from segcli.spec.segment_refs import resolve_segment as find_segment


@dataclass(frozen=True, slots=True)
class OrderAgg:
    """Over a customer's orders in `window` matching `where`: count, net spend or largest total."""

    measure: Literal["count", "spend", "max_total"]
    window: Window
    where: tuple[FieldTest, ...] = ()


@dataclass(frozen=True, slots=True)
class LineAgg:
    """Over line items of orders in `window` matching `where`, the lines matching `item`."""

    measure: Literal["lines", "quantity"]
    window: Window
    where: tuple[FieldTest, ...] = ()
    item: tuple[FieldTest, ...] = ()


@dataclass(frozen=True, slots=True)
class ReviewAgg:
    window: Window
    item: tuple[FieldTest, ...] = ()


Feature = OrderAgg | LineAgg | ReviewAgg

# Names every engine shares. The per-customer table of every engine is keyed by KEY and
# carries LIFETIME_SPEND (the first and last order's instants only when a rule reads them:
# FeaturePlan.needs_recency); its members table is EXPORT_COLUMNS plus one boolean column per
# segment, named by `segment_column`.
KEY = "customer_key"
LIFETIME_SPEND = "spend_cents"
FIRST_ORDER_AT = "first_order_at"
LAST_ORDER_AT = "last_order_at"
# The customers-table attributes a per-customer table carries (null for a buyer without a row).
MEMBER_ATTRIBUTES = (
    "customer_id",
    "email",
    "first_name",
    "last_name",
    "name",
    "registered_at",
    "country",
    "postal_code",
    "customer_type",
    "accepts_marketing",
    "tags",
)
EXPORT_COLUMNS = (
    KEY,
    "name",
    "first_name",
    "last_name",
    "email",
    "registered_at",
    "country",
    "postal_code",
    LIFETIME_SPEND,
)


# The RFM score columns of a per-customer table whose plan needs scores (FeaturePlan.needs_scores),
# by field; and the columns of an engine's grid count (Engine.grid_cells).
SCORE_COLUMNS = {
    "recency_score": "__recency_score",
    "frequency_score": "__frequency_score",
    "monetary_score": "__monetary_score",
    "fm_score": "__fm_score",
}
CELL_X, CELL_Y, CELL_GROUP, CELL_CUSTOMERS = "x", "y", "group", "customers"


def zero_when_absent(feature: Feature) -> bool:
    """Whether a customer with no rows for `feature` has it at zero (counts and sums), not
    null: the largest order of no orders is no value, and no `largest_order` test holds."""
    return not (isinstance(feature, OrderAgg) and feature.measure == "max_total")


def segment_column(definition: Definition) -> str:
    """The members table's flag column of one segment."""
    return f"segment:{definition.segment_id}"


@dataclass(slots=True)
class FeaturePlan:
    as_of: datetime  # UTC instant; nothing after it is seen
    timezone: str
    segments: tuple[Definition, ...]  # the segments to output, in a stable order
    library: dict[str, Definition]  # every definition reachable by in_segment, by segment id
    names: dict[Feature, str] = field(default_factory=dict)
    needs_recency: bool = False  # a rule reads the first or last order's date
    # A rule reads an RFM score: quintiles among all buyers, so no gate may narrow the
    # per-customer table before they are ranked (see `score_features`).
    needs_scores: bool = False

    def name(self, feature: Feature) -> str:
        return self.names[feature]

    def features(self, kind: type[OrderAgg | LineAgg | ReviewAgg]) -> list[Feature]:
        return [f for f in self.names if isinstance(f, kind)]

    @property
    def needs_lines(self) -> bool:
        return bool(self.features(LineAgg))

    @property
    def needs_reviews(self) -> bool:
        return bool(self.features(ReviewAgg))


def plan_features(
    segments: Sequence[Definition],
    as_of: datetime,
    timezone: str,
    library: Sequence[Definition] = (),
) -> FeaturePlan:
    """One plan for all segments (and the segments they reference)."""
    by_id = {d.segment_id: d for d in [*library, *segments]}
    plan = FeaturePlan(as_of, timezone, tuple(segments), by_id)
    for definition in segments:
        for condition in walk_conditions(definition.rule, by_id):
            plan.needs_recency |= isinstance(condition, Recency | Score)
            plan.needs_scores |= isinstance(condition, Score)
            for feature in features_of(condition, as_of, timezone):
                if feature not in plan.names:
                    plan.names[feature] = feature_column(feature, len(plan.names))
    return plan


_MEASURE_NAMES = {
    "count": "orders",
    "spend": "spend",
    "max_total": "largest_order",
    "lines": "lines_bought",
    "quantity": "items_bought",
}


def feature_column(feature: Feature, number: int) -> str:
    """A feature's column in the per-customer table: what it measures, numbered in the plan
    (`orders_0`, `spend_1`, `lines_bought_2`, `reviews_3`)."""
    measure = "reviews" if isinstance(feature, ReviewAgg) else _MEASURE_NAMES[feature.measure]
    return f"{measure}_{number}"


def resolve_segment(ref: str, library: dict[str, Definition]) -> Definition:
    """The definition an `in_segment` names, found as the checker finds it."""
    target = find_segment(library.values(), ref)
    if target is None:  # the checker reports every reference that does not resolve
        raise KeyError(ref)
    return target


def walk_conditions(
    rule: Rule, library: dict[str, Definition], seen: frozenset[str] = frozenset()
) -> Iterator[Rule]:
    """Every leaf condition under `rule`, following in_segment into the referenced rules."""
    match rule:
        case AllOf(rules=rules) | AnyOf(rules=rules) | NoneOf(rules=rules):
            for sub in rules:
                yield from walk_conditions(sub, library, seen)
        case Not(rule=sub) | GridGroup(rule=sub):
            yield from walk_conditions(sub, library, seen)
        case InSegment(segment=ref):
            target = resolve_segment(ref, library)
            if target.segment_id not in seen:
                yield from walk_conditions(target.rule, library, seen | {target.segment_id})
        case _:
            yield rule


def grid_groups(
    rule: Rule, library: dict[str, Definition], seen: frozenset[str] = frozenset()
) -> Iterator[GridGroup]:
    """Every grid or rfm_group condition under `rule`, following in_segment."""
    match rule:
        case AllOf(rules=rules) | AnyOf(rules=rules) | NoneOf(rules=rules):
            for sub in rules:
                yield from grid_groups(sub, library, seen)
        case Not(rule=sub):
            yield from grid_groups(sub, library, seen)
        case InSegment(segment=ref):
            target = resolve_segment(ref, library)
            if target.segment_id not in seen:
                yield from grid_groups(target.rule, library, seen | {target.segment_id})
        case GridGroup():
            yield rule
        case _:
            return


# Customer attributes no customer without a customers-table row satisfies: such a customer's
# attributes are null, and a null satisfies no test, `not` included.
GATE_FIELDS = frozenset(
    {"country", "postal_code", "customer_type", "customer_tag", "accepts_marketing"}
)


def customer_gate(
    rule: Rule, library: dict[str, Definition], seen: frozenset[str] = frozenset()
) -> Rule | None:
    """A condition on customers-table attributes alone that every member of `rule` satisfies,
    or None: `all` keeps the gates of its parts, `any` has one when every branch has one,
    and nothing under `not`/`none` counts. Members of `all: [country: GB, order_count: …]`
    are customers in GB, so only their orders need aggregating."""
    return _gate(rule, library, _customer_leaf, seen)


def purchase_gate(
    rule: Rule, library: dict[str, Definition], seen: frozenset[str] = frozenset()
) -> Rule | None:
    """The same for `purchased` conditions: members of `all: [purchased: …, total_spend: …]`
    bought the item, so only the buyers' orders need aggregating."""
    return _gate(rule, library, lambda leaf: isinstance(leaf, Purchased), seen)


def order_gate(
    rule: Rule, library: dict[str, Definition], leaf: Callable[[Rule], bool]
) -> Rule | None:
    """The same for conditions on a customer's orders that no customer without orders meets
    (`leaf` says which; an engine evaluates them on a customer's features at zero): members of
    `all: [order_count: {more_than: 2}, country: GB]` have orders, so the customers without
    any (most of a customers table) need not be joined to the orders' aggregates."""
    return _gate(rule, library, leaf, frozenset())


def _customer_leaf(leaf: Rule) -> bool:
    return isinstance(leaf, Registered) or (
        isinstance(leaf, Attribute) and leaf.field in GATE_FIELDS
    )


def _gate(
    rule: Rule, library: dict[str, Definition], leaf: Callable[[Rule], bool], seen: frozenset[str]
) -> Rule | None:
    match rule:
        case AllOf(rules=rules):
            parts = [g for r in rules if (g := _gate(r, library, leaf, seen)) is not None]
            return AllOf(tuple(parts)) if parts else None
        case AnyOf(rules=rules):
            gates = [_gate(r, library, leaf, seen) for r in rules]
            found = [g for g in gates if g is not None]
            return AnyOf(tuple(found)) if found and len(found) == len(gates) else None
        case InSegment(segment=ref):
            target = resolve_segment(ref, library)
            if target.segment_id in seen:
                return None
            return _gate(target.rule, library, leaf, seen | {target.segment_id})
        case _:
            return rule if leaf(rule) else None


def features_of(condition: Rule, as_of: datetime, timezone: str) -> tuple[Feature, ...]:
    """The aggregate features one leaf condition reads (empty for customer attributes)."""
    match condition:
        case Metric(field=name, period=period, where=where):
            window = resolve_period(period, as_of, timezone)
            return _metric_features(name, window, where)
        case HasOrder(period=period, where=where):
            return (OrderAgg("count", resolve_period(period, as_of, timezone), where),)
        case Purchased(item=item, period=period):
            return (LineAgg("lines", resolve_period(period, as_of, timezone), (), item),)
        case Reviewed(item=item, period=period):
            return (ReviewAgg(resolve_period(period, as_of, timezone), item),)
        case Score():
            return score_features()
        case Attribute() | Registered() | Recency() | InSegment():
            return ()
        case AllOf() | AnyOf() | NoneOf() | Not() | GridGroup():
            raise TypeError("features_of takes a leaf condition")
        case _:
            assert_never(condition)


def score_features() -> tuple[Feature, ...]:
    """What the RFM scores read besides lifetime spend and the last order: the all-time order
    count (frequency). Its column is `plan.name(score_features()[0])`."""
    return (OrderAgg("count", Window()),)


def _metric_features(
    name: str, window: Window, where: tuple[FieldTest, ...]
) -> tuple[Feature, ...]:
    if name == "order_count":
        return (OrderAgg("count", window, where),)
    if name == "total_spend":
        return (OrderAgg("spend", window, where),)
    if name == "average_order_value":
        return (OrderAgg("spend", window, where), OrderAgg("count", window, where))
    if name == "largest_order":
        return (OrderAgg("max_total", window, where),)
    if name == "items_purchased":
        return (LineAgg("quantity", window, where),)
    raise ValueError(f"unknown metric {name!r}")
