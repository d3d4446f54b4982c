"""The Polars engine (segcli/backends/polars/) over every rules file: how many queries a run
is, what each reads, and the same members whatever the row order of the exports."""

from __future__ import annotations

import random
from pathlib import Path

import polars as pl
import pytest

from segcli.inputs.tables import Tables
from segcli.plan import FeaturePlan

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "sample_data"
AS_OF = "2025-01-01"


def rules_plan(tables: Tables) -> FeaturePlan:
    from segcli import api
    from segcli.nightly import load_segments

    definitions, broken = load_segments(ROOT / "rules")
    assert not broken
    assert len(definitions) >= 20
    as_of = api.effective_as_of(None, AS_OF, tables.settings)
    return api.plan_segments(definitions, tables, as_of, definitions)


def sample_tables(folder: Path = DATA) -> Tables:
    from segcli.inputs.read import open_tables

    return open_tables(
        folder / "orders.parquet",
        lines=folder / "order_lines.parquet",
        customers=folder / "customers.parquet",
        reviews=folder / "reviews.parquet",
    )


def test_all_rules_are_built_in_four_queries_reading_each_input_once_each() -> None:
    """`segcli run` over every rules file is four queries whatever the number of segments:
    the distinct item cells, whether the files are sorted by order id, the line features, the
    rest; each scans an input at most once, and only the first three read the order lines."""
    from segcli.backends.polars.customers import build_members_table
    from segcli.backends.polars.lines import (
        id_order,
        id_order_query,
        item_cell_query,
        line_features,
    )

    tables = sample_tables()
    plan = rules_plan(tables)
    cells = item_cell_query(plan, tables)
    check = id_order_query(plan, tables, gated=True)
    assert cells is not None
    assert check is not None
    order = id_order(check.collect())
    assert order == "ascending"  # sample_data is written one order after the other
    per_line = line_features(plan, tables, (), cells.collect(), gated=True, order=order)
    lines = per_line.collect()
    main = build_members_table(plan, tables, (), lines)

    def scanned(query: pl.LazyFrame) -> list[str]:
        text = query.explain(engine="streaming")
        scans = [line for line in text.splitlines() if "SCAN" in line]
        names = [n for n in ("orders", "order_lines", "customers", "reviews") for s in scans
                 if f"{n}.parquet]" in s]  # fmt: skip
        assert len(names) == len(scans), scans
        return sorted(names)

    assert scanned(cells) == ["order_lines"]
    assert scanned(check) == ["order_lines", "orders"]
    assert scanned(per_line) == ["order_lines", "orders"]
    assert scanned(main) == ["customers", "orders", "reviews"]


@pytest.mark.parametrize("rows", ["reversed", "shuffled", "lines reversed"])
def test_the_row_order_of_the_exports_changes_no_member(rows: str, tmp_path: Path) -> None:
    """Sorted by order id the same way, the lines' join is a merge join; in any other order a
    hash join. Every rules file has the same members and export columns either way."""
    from segcli import api
    from segcli.backends.polars.lines import id_order, id_order_query

    for name in ("orders", "order_lines", "customers", "reviews"):
        frame = pl.read_parquet(DATA / f"{name}.parquet")
        if name == "order_lines" or (name == "orders" and rows != "lines reversed"):
            order = list(range(frame.height))
            if rows == "shuffled":
                random.Random(5).shuffle(order)
            else:
                order.reverse()
            frame = frame[order]
        frame.write_parquet(tmp_path / f"{name}.parquet")
    expected = {"reversed": "descending", "shuffled": None, "lines reversed": None}[rows]

    orders, members = [], []
    for folder in (DATA, tmp_path):
        tables = sample_tables(folder)
        plan = rules_plan(tables)
        check = id_order_query(plan, tables, gated=True)
        assert check is not None
        orders.append(id_order(check.collect()))
        table = api.members_table(plan.segments, tables, plan.as_of, plan.segments)
        assert table.height > 1000
        members.append(table.sort("customer_key"))
    assert orders == ["ascending", expected]
    assert members[1].equals(members[0])


@pytest.mark.parametrize(
    "rule",
    [
        "order_count: {more_than: 2}",
        "order_count: {less_than: 2}",  # customers without orders are members
        "largest_order: {less_than: 50}",  # no orders: no largest order, not a member
        "any: [{total_spend: {more_than: 300}}, {country: GB}]",
        "not: {has_order: {period: last 90 days}}",
        "all: [{has_order: true}, {average_order_value: {more_than: 40}}]",
    ],
)
def test_the_orders_gate_keeps_every_member(rule: str) -> None:
    """Gated by the orders (only buyers joined to customers where every member must have
    orders), the members are those of the whole customer table's flags."""
    from segcli import api
    from segcli.backends.polars.customers import build_customer_table
    from segcli.plan import EXPORT_COLUMNS, segment_column
    from segcli.spec.parse import parse_definition

    tables = sample_tables()
    definition = parse_definition(f"name: Gate\nrules:\n  {rule}\n", segment_id="gate")
    as_of = api.effective_as_of(None, AS_OF, tables.settings)
    plan = api.plan_segments([definition], tables, as_of)
    flag = segment_column(definition)
    whole = build_customer_table(plan, tables, (), gated=False).filter(pl.col(flag))
    expected = whole.select(EXPORT_COLUMNS).collect().sort("customer_key")
    found = api.build_members(definition, tables, as_of)
    assert found.height > 0
    assert found.equals(expected)
