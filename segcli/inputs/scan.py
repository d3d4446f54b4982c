"""Scanning one file lazily: CSV (every column as text), Parquet (its own types), NDJSON (text)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import polars as pl

from segcli.errors import InputError
from segcli.inputs.cells import ROW
from segcli.inputs.csvfile import CsvDialect, read_dialect
from segcli.inputs.csvsource import ReadLog
from segcli.inputs.parquet_footer import null_free_columns

if TYPE_CHECKING:
    from segcli.inputs.settings import Settings
    from segcli.inputs.sources import SourceFile

_NDJSON_SAMPLE_LINES = 1000


@dataclass(frozen=True, slots=True)
class RawFile:
    """One file as read: its columns under their own names."""

    source: SourceFile
    frame: pl.LazyFrame
    schema: dict[str, pl.DataType]  # file column -> dtype (String for every CSV column)
    log: ReadLog = field(default_factory=ReadLog, kw_only=True)  # what reads of a CSV showed
    dialect: CsvDialect | None = None

    @property
    def null_free(self) -> frozenset[str]:
        """Top-level columns whose every row group's statistics count zero nulls (a Parquet
        footer, read when first asked: a typed column without nulls needs no guard; without
        statistics the guard stays)."""
        if self.source.format != "parquet" or self.source.gzipped:
            return frozenset()
        try:
            return null_free_columns(self.source.path)
        except (OSError, ValueError):
            return frozenset()

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self.schema)

    @property
    def indexed(self) -> pl.LazyFrame:
        """The frame with the 0-based data row number ROW (for messages naming a row)."""
        return self.frame.with_row_index(ROW)


def scan_file(source: SourceFile, settings: Settings) -> RawFile:
    """Lazily scan one file. CSV rows' field counts are checked when a query reads the file
    (Polars fills a short row with nulls): see segcli.inputs.read.collect."""
    if source.format == "parquet":
        return _scan_parquet(source)
    if source.format == "ndjson":
        return _scan_ndjson(source)
    dialect = read_dialect(source, settings.encoding, settings.delimiter)
    options = {
        "separator": dialect.delimiter,
        "has_header": True,
        "infer_schema": False,
        "quote_char": '"',
        "raise_if_empty": False,
    }
    if dialect.encoding == "utf-8-sig":
        frame = pl.scan_csv(source.path, **options)  # type: ignore[arg-type]
    else:  # Polars reads UTF-8 only: transcode in memory (legacy encodings are small files)
        with source.open_binary() as handle:
            data = handle.read().decode(dialect.encoding).encode("utf-8")
        frame = pl.scan_csv(data, **options)  # type: ignore[arg-type]
    schema: dict[str, pl.DataType] = dict.fromkeys(dialect.header, pl.String())
    return RawFile(source, frame, schema, dialect)


def _scan_parquet(source: SourceFile) -> RawFile:
    try:
        frame = pl.scan_parquet(source.path)
        schema = dict(frame.collect_schema())
    except pl.exceptions.PolarsError as err:
        first = str(err).split("\n", 1)[0]
        raise InputError(f"{source.name}: cannot read this Parquet file ({first})") from None
    return RawFile(source, frame, schema)


def _scan_ndjson(source: SourceFile) -> RawFile:
    keys: dict[str, None] = {}
    with source.open_binary() as handle:
        for number, line in enumerate(handle, 1):
            if number > _NDJSON_SAMPLE_LINES:
                break
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise InputError(
                    f"{source.name}: line {number}: not valid JSON ({err.msg}); "
                    "write one JSON object per line"
                ) from None
            keys.update(dict.fromkeys(record))
    if not keys:
        raise InputError(f"{source.name}: line 1: the file is empty; write one JSON object a line")
    schema: dict[str, pl.DataType] = dict.fromkeys(keys, pl.String())
    frame = pl.scan_ndjson(source.path, schema=schema)
    return RawFile(source, frame, schema)
