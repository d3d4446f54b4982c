"""RFM scores and grid groups: segcli against the plain-Python reference (tests/reference.py) on
random shops, and the cases at the edges worked out by hand.

The random shops (tests/test_differential.py) put orders on period boundaries (the as-of minus
90 days among them) and draw totals from a small pool, so equal spends and equal recencies
across a quintile edge are common; the hand-made cases pin the documented rule down."""

from __future__ import annotations

import tempfile
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import reference
from differential import check, run_both
from hypothesis import given, settings
from random_shops import (
    DIFFERENTIAL,
    SEEDS,
    Example,
    Gen,
    Shop,
    document,
    leaf,
    make_shop,
    report,
    write_files,
)

RFM_GROUPS = [
    "champions",
    "loyal",
    "active",
    "new",
    "promising",
    "needs_attention",
    "almost_lost",
    "at_risk",
    "previously_loyal",
    "dormant",
    "prospects",
]
RETENTION_GROUPS = ["loyal", "red_alert", "promising", "sleepers", "one_time_buyers"]
SCORES = ["recency_score", "frequency_score", "monetary_score", "fm_score"]


def grid_leaf(g: Gen) -> dict[str, Any]:
    """One score, RFM group or retention group condition, in the forms users write."""
    kind = g.pick(["score", "score", "rfm", "retention"])
    if kind == "score":
        op = g.pick(["exactly", "at_least", "at_most", "between", "list", "scalar"])
        if op == "between":
            low = g.randint(1, 5)
            return {g.pick(SCORES): {"between": [low, g.randint(low, 5)]}}
        if op == "list":
            return {g.pick(SCORES): g.some(range(1, 6), 3, least=1)}
        value = g.randint(1, 5)
        return {g.pick(SCORES): value if op == "scalar" else {op: value}}
    if kind == "rfm":
        names = g.some(RFM_GROUPS, 3, least=1)
        spelled = [g.pick([n, n.replace("_", " ").title(), n.replace("_", "-")]) for n in names]
        return {"rfm_group": spelled if len(spelled) > 1 or g.chance(50) else spelled[0]}
    groups = g.some(RETENTION_GROUPS, 2, least=1)
    return {"grid": {"name": "retention", "group": groups if len(groups) > 1 else groups[0]}}


def grid_rules(g: Gen, shop: Shop) -> dict[str, Any]:
    """A grid condition alone, negated, or combined with any other field of the language."""
    own = grid_leaf(g)
    how = g.pick(["alone", "not", "all", "any", "none"])
    if how == "alone":
        return own
    if how == "not":
        return {"not": own}
    return {how: [own, g.pick([leaf(g, shop), grid_leaf(g)])]}


def grid_example(seed: int) -> Example:
    g = Gen(seed)
    shop = make_shop(g)
    return Example(shop, document(g, grid_rules(g, shop)))


