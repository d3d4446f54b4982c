"""Checks that run while a query reads the inputs, and the careful re-read that names a bad row.

Validation design (cheap, and never silent):

- At open time, per file: the header (empty file, duplicate column, missing required column).
- CSV structure: a read that finds the file's last column never empty proves no row is short
  (Polars itself fails a long row or a broken quote; see inputs.csvsource). Any other file a
  query reads gets one pass after it that counts every record's fields (pyarrow's C++ parser,
  in constant memory), once per file; a ragged or truncated row fails there, and after a
  failed query every file it read gets that pass first, so its error wins over the bad cells
  it causes.
- Cell values (money, timestamps, integers, booleans, required cells) are checked lazily: each
  parsed column is computed together with a "bad cell" flag, and computing it raises
  BadCellsError at the first bad cell (file and column). So the backend's one `collect`
  validates exactly the columns and rows the segments read, in the same pass. Only then
  (`collect` below) is that one column of that one file read again with row numbers, to name
  the row, line and value. Typed Parquet columns have no bad cells and are not guarded.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from concurrent.futures import ThreadPoolExecutor

import polars as pl

from segcli.errors import InputError
from segcli.inputs.cells import BadCellsError, CellSource
from segcli.inputs.columns import SPECS
from segcli.inputs.csvfile import check_structure
from segcli.inputs.scan import RawFile
from segcli.inputs.tables import Tables
from segcli.inputs.typed_columns import first_bad_cell, natively_checked

ROLES = ("orders", "lines", "customers", "reviews", "products")


class QueryRunner:
    """Runs queries over one Tables' frames (streaming engine); bad input becomes one
    InputError naming the file, row and column.

    A query's `roles` are the input files it reads ("orders", "lines", ...): their CSV rows'
    field counts are checked after the query unless its read proved them (Polars fills a short
    row with nulls); a ragged row's error wins over what it caused. Each file is checked once
    per runner, however many queries read it. Only after a failure is the file read again,
    carefully, to name the row (`_name_bad_cell`)."""

    def __init__(self, tables: Tables) -> None:
        self._tables = tables
        self._unchecked = [f for f in tables.files if f.raw.dialect is not None]

    def collect(self, lazy: pl.LazyFrame, roles: Collection[str] = ROLES) -> pl.DataFrame:
        return self.collect_all([lazy], roles)[0]

    def collect_all(
        self, queries: Sequence[pl.LazyFrame], roles: Collection[str] = ROLES
    ) -> list[pl.DataFrame]:
        """`collect` for several queries at once: they share their scans."""
        if not queries:
            return []
        pending = self._take_structure(roles)
        early = [raw for raw in pending if _proof_unlikely(raw)]
        later = [raw for raw in pending if raw not in early]
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="segcli-check") as pool:
            ahead = pool.submit(_check_each, early)  # beside the query: see `_proof_unlikely`
            try:
                results = pl.collect_all(queries, engine="streaming")
            except (BadCellsError, pl.exceptions.PolarsError) as error:
                ahead.result()
                _check_structure(later)
                raise self._explain(error) from None
            ahead.result()
        _check_structure([raw for raw in later if not raw.log.sound])
        return list(results)

    def _take_structure(self, roles: Collection[str]) -> list[RawFile]:
        """The CSV files of `roles` still to be checked (then counted as checked)."""
        if not self._tables.settings.check_structure:
            return []
        taken = [f for f in self._unchecked if f.role in roles]
        self._unchecked = [f for f in self._unchecked if f.role not in roles]
        return [f.raw for f in taken if not f.raw.log.sound]  # another runner's query proved it

    def _explain(self, error: Exception) -> InputError:
        if isinstance(error, BadCellsError):
            return self._name_bad_cell(str(error)) or error
        return self._find_bad_cell() or InputError(
            f"cannot read the input data: {_first_line(error)}"
        )

    def _find_bad_cell(self) -> InputError | None:
        """After a query error, the first bad cell of a column Polars checks natively (see
        `natively_checked`), read carefully; None when they hold none."""
        settings = self._tables.settings
        for read in self._tables.files:
            spec = SPECS[read.layout.table]
            for canon, column in read.layout.columns.items():
                if natively_checked(read.raw.schema[column], spec[canon]):
                    found = first_bad_cell(read.raw, read.layout, settings, canon)
                    if found:
                        return InputError(found)
        return None

    def _name_bad_cell(self, message: str) -> InputError | None:
        """The error naming the first bad cell of the column a BadCellsError names."""
        for read in self._tables.files:
            for canon, column in read.layout.columns.items():
                if message.startswith(CellSource(read.raw.source, column).prefix):
                    found = first_bad_cell(read.raw, read.layout, self._tables.settings, canon)
                    return InputError(found) if found else None
        return None


def collect(lazy: pl.LazyFrame, tables: Tables, roles: Collection[str] = ROLES) -> pl.DataFrame:
    """One query over the tables, checked as `QueryRunner` checks it."""
    return QueryRunner(tables).collect(lazy, roles)


def _check_structure(files: Sequence[RawFile]) -> None:
    """The structural pass over `files`, on a worker thread that is joined: pyarrow's CSV reader
    run on the main thread can abort the process at exit ("terminate called without an active
    exception")."""
    if not files:
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="segcli-check") as pool:
        pool.submit(_check_each, files).result()


def _proof_unlikely(raw: RawFile) -> bool:
    """Whether no read will try to prove the file's structure (see inputs.csvsource): its
    pass then runs beside the query instead of after it."""
    return not raw.log.provable(raw.frame, raw.columns[-1])


def _check_each(files: Sequence[RawFile]) -> None:
    for raw in files:
        if raw.dialect is not None:
            check_structure(raw.source, raw.dialect)
            raw.log.checked()


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
