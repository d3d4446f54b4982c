"""Random shops against the reference evaluator, with segments whose members have no order:
`all` of a customer attribute and `has_order: false` (random rules beside them), from CSV and
from Parquet. The shops' orders include ids that only normalization resolves; half of the
shops keep only the orders whose id is plain, and those take the one-probe answer
(backends/polars/no_orders.py), the others the general query."""

from __future__ import annotations

from differential import check
from hypothesis import given, settings
from random_shops import DIFFERENTIAL, SEEDS, Example, Gen, document, leaf, make_shop, rules

GATES = ["country", "customer_type", "registered", "postal_code"]


def no_order_example(seed: int) -> Example:
    g = Gen(seed)
    shop = make_shop(g)
    if g.chance(50):  # only plain ids (no blank, no white space at an end): one probe answers
        orders = shop.tables["orders"]
        shop.tables["orders"] = [row for row in orders if row[1] and row[1] == row[1].strip()]
    gate = leaf(g, shop)
    while next(iter(gate)) not in GATES:
        gate = leaf(g, shop)
    parts = [gate, {"has_order": False}, *([rules(g, shop, 1)] if g.chance(50) else [])]
    return Example(shop, document(g, {"all": parts}))


@settings(DIFFERENTIAL, max_examples=max(1, DIFFERENTIAL.max_examples // 5))
@given(seed=SEEDS)
def test_no_order_segments_match_reference(seed: int) -> None:
    check(no_order_example, seed)


@settings(DIFFERENTIAL, max_examples=max(1, DIFFERENTIAL.max_examples // 5))
@given(seed=SEEDS)
def test_no_order_segments_on_parquet_match_reference(seed: int) -> None:
    check(no_order_example, seed, parquet=True)
