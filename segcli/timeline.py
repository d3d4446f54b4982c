"""One segment at many as-ofs as one feature plan (backend-neutral), for `segcli history`.

A feature at as-of t reads the orders up to t only. Closing its window at t (all time becomes
"up to t", `last 90 days` stays as it is) makes the feature a fact about the orders alone, so
the features of every as-of are columns of one group-by over the orders up to the last as-of:
equal closed features (a fixed `from`/`to` range seen from later dates) are one column. Each
as-of keeps its own plan, whose features name the merged plan's columns; an engine evaluates
the segment's rule with it over the one per-customer table, after narrowing what depends on the
as-of beyond the features (the last order before it, who had ordered by then).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from segcli.periods import Window
from segcli.plan import Feature, FeaturePlan, feature_column


def point_column(index: int) -> str:
    """The membership column of the index-th as-of (Engine.membership_over_time)."""
    return f"point:{index}"


@dataclass(frozen=True, slots=True)
class MergedPlan:
    """`merged`: every closed feature of every as-of, as-of the last one; `dated[i]`: the plan
    of as-of i, its features named by the merged plan's columns."""

    merged: FeaturePlan
    dated: tuple[FeaturePlan, ...]


def merge_plans(plans: Sequence[FeaturePlan]) -> MergedPlan:
    """One plan for the plans of the same segments at different as-ofs (in any order)."""
    if not plans:
        raise ValueError("no plans to merge")
    first = plans[0]
    last = max(p.as_of for p in plans)
    merged = FeaturePlan(last, first.timezone, first.segments, first.library)
    merged.needs_recency = any(p.needs_recency for p in plans)
    merged.needs_scores = any(p.needs_scores for p in plans)
    dated = []
    for plan in plans:
        names = {}
        for feature in plan.names:
            closed = close_feature(feature, plan)
            if closed not in merged.names:
                merged.names[closed] = feature_column(closed, len(merged.names))
            names[feature] = merged.names[closed]
        dated.append(dataclasses.replace(plan, names=names))
    return MergedPlan(merged, tuple(dated))


def close_feature(feature: Feature, plan: FeaturePlan) -> Feature:
    """The feature with its window ending at the plan's as-of at the latest (inclusive, as
    the as-of cut-off of every query is)."""
    return dataclasses.replace(feature, window=close_window(feature.window, plan))


def close_window(window: Window, plan: FeaturePlan) -> Window:
    if window.end is not None and window.end <= plan.as_of:
        return window  # already ends by the as-of (inclusive or not, as written)
    return dataclasses.replace(window, end=plan.as_of, end_inclusive=True)
