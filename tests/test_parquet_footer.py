"""The columns a Parquet footer shows without nulls (and its row-group sizes), read without
pyarrow, agree with pyarrow's own reading of the footer on files written every way the readers
meet (pyarrow and Polars writers, many row groups and columns, nested and map columns, no
statistics); a file that is not Parquet is a ValueError (the readers then keep every guard)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest

from segcli.inputs.parquet_footer import null_free_columns, row_group_rows


def _pyarrow_null_free(path: Path) -> frozenset[str]:
    """The same question asked of pyarrow's footer reader."""
    meta = pq.read_metadata(path)
    free: set[str] | None = None
    for group in range(meta.num_row_groups):
        here = set()
        for index in range(meta.row_group(group).num_columns):
            chunk = meta.row_group(group).column(index)
            stats = chunk.statistics
            counted = stats is not None and stats.has_null_count and stats.null_count == 0
            if counted and "." not in chunk.path_in_schema:
                here.add(chunk.path_in_schema)
        free = here if free is None else free & here
    return frozenset(free or ())


ROWS = 40


def _table() -> pa.Table:
    """Columns without nulls, with nulls in one row group only, all null, nested, a map."""
    return pa.table(
        {
            "order_id": [f"O{i}" for i in range(ROWS)],
            "late_null": [None if i == ROWS - 1 else i for i in range(ROWS)],
            "all_null": pa.array([None] * ROWS, pa.string()),
            "total": pa.array([i / 4 for i in range(ROWS)], pa.float64()),
            "paid": [i % 2 == 0 for i in range(ROWS)],
            "tags": [["a", "b"] if i % 3 else [] for i in range(ROWS)],
            "where": [{"city": "Oslo", "zip": str(i)} for i in range(ROWS)],
            "extra": pa.array([[("k", i)] for i in range(ROWS)], pa.map_(pa.string(), pa.int64())),
            "ünïcode": [1.5] * ROWS,
        }
    )


WRITES: dict[str, dict[str, Any]] = {
    "one row group": {},
    "many row groups": {"row_group_size": 2},  # 20 groups: a long list header
    "no statistics": {"write_statistics": False},
    "statistics of some columns": {"write_statistics": ["order_id", "late_null"]},
    "data page v2, no dictionary": {"data_page_version": "2.0", "use_dictionary": False},
}


@pytest.mark.parametrize("write", sorted(WRITES))
def test_pyarrow_written_files(write: str, tmp_path: Path) -> None:
    path = tmp_path / "f.parquet"
    pq.write_table(_table(), path, **WRITES[write])
    assert null_free_columns(path) == _pyarrow_null_free(path)
    meta = pq.read_metadata(path)
    assert row_group_rows(path) == tuple(
        meta.row_group(i).num_rows for i in range(meta.num_row_groups)
    )


def test_the_answer_is_the_columns_without_nulls(tmp_path: Path) -> None:
    path = tmp_path / "f.parquet"
    pq.write_table(_table(), path, row_group_size=7)
    assert null_free_columns(path) == {"order_id", "total", "paid", "ünïcode"}
    assert row_group_rows(path) == (7, 7, 7, 7, 7, 5)


def test_many_columns_and_polars_written_files(tmp_path: Path) -> None:
    frame = pl.DataFrame({f"c{i}": [i, None if i % 5 == 0 else i] for i in range(40)})
    path = tmp_path / "f.parquet"
    frame.write_parquet(path, row_group_size=1)
    assert null_free_columns(path) == _pyarrow_null_free(path)
    assert null_free_columns(path) == {f"c{i}" for i in range(40) if i % 5}


def test_a_file_rewritten_in_place_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "f.parquet"
    pl.DataFrame({"a": [1, 2], "b": [1, None]}).write_parquet(path)
    assert null_free_columns(path) == {"a"}
    pl.DataFrame({"a": [1, None], "b": [1, 2], "c": [3, 3]}).write_parquet(path)
    assert null_free_columns(path) == {"b", "c"}


@pytest.mark.parametrize("content", [b"", b"PAR1", b"order_id,total\nO1,5\n", b"PAR1" * 3])
def test_what_is_not_a_parquet_footer_is_a_value_error(content: bytes, tmp_path: Path) -> None:
    path = tmp_path / "f.parquet"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="Parquet"):
        null_free_columns(path)


def test_a_footer_cut_short_is_a_value_error(tmp_path: Path) -> None:
    path = tmp_path / "f.parquet"
    pl.DataFrame({"a": [1, 2]}).write_parquet(path)
    data = path.read_bytes()
    length = int.from_bytes(data[-8:-4], "little")
    footer_start = len(data) - 8 - length
    half = length // 2  # a true prefix of the footer never completes its outer struct
    path.write_bytes(data[: footer_start + half] + half.to_bytes(4, "little") + b"PAR1")
    with pytest.raises(ValueError, match="Parquet"):
        null_free_columns(path)