@settings(DIFFERENTIAL, max_examples=max(1, DIFFERENTIAL.max_examples // 2))
@given(seed=SEEDS)
def test_scores_and_groups_match_reference(seed: int) -> None:
    check(grid_example, seed)


# ---- the edges, by hand --------------------------------------------------------------------

AS_OF = "2024-06-15"


def _orders(*rows: tuple[str, str, str]) -> list[list[str]]:
    """(customer, day, total) → order rows."""
    return [
        [f"O{i:03d}", who, "", f"{day} 12:00:00", total, "", "", "", ""]
        for i, (who, day, total) in enumerate(rows)
    ]


def _members(rows: list[list[str]], rule: dict[str, Any]) -> list[str]:
    shop = Shop(AS_OF, _instant(), {"orders": rows, "order_lines": [], "customers": []})
    shop.tables["reviews"] = []
    example = Example(shop, {"name": "Case", "include_unidentified": True, "rules": rule})
    expected, actual = run_both(example)
    assert actual == expected, (expected, actual)
    return list(expected)


def _instant() -> datetime:
    return datetime(2024, 6, 15, tzinfo=UTC)


# Five buyers with spends 10, 20, 20, 30, 40: buyers strictly below 20 are 1 of 5 (20 %), so
# both 20s score 2 (ties share a score); 30 has 3 of 5 below (60 %): 4; 40 has 80 %: 5.
SPENDS = _orders(
    ("A", "2024-06-01", "10.00"),
    ("B", "2024-06-01", "20.00"),
    ("C", "2024-06-01", "20.00"),
    ("D", "2024-06-01", "30.00"),
    ("E", "2024-06-01", "40.00"),
)


@pytest.mark.parametrize(
    ("score", "members"),
    [(1, ["A"]), (2, ["B", "C"]), (3, []), (4, ["D"]), (5, ["E"])],
)
def test_equal_spends_across_a_quintile_edge_share_a_score(score: int, members: list[str]) -> None:
    assert _members(SPENDS, {"monetary_score": score}) == members


def test_every_buyer_with_the_same_figure_scores_one() -> None:
    # Frequency: all have one order, none is strictly worse than another.
    assert _members(SPENDS, {"frequency_score": 1}) == ["A", "B", "C", "D", "E"]


# Last orders 1, 89, 90, 91 and 400 days before the as-of (2024-06-15).
RECENCY = _orders(
    ("N", "2024-06-14", "10.00"),  # 1 day
    ("B", "2024-03-18", "10.00"),  # 89 days
    ("C", "2024-03-17", "10.00"),  # 90 days
    ("C", "2024-03-16", "10.00"),
    ("C", "2024-03-15", "10.00"),
    ("C", "2024-03-14", "10.00"),
    ("D", "2024-03-16", "10.00"),  # 91 days
    ("D", "2024-03-15", "10.00"),
    ("D", "2024-03-14", "10.00"),
    ("D", "2024-03-13", "10.00"),
    ("E", "2023-05-12", "10.00"),  # 400 days
)


def test_ninety_days_since_the_last_order_is_still_loyal() -> None:
    loyal = {"grid": {"name": "retention", "group": "loyal"}}
    red = {"grid": {"name": "retention", "group": "red_alert"}}
    assert _members(RECENCY, loyal) == ["C"]
    assert _members(RECENCY, red) == ["D"]


def test_one_order_is_a_one_time_buyer_whatever_its_recency() -> None:
    once = {"grid": {"name": "retention", "group": "one_time_buyers"}}
    assert _members(RECENCY, once) == ["B", "E", "N"]


def test_recency_scores_fewer_days_higher() -> None:
    # Buyers N(1), B(89), C(90), D(91), E(400): strictly more days = worse.
    assert _members(RECENCY, {"recency_score": 5}) == ["N"]
    assert _members(RECENCY, {"recency_score": 1}) == ["E"]


def test_customers_without_orders_are_prospects_and_have_no_scores() -> None:
    rows = _orders(("A", "2024-06-01", "10.00"))
    shop = Shop(AS_OF, _instant(), {"orders": rows, "order_lines": [], "reviews": []})
    shop.tables["customers"] = [["Z", "z@example.com", "", "", "", "", "", "", "", ""]]
    example = Example(shop, {"name": "P", "include_unidentified": True, "rules": {}})
    for rule, members in (
        ({"rfm_group": "prospects"}, ["Z"]),
        ({"not": {"recency_score": {"at_least": 1}}}, ["Z"]),
        # One buyer: no buyer is strictly worse on anything, so every score is 1: dormant.
        ({"rfm_group": "dormant"}, ["A"]),
        ({"rfm_group": ["new", "champions"]}, []),
    ):
        example.definition["rules"] = rule
        expected, actual = run_both(example)
        assert actual == expected == members


# ---- whole grids on random shops -----------------------------------------------------------


def _reference_groups(paths: dict[str, Any], as_of: Any, grid: str) -> Counter[str]:
    data = reference.read_dataset(
        paths["orders"], paths["order_lines"], paths["customers"], paths["reviews"]
    )
    ctx = reference.Context(data, reference.resolve_as_of(as_of, data.tz), {}, {}, None)
    people = reference.build_universe(ctx)
    ctx = replace(ctx, scores=reference.rfm_scores(people, ctx))
    which = reference.rfm_group if grid == "rfm" else reference.retention_group
    return Counter(which(person, ctx) or "no_group" for person in people.values())


@settings(DIFFERENTIAL, max_examples=max(1, DIFFERENTIAL.max_examples // 5))
@given(seed=SEEDS)
def test_grid_counts_match_reference(seed: int) -> None:
    from segcli import api
    from segcli.grid import count_grid, find_grid

    g = Gen(seed)
    example = Example(make_shop(g), {"name": "unused", "rules": {"has_email": True}})
    grid = g.pick(["retention", "rfm"])
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_files(Path(tmp), example)
        expected = _reference_groups(paths, example.shop.as_of, grid)
        tables = api.open_tables(paths["orders"], customers=paths["customers"])
        as_of = api.effective_as_of(None, example.shop.as_of, tables.settings)
        counts = count_grid(find_grid(grid), tables, as_of).by_group()
    found = Counter({(k or "no_group"): n for k, n in counts.items() if n})
    assert found == expected, report(example, (sorted(expected), sorted(found)))
