"""Laws of the segment language, checked on segcli alone over random shops and random rules.

`all: [a, b]` is within `a`; `a` and `not: a` split the customers in two; `any: [a, b]` is the
union of `a` and `b`; the same inputs give the same members twice. The shops and rules come from
the seeded generator in tests/random_shops.py.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from random_shops import (
    DIFFERENTIAL,
    SEEDS,
    Example,
    Gen,
    Shop,
    item_condition,
    make_shop,
    rules,
    write_files,
)
from random_shops import (
    ITEM_FIELDS as ITEM_NAMES,
)

from segcli import api

PROPERTIES = settings(DIFFERENTIAL, max_examples=max(1, DIFFERENTIAL.max_examples // 10))


def members(shop: Shop, rule: dict[str, Any]) -> list[str]:
    """segcli's members of `rule` (unidentified customers included) over the shop."""
    definition = {"name": "Law", "include_unidentified": True, "rules": rule}
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_files(Path(tmp), Example(shop, definition))
        text = paths["gen"].read_text(encoding="utf-8")
        parsed = api.parse_definition(
            text, source=str(paths["gen"]), segment_id="gen", base_dir=Path(tmp)
        )
        tables = api.open_tables(
            paths["orders"],
            lines=paths["order_lines"],
            customers=paths["customers"],
            reviews=paths["reviews"],
        )
        return api.member_keys(parsed, tables, as_of=shop.as_of)


def two_rules(seed: int) -> tuple[Shop, dict[str, Any], dict[str, Any]]:
    g = Gen(seed)
    shop = make_shop(g)
    return shop, rules(g, shop, depth=2), rules(g, shop, depth=2)


@PROPERTIES
@given(seed=SEEDS)
def test_all_is_within_each_part(seed: int) -> None:
    shop, a, b = two_rules(seed)
    both = members(shop, {"all": [a, b]})
    assert set(both) <= set(members(shop, a))
    assert set(both) <= set(members(shop, b))


@PROPERTIES
@given(seed=SEEDS)
def test_a_and_not_a_partition_the_customers(seed: int) -> None:
    shop, a, _ = two_rules(seed)
    inside, outside = members(shop, a), members(shop, {"not": a})
    assert not set(inside) & set(outside), f"in both a and not a: {set(inside) & set(outside)}"
    assert sorted(inside + outside) == sorted(shop.keys)


@PROPERTIES
@given(seed=SEEDS)
def test_any_is_the_union(seed: int) -> None:
    shop, a, b = two_rules(seed)
    union = set(members(shop, a)) | set(members(shop, b))
    assert members(shop, {"any": [a, b]}) == sorted(union)


@PROPERTIES
@given(seed=SEEDS)
def test_same_inputs_same_members(seed: int) -> None:
    shop, a, _ = two_rules(seed)
    assert members(shop, a) == members(shop, a)


@PROPERTIES
@given(seed=SEEDS)
def test_item_tests_per_distinct_cell_equal_item_tests_per_line(seed: int) -> None:
    """`purchased` tests run once per distinct cell (the library's path) or on every line
    (the plain plan `explain` and `why` use): the same flags for every customer."""
    from segcli.backends.polars.customers import build_customer_table
    from segcli.backends.polars.items import cell_query
    from segcli.backends.polars.lines import line_features
    from segcli.inputs.read import open_tables
    from segcli.plan import LineAgg, segment_column

    g = Gen(seed)
    shop = make_shop(g)
    rule = {"any": [{"purchased": item_condition(g, shop, ITEM_NAMES)} for _ in range(3)]}
    definition = {"name": "Items", "include_unidentified": True, "rules": rule}
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_files(Path(tmp), Example(shop, definition))
        parsed = api.parse_definition(
            paths["gen"].read_text(encoding="utf-8"), source=str(paths["gen"]), segment_id="gen"
        )
        tables = open_tables(paths["orders"], lines=paths["order_lines"])
        as_of = api.effective_as_of(parsed, shop.as_of, tables.settings)
        plan = api.plan_segments([parsed], tables, as_of)
        assert tables.lines is not None
        features = [f for f in plan.features(LineAgg) if isinstance(f, LineAgg)]
        items = tuple(dict.fromkeys(f.item for f in features))
        query = cell_query(tables.lines, items)
        assert query is not None, "the lines carry their cells as written"
        cells = query.collect()
        flag = segment_column(parsed)

        def flags(with_cells: bool) -> list[tuple[str, bool]]:
            lines = line_features(plan, tables, (), cells).collect() if with_cells else None
            table = build_customer_table(plan, tables, (), lines)
            rows = table.select("customer_key", flag).sort("customer_key").collect()
            return list(rows.iter_rows())

        assert flags(with_cells=True) == flags(with_cells=False)
