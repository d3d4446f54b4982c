"""Text cells parsed as written agree with the careful parse, cell for cell.

A typed CSV column (money, timestamp, integer, boolean) is parsed from the cell as written, and
only the cells that parse leaves null go through the careful path (trim, null markers, every
timestamp form, the fallback parser). Over random columns mixing clean cells, padded ones, null
markers (some of which look like values), other timestamp forms and bad cells, the result is the
careful path's (`checked` over the trimmed text, as every column was read before), or the same
error naming the file and column.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from segcli.inputs import cells
from segcli.inputs.cells import BadCellsError, checked
from segcli.inputs.columns import Layout
from segcli.inputs.scan import RawFile
from segcli.inputs.settings import MoneyFormat, Settings
from segcli.inputs.sources import SourceFile
from segcli.inputs.typed_columns import PARSED_DTYPES, plan_column

COLUMN = "cell"
# canonical column -> (table, cells of that kind worth mixing in)
KINDS: dict[str, tuple[str, list[str]]] = {
    "total": (
        "orders",
        [
            "12.50",
            "-3",
            "0",
            "7.1",
            "1,234.50",
            "12.345",
            "1e3",
            "12.500",
            "+0.29",
            "9999999999999.99",
            "123456789012345.67",
            ".5",
            "5.",
        ],
    ),
    "ordered_at": (
        "orders",
        [
            "2024-01-02T03:04:05Z",
            "2024-01-02 03:04:05 +0100",
            "2024-01-02",
            "2024-03-31 02:30",
            "2024-01-02T03:04:05.123+02:00",
            "2024-13-01",
            "02/01/2024",
        ],
    ),
    "quantity": ("lines", ["1", "+2", "-7", "0", "1.5", "12345678901234567890"]),
    "accepts_marketing": ("customers", ["true", "No", "Y", "1", "0", "maybe"]),
}
NOISE = ["", " ", "NA", "-", "n/a", "abc", "\t5\t"]
CELL = st.one_of(
    st.none(),
    st.sampled_from([c for _t, cells in KINDS.values() for c in cells] + NOISE),
    st.text(alphabet="0123456789.,-+ :TZ", max_size=12),
)
PADDED = st.builds(lambda cell, left, right: left + cell + right, CELL.filter(bool),
                   st.sampled_from(["", " ", "\t"]), st.sampled_from(["", " "]))  # fmt: skip


def parse_both(canon: str, cells: Sequence[str | None], config: Settings) -> tuple[object, object]:
    """(fast, careful): each the parsed values as a list, or the BadCellsError message."""
    table = KINDS[canon][0]
    frame = pl.LazyFrame({COLUMN: list(cells)}, schema={COLUMN: pl.String})
    raw = RawFile(SourceFile(Path("t.csv"), "csv"), frame, {COLUMN: pl.String()})
    layout = Layout("canonical", table, {canon: COLUMN})
    sample = [c for c in cells if c is not None][:3]
    plan = plan_column(raw, canon, layout, config, required=False, sample=sample)
    assert plan.text is not None
    assert plan.bad is not None
    careful = checked(
        plan.value, plan.bad, plan.where, plan.kind, PARSED_DTYPES[plan.kind],
        raw=pl.col(COLUMN), fallback=plan.fallback,
    )  # fmt: skip
    return (
        _run(frame.select(plan.output.alias("v"))),
        _run(frame.with_columns(plan.text).select(careful.alias("v"))),
    )


def _run(query: pl.LazyFrame) -> object:
    try:
        return query.collect()["v"].to_list()
    except BadCellsError as error:
        return str(error)


SETTINGS = [
    Settings(),
    Settings(null_values=("NA", "0", "-", "2024-01-02")),
    Settings(money=MoneyFormat(thousands_separator=",")),
    Settings(timezone="Europe/Paris"),
]


@settings(max_examples=150, deadline=None)
@given(
    canon=st.sampled_from(sorted(KINDS)),
    cells=st.lists(st.one_of(CELL, PADDED), min_size=1, max_size=20),
    which=st.integers(0, len(SETTINGS) - 1),
)
@example(canon="total", cells=["0", " 0 ", "12.50"], which=1)
@example(canon="ordered_at", cells=["2024-01-02T03:04:05Z", " 2024-01-02 ", "2024-01-02"], which=1)
@example(canon="ordered_at", cells=["2024-01-02T03:04:05Z", "2024-01-02 03:04:05 +0100"], which=0)
@example(canon="quantity", cells=["+2", " 3", "-"], which=1)
@example(canon="accepts_marketing", cells=["Y", " no ", None], which=0)
def test_as_written_agrees_with_the_careful_parse(
    canon: str, cells: list[str | None], which: int
) -> None:
    fast, careful = parse_both(canon, cells, SETTINGS[which])
    assert fast == careful


@pytest.mark.parametrize(
    ("canon", "cells", "expected"),
    [
        ("total", ["12.50", " 7.1 ", None, "NA"], [1250, 710, None, None]),
        ("quantity", ["+2", " 3 ", "0"], [2, 3, None]),
        ("accepts_marketing", ["Y", " no ", "NA"], [True, False, None]),
    ],
)
def test_padded_cells_and_markers_read_as_trimmed(
    canon: str, cells: list[str | None], expected: list[object]
) -> None:
    """Worked by hand: padding is trimmed, and `NA` and `0` are null markers here."""
    fast, careful = parse_both(canon, cells, Settings(null_values=("NA", "0")))
    assert fast == careful == expected


def test_a_timestamp_in_a_form_the_first_rows_lack_still_reads() -> None:
    """The first rows pick `...Z` only; an offset form later goes through the fallback."""
    cells = ["2024-01-02T03:04:05Z"] * 3 + ["2024-01-02T05:04:05.5+02:00"]
    fast, careful = parse_both("ordered_at", cells, Settings())
    assert fast == careful
    assert isinstance(fast, list)
    assert fast[-1] == datetime(2024, 1, 2, 3, 4, 5, 500_000, tzinfo=UTC)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(-(10**15) + 1, 10**15 - 1), min_size=1, max_size=50))
@example([999_999_999_999_999, -999_999_999_999_999, 29, 115, 435, 1, 0])
def test_plain_amounts_read_as_written_are_their_exact_cents(amounts: list[int]) -> None:
    """Up to 13 integer digits and two decimals, written as `d.dd`, `d.d0` or `d.dd000`: the
    fast parse gives the cents the text says (worked out with integer arithmetic here)."""
    texts = []
    for i, cents in enumerate(amounts):
        sign, whole, part = "-" if cents < 0 else "", abs(cents) // 100, abs(cents) % 100
        texts.append(f"{sign}{whole}.{part:02d}" + "000"[: i % 4])
    fast = cells.money_as_written(pl.lit(pl.Series(texts)), MoneyFormat())
    assert fast is not None
    parsed = pl.select(fast)
    assert parsed.to_series().to_list() == amounts


def test_a_bad_cell_names_the_file_and_column() -> None:
    fast, careful = parse_both("total", ["12.50", "twelve", None], Settings())
    assert fast == careful
    assert isinstance(fast, str)
    assert fast.startswith("t.csv: column 'cell': a value cannot be read as money")
