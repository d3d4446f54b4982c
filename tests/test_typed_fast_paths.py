"""Typed Parquet fast paths give the members the careful paths give.

Parquet as a warehouse writes it (integer ids, float money, naive timestamps, no email on
orders) is read without per-order text work, Python guards or time-zone conversion. The same
data written with text ids, Decimal money and UTC timestamps goes through the careful paths:
every rules/ segment has the same members on both. Where a fast path does not apply (text ids
with white space, order emails beside integer ids, a time zone with DST gaps) the careful path
still runs, and a bad cell under a fast path is still named by its row.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from segcli import api
from segcli.errors import InputError
from segcli.inputs import cells
from segcli.inputs.settings import MoneyFormat, Settings
from segcli.inputs.typed_columns import _float_cents
from segcli.spec.model import Definition
from segcli.spec.parse import parse_definition

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
AS_OF = "2025-01-01"
TABLES = ("orders", "order_lines", "customers", "reviews")


def _number(column: str) -> pl.Expr:
    """The sample's `C00055` / `O100001` ids as the integers a warehouse would hold."""
    return pl.col(column).str.slice(1).cast(pl.Int64)


def _write_shapes(folder: Path, *, order_emails: bool) -> tuple[dict[str, Path], dict[str, Path]]:
    """sample_data/ twice: warehouse-typed, and the same values typed the careful way."""
    fast, careful = {}, {}
    for table in TABLES:
        frame = pl.read_parquet(SAMPLE / f"{table}.parquet")
        if table == "orders" and not order_emails:
            frame = frame.drop("email")
        ids = [c for c in ("customer_id", "order_id") if c in frame.columns]
        numbers = frame.with_columns(_number(c) for c in ids)
        warehouse = numbers.with_columns(
            pl.col(pl.Decimal).cast(pl.Float64),
            pl.col(pl.Datetime("us", "UTC")).dt.replace_time_zone(None),
        )
        text = numbers.with_columns(pl.col(c).cast(pl.String) for c in ids)
        fast[table], careful[table] = folder / f"w_{table}.parquet", folder / f"c_{table}.parquet"
        warehouse.write_parquet(fast[table], statistics=True)
        text.write_parquet(careful[table], statistics=True)
    return fast, careful


def _rules() -> list[Definition]:
    from segcli.nightly import load_segments

    definitions, broken = load_segments(ROOT / "rules")
    assert not broken
    return definitions


def _members(files: dict[str, Path], definitions: list[Definition]) -> pl.DataFrame:
    tables = api.open_tables(
        files["orders"],
        lines=files["order_lines"],
        customers=files["customers"],
        reviews=files["reviews"],
    )
    as_of = api.effective_as_of(None, AS_OF, tables.settings)
    return api.members_table(definitions, tables, as_of, definitions).sort("customer_key")


@pytest.mark.parametrize("order_emails", [False, True], ids=["no order emails", "order emails"])
def test_every_rule_has_the_careful_paths_members(tmp_path: Path, *, order_emails: bool) -> None:
    fast, careful = _write_shapes(tmp_path, order_emails=order_emails)
    definitions = _rules()
    expected = _members(careful, definitions)
    assert expected.height > 100  # the comparison means something
    assert_frame_equal(_members(fast, definitions), expected)


def test_the_vip_plan_does_no_per_order_text_or_python_work(tmp_path: Path) -> None:
    """What the types make unnecessary is not in the plan: no Python guard, no blank-check
    regex on the ids, no earliest-email search over orders that carry no email."""
    from segcli.backends.polars.engine import ENGINE

    fast, _careful = _write_shapes(tmp_path, order_emails=False)
    tables = api.open_tables(fast["orders"], customers=fast["customers"])
    vip = next(d for d in _rules() if d.segment_id == "vip")
    as_of = api.effective_as_of(None, AS_OF, tables.settings)
    plan = ENGINE.explain_plan(api.plan_segments([vip], tables, as_of), tables)
    for costly in ("python_udf", "str.contains", "min_by", "convert_time_zone"):
        assert costly not in plan


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.lists(st.floats(min_value=-1e12, max_value=1e12), min_size=1, max_size=50))
def test_float_cents_are_the_careful_cents(values: list[float]) -> None:
    """Any float, also with more than two decimals, rounds to the cent the same way."""
    frame = pl.DataFrame({"x": values}, schema={"x": pl.Float64})
    careful, bad = cells.money(pl.col("x"), pl.Float64(), MoneyFormat())
    assert bad is not None
    result = frame.select(fast=_float_cents(pl.col("x")), careful=careful, bad=bad)
    assert not result["bad"].any()
    assert result["fast"].to_list() == result["careful"].to_list()


