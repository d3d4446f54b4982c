"""A CSV file read for a query skips blank rows and proves its structure from the columns it reads.

The read takes only the columns a query needs (and the file's last column); at the first row
those leave empty it reads on with every layout column, so blank rows anywhere (also after the
first batches) are skipped and rows with data only in other columns are kept. A complete read
whose last column is never empty proves that no row is short: the structural pass is skipped,
and a short row is still named by its row and line.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from segcli.errors import InputError
from segcli.inputs import checks
from segcli.inputs.checks import collect
from segcli.inputs.csvfile import CsvDialect, check_structure
from segcli.inputs.csvsource import ReadLog, blank_skipping
from segcli.inputs.read import open_tables
from segcli.inputs.sources import SourceFile

ROWS = 250_000  # more than one batch of the streaming engine


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _big_file(tmp_path: Path, extra: dict[int, str]) -> Path:
    """order_id,email,ordered_at,total,note: row i (0-based) is `extra[i]` where given."""
    rows = [extra.get(i, f"{i},c{i % 7}@x.com,2024-01-01,1.00,n") for i in range(ROWS)]
    return _write(tmp_path / "orders.csv", ["order_id,email,ordered_at,total,note", *rows])


def _source(path: Path) -> tuple[pl.LazyFrame, ReadLog]:
    native = pl.scan_csv(path, infer_schema=False)
    columns = list(native.collect_schema())
    log = ReadLog()
    return blank_skipping(native, columns, columns[-1], log), log


def test_blank_rows_after_the_first_batches_are_skipped(tmp_path: Path) -> None:
    path = _big_file(tmp_path, {200_000: "", 200_001: ",,,,", 240_000: ",,,,note only"})
    frame, log = _source(path)
    ids = frame.select("order_id").collect(engine="streaming")["order_id"]
    # two blank rows gone; the row with a note only is not blank, its order_id is null
    assert ids.len() == ROWS - 2
    assert ids.null_count() == 1
    assert ids.drop_nulls().cast(pl.Int64).sum() == sum(range(ROWS)) - 200_000 - 200_001 - 240_000
    assert not log.sound  # blank rows leave the last column empty: no proof


def test_a_predicate_sees_the_rows_a_plain_filter_keeps(tmp_path: Path) -> None:
    path = _big_file(tmp_path, {5: ",,,,note only", 6: ""})
    frame, _log = _source(path)
    kept = frame.filter(pl.col("order_id").is_null()).select("note").collect(engine="streaming")
    assert kept["note"].to_list() == ["note only"]


def test_a_full_last_column_proves_the_structure(tmp_path: Path) -> None:
    frame, log = _source(_big_file(tmp_path, {}))
    assert frame.select(pl.len()).collect(engine="streaming").item() == ROWS
    assert log.sound


def test_a_slice_reads_carefully_and_proves_nothing(tmp_path: Path) -> None:
    frame, log = _source(_big_file(tmp_path, {0: ""}))
    assert frame.select("order_id").head(2).collect()["order_id"].to_list() == ["1", "2"]
    assert not log.sound


def test_a_short_row_late_in_a_big_file_is_named(tmp_path: Path) -> None:
    path = _big_file(tmp_path, {230_000: "230000,c@x.com,2024-01-01"})
    tables = open_tables(path)
    with pytest.raises(InputError, match=r"row 230001 \(line 230002\) has 3 fields but the header"):
        collect(tables.orders.select("total_cents"), tables)


@pytest.mark.parametrize("row", [0, 1056, 1057, 101_569, ROWS - 1])
def test_a_long_row_is_named_though_the_query_needs_one_column(tmp_path: Path, row: int) -> None:
    """An unquoted delimiter shifts a row's cells; its last column is full, so only counting
    its fields tells. The first and last rows of the file and rows at the ends of its first
    read batches (1057 rows, then 1024 here)."""
    path = _big_file(tmp_path, {row: f"{row},c@x.com,2024-01-01,1,00,n"})
    tables = open_tables(path)
    expected = rf"row {row + 1} \(line {row + 2}\) has 6 fields but the header has 5"
    with pytest.raises(InputError, match=expected):
        collect(tables.orders.select("total_cents"), tables)


def test_a_proven_file_still_reports_a_bad_cell_by_row(tmp_path: Path) -> None:
    path = _big_file(tmp_path, {123_456: "123456,c@x.com,2024-01-01,lots,n"})
    tables = open_tables(path)
    with pytest.raises(InputError, match=r"row 123457 \(line 123458\), column 'total'"):
        collect(tables.orders.select("total_cents"), tables)


def _sparse_file(tmp_path: Path, extra: dict[int, str]) -> Path:
    """Like `_big_file`, but the last column (`note`) is empty on every other row."""
    rows = [
        extra.get(i, f"{i},c{i % 7}@x.com,2024-01-01,1.00,{'n' if i % 2 else ''}")
        for i in range(ROWS)
    ]
    return _write(tmp_path / "orders.csv", ["order_id,email,ordered_at,total,note", *rows])


def test_a_short_row_in_a_file_whose_last_column_is_often_empty_is_named(tmp_path: Path) -> None:
    """No read can prove this file: its pass runs beside the query, and still names the row."""
    path = _sparse_file(tmp_path, {200_000: "200000,c@x.com"})
    tables = open_tables(path)
    with pytest.raises(InputError, match=r"row 200001 \(line 200002\) has 2 fields but the header"):
        collect(tables.orders.select("total_cents"), tables)


def test_the_short_row_wins_over_the_bad_cell_it_causes(tmp_path: Path) -> None:
    """The short row leaves `total` empty where a later query column needs it: the row's
    structure is what the user has to fix, so its error is the one reported."""
    path = _sparse_file(tmp_path, {100: "100,c@x.com,2024-01-01", 150_000: "x,c@x.com,soon,1.00,"})
    tables = open_tables(path)
    with pytest.raises(InputError, match=r"row 101 \(line 102\) has 3 fields but the header"):
        collect(tables.orders.select("total_cents", "ordered_at"), tables)


def test_a_sound_file_with_an_often_empty_last_column_reads(tmp_path: Path) -> None:
    tables = open_tables(_sparse_file(tmp_path, {}))
    total = collect(tables.orders.select(pl.col("total_cents").sum()), tables).item()
    assert total == ROWS * 100


def test_a_long_row_in_a_file_whose_last_column_is_often_empty_is_named(tmp_path: Path) -> None:
    """Such a file is read by its needed columns only; its pass still counts every row."""
    path = _sparse_file(tmp_path, {180_000: "180000,c@x.com,2024-01-01,1,00,"})
    tables = open_tables(path)
    with pytest.raises(InputError, match=r"row 180001 \(line 180002\) has 6 fields but the header"):
        collect(tables.orders.select("total_cents"), tables)


@pytest.mark.parametrize("row", [0, 1056, 1057, 2080, ROWS - 1])
def test_a_bad_money_cell_at_the_ends_of_a_batch_is_named(tmp_path: Path, row: int) -> None:
    """The fast parse looks at whole batches; the first and last rows of the file and of its
    first read batches (1057 rows, then 1024) are still named."""
    path = _big_file(tmp_path, {row: f"{row},c@x.com,2024-01-01,1.005,n"})
    tables = open_tables(path)
    expected = rf"row {row + 1} \(line {row + 2}\), column 'total': cannot read '1.005' as money"
    with pytest.raises(InputError, match=expected):
        collect(tables.orders.select("total_cents"), tables)


def test_a_bad_quoted_cell_after_a_quoted_newline_in_a_crlf_file_with_a_bom_is_named(
    tmp_path: Path,
) -> None:
    """Lines count physical lines: the quoted newline of row 2 puts row 3 on line 5."""
    lines = [
        "\ufefforder_id,email,ordered_at,total,note",
        "1,a@x.com,2024-01-01,1.00,n",
        '2,b@x.com,2024-01-01,2.00,"two\r\nlines"',
        '3,c@x.com,2024-01-01,"1e3",n',
        "4,d@x.com,2024-01-01,4.00,n",
    ]
    path = tmp_path / "orders.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))
    tables = open_tables(path)
    with pytest.raises(InputError, match=r"row 3 \(line 5\), column 'total': cannot read '1e3'"):
        collect(tables.orders.select("total_cents"), tables)
    path.write_bytes(path.read_bytes().replace(b'"1e3"', b'" 3.00 "'))  # padded: careful parse
    tables = open_tables(path)
    totals = collect(tables.orders.select("total_cents"), tables)["total_cents"].to_list()
    assert totals == [100, 200, 300, 400]


@pytest.mark.parametrize(("sparse", "passes"), [(False, 0), (True, 1)])
def test_a_file_found_sound_is_not_checked_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, sparse: bool, passes: int
) -> None:
    """Each query of a run gets its own runner: a file proven by a read, or by its pass,
    costs no further pass (and no further read of every column)."""
    calls: list[Path] = []

    def counted(source: SourceFile, dialect: CsvDialect) -> None:
        calls.append(source.path)
        check_structure(source, dialect)

    monkeypatch.setattr(checks, "check_structure", counted)
    path = (_sparse_file if sparse else _big_file)(tmp_path, {})
    tables = open_tables(path)
    first = collect(tables.orders.select(pl.col("total_cents").sum()), tables).item()
    again = collect(tables.orders.select(pl.col("total_cents").sum()), tables).item()
    assert first == again == ROWS * 100
    assert len(calls) == passes
