"""The rows `segcli segments` cuts from a Parquet file for one customer: every row whose identity
cells contain the name given (any case, any padding), wherever it sits in a large file, and no
other row but those that merely contain it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import polars as pl
import pytest

from segcli.inputs.one_customer import cut_rows
from segcli.inputs.settings import Settings

ROWS = 1_200_000  # 12 row groups of 100,000 rows


def _orders(planted: Mapping[int, tuple[str, str | None]]) -> pl.DataFrame:
    """ROWS orders of customers X0000000…, with the identity cells of `planted` rows replaced."""
    frame = pl.DataFrame({"n": range(ROWS)}).select(
        order_id=pl.format("O{}", pl.col("n")),
        customer_id=pl.format("X{}", pl.col("n").cast(pl.String).str.zfill(7)),
        email=pl.format("x{}@example.com", pl.col("n")),
        total=pl.lit("10.00"),
    )
    ids = frame["customer_id"].to_list()
    emails = frame["email"].to_list()
    for row, (cid, email) in planted.items():
        ids[row], emails[row] = cid, email
    return frame.with_columns(customer_id=pl.Series(ids), email=pl.Series(emails))


def _cut(frame: pl.DataFrame, needles: list[str], tmp_path: Path) -> pl.DataFrame:
    source = tmp_path / "orders.parquet"
    frame.write_parquet(source, row_group_size=100_000)
    folder = tmp_path / "cut"
    folder.mkdir()
    paths = cut_rows(
        source, "orders", needles, folder, columns=("customer_id", "email"), settings=Settings()
    )
    assert paths is not None
    return pl.concat([pl.read_parquet(p) for p in paths])


@pytest.mark.parametrize(
    "rows",
    [
        [5, 70_000, 150_000, 1_000_000],  # in 3 of 12 row groups: read by position
        [7 + 65_536 * k for k in range(17)],  # in 11 of 12: the whole file is filtered
        [],
    ],
)
def test_every_row_naming_the_customer_is_cut_and_only_those(
    rows: list[int], tmp_path: Path
) -> None:
    cells = ["C42", " c42 ", "C42", "XC42Y", "c42"]  # the last two contain it: kept, a superset
    planted = {row: (cells[i % len(cells)], None) for i, row in enumerate(rows)}
    planted[ROWS - 1] = ("C4", None)  # a prefix of the id is another customer
    frame = _orders(planted)
    cut = _cut(frame, ["C42"], tmp_path)
    assert sorted(cut["order_id"].to_list()) == sorted(f"O{r}" for r in rows)
    assert cut.columns == frame.columns
    expected = frame.filter(pl.col("order_id").is_in([f"O{r}" for r in rows]))
    assert cut.sort("order_id").rows() == expected.sort("order_id").rows()


def test_an_email_is_looked_for_in_the_email_column_only_in_any_case(tmp_path: Path) -> None:
    planted = {
        3: ("X1", "Pat@Example.COM"),
        400_000: ("X2", " pat@example.com"),
        500_000: ("pat@example.com", "kim@example.com"),  # an id cell is never an email
    }
    cut = _cut(_orders(planted), ["pat@example.com"], tmp_path)
    assert sorted(cut["order_id"].to_list()) == ["O3", "O400000"]


def test_regex_characters_in_a_name_are_literal(tmp_path: Path) -> None:
    planted = {10: ("a.b+c", None), 20: ("aXb+c", None), 30: ("a.bbc", None)}
    cut = _cut(_orders(planted), ["A.B+C"], tmp_path)
    assert cut["order_id"].to_list() == ["O10"]


def test_cells_as_long_as_the_name_are_compared_whole(tmp_path: Path) -> None:
    """Ids as long as the name given (every X… id here) are kept only when they spell it in
    another case; cells of other lengths are searched (a Kelvin sign is a K of three bytes)."""
    planted = {
        1: ("k0000042", None),
        2: ("K0000043", None),
        3: (" K0000042", None),
        4: ("\u212a0000042", None),
    }
    cut = _cut(_orders(planted), ["K0000042"], tmp_path)
    assert sorted(cut["order_id"].to_list()) == ["O1", "O3", "O4"]


def test_a_shorter_name_is_found_inside_cells_as_long_as_a_longer_one(tmp_path: Path) -> None:
    planted = {
        10: ("XC42Y", None),
        20: ("C4200", None),
        30: ("C4300", None),
        40: ("C43", None),
        50: ("C4", None),
    }
    cut = _cut(_orders(planted), ["C4200", "C42"], tmp_path)
    assert sorted(cut["order_id"].to_list()) == ["O10", "O20"]