def _naive(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A wall-clock time as a warehouse writes it: no time zone."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC).replace(tzinfo=None)


def _orders(tmp_path: Path, **columns: Sequence[object]) -> Path:
    base: dict[str, Sequence[object]] = {
        "order_id": [1, 2, 3],
        "customer_id": [7, 7, 8],
        "ordered_at": [_naive(2024, 1, d, 12) for d in (1, 2, 3)],
        "total": [10.0, 20.0, 30.0],
    }
    path = tmp_path / "orders.parquet"
    pl.DataFrame(base | columns).write_parquet(path, statistics=True)
    return path


def _spend(orders: Path, customers: Path, settings: Settings | None = None) -> dict[str, int]:
    buyers = parse_definition(
        "name: Buyers\nrules:\n  order_count: {more_than: 0}\n", segment_id="buyers"
    )
    tables = api.open_tables(orders, customers=customers, settings=settings)
    as_of = api.effective_as_of(None, AS_OF, tables.settings)
    rows = api.members_table([buyers], tables, as_of)
    return dict(zip(rows["customer_key"], rows["spend_cents"], strict=True))


def test_a_nan_total_is_named_by_its_row(tmp_path: Path) -> None:
    orders = _orders(tmp_path, total=[10.0, float("nan"), 30.0])
    customers = tmp_path / "customers.parquet"
    pl.DataFrame({"customer_id": [7, 8], "email": ["a@x.com", "b@x.com"]}).write_parquet(customers)
    with pytest.raises(InputError, match=r"orders.parquet: row 2, column 'total': cannot read"):
        _spend(orders, customers)


def test_integer_ids_match_only_the_same_text(tmp_path: Path) -> None:
    """Order id 7 is customer "7", never "007" or " 7" (a text id is trimmed, so " 7" is "7")."""
    customers = tmp_path / "customers.parquet"
    pl.DataFrame(
        {"customer_id": ["007", "7", "8"], "email": ["a@x.com", "b@x.com", "c@x.com"]}
    ).write_parquet(customers)
    assert _spend(_orders(tmp_path), customers) == {"7": 3000, "8": 3000}


def test_text_ids_with_white_space_are_trimmed(tmp_path: Path) -> None:
    orders = _orders(tmp_path, customer_id=[" 7", "7 ", "8"])
    customers = tmp_path / "customers.parquet"
    pl.DataFrame({"customer_id": ["7", "8"], "email": ["a@x.com", "b@x.com"]}).write_parquet(
        customers
    )
    assert _spend(orders, customers) == {"7": 3000, "8": 3000}


def test_naive_times_in_a_zone_with_dst_gaps_are_still_checked(tmp_path: Path) -> None:
    """Only a UTC project skips localizing: in London 2024-03-31 01:30 never happened."""
    skipped = [_naive(2024, 1, 1, 12), _naive(2024, 3, 31, 1, 30), _naive(2024, 1, 3)]
    orders = _orders(tmp_path, ordered_at=skipped)
    customers = tmp_path / "customers.parquet"
    pl.DataFrame({"customer_id": [7, 8], "email": ["a@x.com", "b@x.com"]}).write_parquet(customers)
    london = Settings(timezone="Europe/London")
    with pytest.raises(InputError, match=r"row 2, column 'ordered_at'"):
        _spend(orders, customers, london)
    assert _spend(_orders(tmp_path), customers, london) == {"7": 3000, "8": 3000}
