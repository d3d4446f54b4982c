"""Passes over a hash of the customer (backends/polars/passes.py): the members table computed in
K passes is exactly the one-pass table, on random shops and where one customer's rows are
written in spellings that only normalization merges."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
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
from segcli.backends.polars.budget import pass_count
from segcli.inputs.settings import MAX_PASSES, Settings, parse_size
from segcli.inputs.tables import Tables


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


@settings(DIFFERENTIAL, max_examples=max(4, DIFFERENTIAL.max_examples // 5))
@given(seed=SEEDS)
def test_passes_give_exactly_the_one_pass_members_table(seed: int) -> None:
    make = segment_example if seed % 3 == 0 else random_example
    example = respelled(make(seed), seed)
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_shop(Path(tmp), example)
        stems = ["gen", *example.others]
        one = members(paths, stems, example.shop.as_of, 1)
        passes = 2 + seed % 4  # 2 to 5
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


# --- the budget ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("1.5GB", 1_500_000_000),
        ("800MB", 800_000_000),
        ("800 mb", 800_000_000),
        ("2GiB", 2 * 1024**3),
        ("1200000000", 1_200_000_000),
        ("3G", 3_000_000_000),
    ],
)
def test_a_memory_limit_is_written_as_people_write_sizes(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["lots", "1.5 GBs", "-1GB", "0", "GB", ""])
def test_a_memory_limit_that_is_not_a_size_is_refused(text: str) -> None:
    assert parse_size(text) is None


def sample_tables(settings: Settings) -> Tables:
    sample = Path(__file__).resolve().parent.parent / "sample_data"
    tables = api.open_tables(
        sample / "orders.csv",
        lines=sample / "order_lines.csv",
        customers=sample / "customers.csv",
        reviews=sample / "reviews.csv",
        settings=settings,
    )
    assert isinstance(tables, Tables)
    return tables


def test_small_data_takes_one_pass_with_the_default_budget() -> None:
    assert pass_count(sample_tables(Settings())) == 1


def test_a_smaller_budget_takes_more_passes() -> None:
    counts = [
        pass_count(sample_tables(Settings(memory_limit=limit)))
        for limit in (10**10, 1_000_000, 100_000, 10_000, 1)
    ]
    assert counts[0] == 1
    assert counts == sorted(counts)
    assert counts[-2] > counts[1] > 1
    assert counts[-1] == MAX_PASSES


def test_passes_in_the_config_win_over_the_budget() -> None:
    assert pass_count(sample_tables(Settings(memory_limit=1, passes=3))) == 3


def test_a_run_in_passes_by_the_cli_writes_the_one_pass_snapshots(tmp_path: Path) -> None:
    sample = Path(__file__).resolve().parent.parent / "sample_data"
    rules = Path(__file__).resolve().parent.parent / "rules"
    inputs = ["--orders", str(sample / "orders.csv"), "--lines", str(sample / "order_lines.csv")]
    inputs += ["--customers", str(sample / "customers.csv")]
    inputs += ["--reviews", str(sample / "reviews.csv"), "--as-of", "2024-06-01", "-q"]
    for name, limit in (("one", "10GB"), ("many", "1MB")):
        done = subprocess.run(
            [
                str(Path(sys.executable).with_name("segcli")),
                "run",
                str(rules),
                *inputs,
                "--out",
                str(tmp_path / name),
                "--memory-limit",
                limit,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    one = sorted((tmp_path / "one").rglob("*.csv"))
    assert len(one) > 20
    for path in one:
        assert (tmp_path / "many" / path.relative_to(tmp_path / "one")).read_bytes() == (
            path.read_bytes()
        )
    assert not (tmp_path / "many" / ".segcli-work").exists()


def test_a_memory_limit_that_is_not_a_size_is_a_usage_error() -> None:
    sample = Path(__file__).resolve().parent.parent / "sample_data"
    done = subprocess.run(
        [
            str(Path(sys.executable).with_name("segcli")),
            "build",
            "rules/vip.yaml",
            str(sample / "orders.csv"),
            "-o",
            "-",
            "--memory-limit",
            "lots",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert done.returncode == 2
    assert (
        done.stderr.strip()
        == "error: --memory-limit: 'lots' is not a size; write e.g. 1.5GB or 800MB"
    )
    assert done.stdout == ""
