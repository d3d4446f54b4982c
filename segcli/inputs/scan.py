"""Scanning one file lazily: CSV (every column as text), Parquet (its own types), NDJSON (text)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from segcli.errors import InputError
from segcli.inputs.csvfile import CsvDialect, check_structure, read_dialect
from segcli.inputs.values import ROW

if TYPE_CHECKING:
    from segcli.inputs.sources import SourceFile
    from segcli.inputs.tables import Settings

_NDJSON_SAMPLE_LINES = 1000


@dataclass(frozen=True, slots=True)
class RawFile:
    """One file as read: its columns under their own names (plus the row index ROW)."""

    source: SourceFile
    frame: pl.LazyFrame
    schema: dict[str, pl.DataType]  # file column -> dtype (String for every CSV column)
    dialect: CsvDialect | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self.schema)


def scan_file(source: SourceFile, settings: Settings) -> RawFile:
    """Lazily scan one file; CSV files are checked for ragged or truncated rows first."""
    if source.format == "parquet":
        return _scan_parquet(source)
    if source.format == "ndjson":
        return _scan_ndjson(source)
    dialect = read_dialect(source, settings.encoding, settings.delimiter)
    if settings.check_structure:
        check_structure(source, dialect)
    options = {
        "separator": dialect.delimiter,
        "has_header": True,
        "infer_schema": False,
        "quote_char": '"',
        "row_index_name": ROW,
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
        frame = pl.scan_parquet(source.path, row_index_name=ROW)
        schema = dict(frame.collect_schema())
    except pl.exceptions.PolarsError as err:
        first = str(err).split("\n", 1)[0]
        raise InputError(f"{source.name}: cannot read this Parquet file ({first})") from None
    schema.pop(ROW, None)
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
    frame = pl.scan_ndjson(source.path, schema=schema, row_index_name=ROW)
    return RawFile(source, frame, schema)
