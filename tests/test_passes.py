"""Passes over a hash of the customer (backends/polars/passes.py): the members table computed in
K passes is exactly the one-pass table, on random shops and where one customer's rows are
written in spellings that only normalization merges."""

from __future__ import annotations

import dataclasses
import tempfile
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from polars.testing import assert_frame_equal
from random_shops import DIFFERENTIAL, SEEDS, Example, Gen, random_example, segment_example
from random_shops import write_files as write_shop

from segcli import api
from segcli.inputs.settings import Settings


def members(
    paths: dict[str, Path], stems: list[str], as_of: str | datetime, passes: int
) -> pl.DataFrame:
    tables = api.open_tables(
        paths["orders"],
        lines=paths["order_lines"],
        customers=paths["customers"],
        reviews=paths["reviews"],
        settings=Settings(passes=passes),
    )
    definitions = [
        api.parse_definition(
            paths[stem].read_text(encoding="utf-8"),
            source=str(paths[stem]),
            segment_id=stem,
            base_dir=paths[stem].parent,
        )
        for stem in stems
    ]
    instant = api.effective_as_of(definitions[0], as_of, tables.settings)
    return api.members_table(definitions, tables, instant, definitions).sort("customer_key")


def respelled(example: Example, seed: int) -> Example:
    """The example with some orders' customer ids padded with white space (" C001", "C001 "):
    the same customer's rows, which a pass must read whatever the id's hash says."""
    g = Gen(seed)
    orders = [
        [row[0], f"{g.pick([' ', '', '  '])}{row[1]}{g.pick([' ', ''])}", *row[2:]]
        if row[1] and g.chance(40)
        else row
        for row in example.shop.tables["orders"]
    ]
    shop = dataclasses.replace(example.shop, tables={**example.shop.tables, "orders": orders})
    return dataclasses.replace(example, shop=shop)


@settings(DIFFERENTIAL, max_examples=max(1, DIFFERENTIAL.max_examples // 6))
@given(seed=SEEDS)
def test_passes_give_exactly_the_one_pass_members_table(seed: int) -> None:
    make = segment_example if seed % 3 == 0 else random_example
    example = respelled(make(seed), seed)
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_shop(Path(tmp), example)
        stems = ["gen", *example.others]
        one = members(paths, stems, example.shop.as_of, 1)
        for passes in (2, 3, 5):
            assert_frame_equal(members(paths, stems, example.shop.as_of, passes), one)


SPELLINGS_ORDERS = """\
order_id,customer_id,email,ordered_at,total,refunded,status,discount_code,currency
O1, ID1, First@Example.com,2024-01-05 10:00:00,10.00,,paid,,GBP
O2,ID1,second@example.com,2024-02-05 10:00:00,20.00,,paid,,GBP
O3,ID1  ,,2024-03-05 10:00:00,5.00,,paid,,GBP
O4,,ID2@Example.com ,2024-03-06 10:00:00,40.00,,paid,,GBP
O5,,id2@example.com,2024-03-07 10:00:00,1.00,,paid,,GBP
O6,ID3,,2024-03-08 10:00:00,50.00,,paid,,GBP
O7,ID4,,2024-03-08 10:00:00,34.99,,paid,,GBP
"""
SPELLINGS_CUSTOMERS = """customer_id,email,first_name,last_name
ID1,,One,A
ID3,three@example.com,Three,C
ID4,four@example.com,Four,D
"""
SPELLINGS_SEGMENT = """name: Spent 35
rules:
  total_spend: {at_least: 35}
"""


@pytest.mark.parametrize("passes", [1, 2, 3, 4, 5])
def test_a_customer_spelled_three_ways_is_counted_whole_in_any_pass(
    tmp_path: Path, passes: int
) -> None:
    # By hand: ID1 spent 10 + 20 + 5 = 35 (" ID1", "ID1", "ID1  "); the email customer
    # id2@example.com 40 + 1 = 41; ID3 50; ID4 34.99 is not a member. ID1 has no email of its
    # own: its export email is its earliest order's (O1, written " ID1").
    (tmp_path / "orders.csv").write_text(SPELLINGS_ORDERS, encoding="utf-8")
    (tmp_path / "customers.csv").write_text(SPELLINGS_CUSTOMERS, encoding="utf-8")
    (tmp_path / "spent.yaml").write_text(SPELLINGS_SEGMENT, encoding="utf-8")
    tables = api.open_tables(
        tmp_path / "orders.csv",
        customers=tmp_path / "customers.csv",
        settings=Settings(passes=passes),
    )
    definition = api.parse_definition(SPELLINGS_SEGMENT, segment_id="spent")
    as_of = api.effective_as_of(None, "2024-06-01", tables.settings)
    rows = api.build_members(definition, tables, as_of)
    assert rows.select("customer_key", "email", "spend_cents").rows() == [
        ("ID1", "first@example.com", 3500),
        ("ID3", "three@example.com", 5000),
        ("id2@example.com", "id2@example.com", 4100),
    ]
