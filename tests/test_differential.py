"""Differential test: random data x random definitions, segcli against tests/reference.py.

Every example is a tiny shop written as canonical CSV files plus YAML definitions, made from a
seed by tests/random_shops.py; segcli's members must equal the plain-Python reference evaluator's
members, exactly. A failing example is minimized (rows and rule branches removed while the
mismatch stays), then reported with its YAML, as-of, CSV files and both member lists.
"""

from __future__ import annotations

from differential import check
from hypothesis import given, settings
from random_shops import DIFFERENTIAL, SEEDS, field_example, random_example, segment_example


@DIFFERENTIAL
@given(seed=SEEDS)
def test_segcli_matches_reference(seed: int) -> None:
    check(random_example, seed)


@settings(DIFFERENTIAL, max_examples=max(1, DIFFERENTIAL.max_examples // 2))
@given(seed=SEEDS)
def test_each_field_matches_reference(seed: int) -> None:
    check(field_example, seed)


@settings(DIFFERENTIAL, max_examples=max(1, DIFFERENTIAL.max_examples // 5))
@given(seed=SEEDS)
def test_in_segment_matches_reference(seed: int) -> None:
    check(segment_example, seed)


@settings(DIFFERENTIAL, max_examples=max(1, DIFFERENTIAL.max_examples // 5))
@given(seed=SEEDS)
def test_segcli_on_parquet_matches_reference(seed: int) -> None:
    """The same examples with the orders, lines and customers as Parquet: the engine then reads
    the orders of the customers without an email again, grouped by email too
    (customers.order_cells_query), and the lines once per item tested (lines._tested_per_item),
    and the members are the same."""
    check(random_example, seed, parquet=True)
