"""Write one table chunk by chunk: Parquet row groups (one file) and CSV appends (one file, or
none)."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import IO, Self

import polars as pl
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

CSV_TIME = "%Y-%m-%dT%H:%M:%SZ"


def money(cents: str) -> pl.Expr:
    """Integer cents → Decimal(12, 2), exactly."""
    return (pl.col(cents).cast(pl.Decimal(12, 2)) / 100).cast(pl.Decimal(12, 2))


def utc(micros: str) -> pl.Expr:
    """Microseconds since the epoch → Datetime(us, UTC)."""
    return pl.from_epoch(pl.col(micros), time_unit="us").dt.replace_time_zone("UTC")


class TableWriter:
    """Append typed chunks of one table to `<parquet>` and `<csv>`; use as a context manager."""

    def __init__(self, parquet: Path, csv: Path | None, row_group: int) -> None:
        parquet.parent.mkdir(parents=True, exist_ok=True)
        self._parquet_path, self._row_group = parquet, row_group
        self._parquet: pq.ParquetWriter | None = None
        self._schema: pa.Schema | None = None
        self._csv: IO[bytes] | None = None
        if csv is not None:
            csv.parent.mkdir(parents=True, exist_ok=True)
            self._csv = csv.open("wb")
        self.rows = 0

    def write(self, chunk: pl.DataFrame) -> None:
        table = chunk.to_arrow()
        if self._parquet is None:
            self._schema = table.schema
            self._parquet = pq.ParquetWriter(
                self._parquet_path, table.schema, compression="zstd", write_statistics=True
            )
        self._parquet.write_table(table.cast(self._schema), row_group_size=self._row_group)
        if self._csv is not None:
            chunk.write_csv(self._csv, include_header=self.rows == 0, datetime_format=CSV_TIME)
        self.rows += chunk.height

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._parquet is not None:
            self._parquet.close()
        if self._csv is not None:
            self._csv.close()
