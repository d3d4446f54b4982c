"""Reading a CSV file's rows for a query: blank rows skipped, and proof of a sound structure.

Two checks make every CSV read cost more than the columns a query needs. A blank row (an empty
line, or only delimiters) reads as a row of nulls and must be skipped, which takes every column
the file's layout uses, for every row; and Polars pads a short row with nulls, so a structural
pass over the whole file (`csvfile.check_structure`) counts every record's fields.

`blank_skipping` reads only the columns a query needs and settles both on the way, from what
those columns show:
- a row with a value in one of the layout's columns it read is not blank. Only while no row
  leaves them all empty does the read stay this cheap; at the first such row it reads on from
  there with every layout column and the plain blank filter, as before.
- every column of the file is read, and the columns the query does not need are dropped batch
  by batch: Polars fails a long row or a broken quote only where it parses every field of a row
  (with a projection it stops at the last column it needs and skips the rest of the line), and a
  short row leaves the last column empty. A complete read in which the last column is never
  empty proves the structure sound, and `ReadLog` tells `QueryRunner` so; it then skips the
  pass. Parsing the other columns costs less than the pass, which tokenizes the file again.
  A file whose first rows already leave the last column empty (a customers file's `tags`) can
  never be proven: its reads take just the needed columns, and its pass runs beside the query
  (`ReadLog.provable`, inputs.checks). Once a read or the pass has found a file sound, the
  later queries of the run read just the columns they need.
The query's predicate is applied after both, so no row escapes them by being filtered first.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence

import polars as pl
from polars.io.plugins import register_io_source

INDEX = "__segcli_file_row"
PROOF_SAMPLE_ROWS = 1000  # first rows that guess whether a read can prove a file's structure


class ReadLog:
    """What complete reads of one file have shown: whether its last column was ever empty.

    Written by the reads (threads of the query engine), read by QueryRunner afterwards."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sound = False
        self._provable: bool | None = None

    def provable(self, native: pl.LazyFrame, last: str) -> bool:
        """Whether a read may prove the file sound: its first rows fill the last column. A
        guess (asked once per file) that decides how the file is checked, never whether."""
        with self._lock:
            if self._provable is None:
                try:
                    head = native.select(last).head(PROOF_SAMPLE_ROWS).collect()
                    self._provable = head.to_series().null_count() == 0
                except pl.exceptions.PolarsError:
                    self._provable = False
            return self._provable

    def complete(self, *, last_column_full: bool) -> None:
        with self._lock:
            self._sound = self._sound or last_column_full

    def checked(self) -> None:
        """The structural pass found every record sound: later reads need not prove it."""
        with self._lock:
            self._sound = True

    @property
    def sound(self) -> bool:
        """A complete read of the file, or its structural pass, found it sound."""
        with self._lock:
            return self._sound


def blank_skipping(
    native: pl.LazyFrame, used: Sequence[str], last: str, log: ReadLog
) -> pl.LazyFrame:
    """`native` (every column as text) without its blank rows, reading what a query needs."""
    schema = dict(native.collect_schema())
    keys = list(dict.fromkeys(used))

    def source(
        with_columns: list[str] | None,
        predicate: pl.Expr | None,
        n_rows: int | None,
        _batch_size: int | None,
    ) -> Iterator[pl.DataFrame]:
        wanted = list(schema) if with_columns is None else with_columns
        needed = list(dict.fromkeys([*wanted, *_roots(predicate)]))
        if n_rows is not None:  # a slice: the plain filter, no proof
            careful = _careful(native, keys, needed, 0).head(n_rows)
            yield from _finish(careful.collect_batches(), predicate, wanted)
            return
        yield from _finish(_rows(native, keys, needed, last, log), predicate, wanted)

    return register_io_source(source, schema=schema, is_pure=True)


def _rows(
    native: pl.LazyFrame, keys: list[str], needed: list[str], last: str, log: ReadLog
) -> Iterator[pl.DataFrame]:
    """The needed columns (and the last) of the file's non-blank rows, in file order."""
    shown = [c for c in needed if c in keys]
    prove = not log.sound and log.provable(native, last)  # once proven, a file stays so
    read = list(native.collect_schema()) if prove else needed  # see the module docstring
    done, full = 0, True
    for batch in native.select(read).collect_batches() if shown else ():
        empty = batch.select(pl.all_horizontal(pl.col(c).is_null() for c in shown)).to_series()
        if empty.any():  # maybe blank: from this batch on, read carefully
            break
        full = full and prove and batch[last].null_count() == 0
        done += batch.height
        yield batch
    else:
        if shown:
            log.complete(last_column_full=full)
            return
    yield from _careful(native, keys, list(dict.fromkeys([*needed, last])), done).collect_batches()


def _careful(native: pl.LazyFrame, keys: list[str], read: list[str], skip: int) -> pl.LazyFrame:
    """Rows from `skip` on, without the rows every layout column leaves empty."""
    rows = native.slice(skip) if skip else native
    blank = ~pl.any_horizontal(pl.col(c).is_not_null() for c in keys) if keys else pl.lit(False)
    return rows.filter(~blank).select(read)


def _finish(
    batches: Iterator[pl.DataFrame], predicate: pl.Expr | None, wanted: list[str]
) -> Iterator[pl.DataFrame]:
    for batch in batches:
        kept = batch if predicate is None else batch.filter(predicate)
        yield kept.select(wanted)


def _roots(predicate: pl.Expr | None) -> list[str]:
    return [] if predicate is None else predicate.meta.root_names()
