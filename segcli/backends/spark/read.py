"""The canonical layout read by Spark: Parquet or CSV files, folders, globs or URIs.

Local paths are expanded as the single-machine reader expands them (so the same files are read,
and manifests can hash them); anything with a scheme (`s3a://`, `abfss://`, `hdfs://`…) goes to
Spark as it is. Layouts that need the single-machine readers (Shopify exports, one row per line
item, derived statuses, money and date formats, null markers) are refused with a message that
says to run `segcli normalize` first.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812
from pyspark.sql import types as T  # noqa: N812

from segcli.backends.spark import cells
from segcli.errors import InputError, UsageError
from segcli.inputs.columns import PARSED_NAME, REQUIRED, REQUIRED_VALUES, SPECS, listing
from segcli.inputs.settings import MoneyFormat, Settings, check_timezone
from segcli.inputs.shopify import CUSTOMER_MARKERS, ORDER_MARKERS
from segcli.inputs.sources import expand_paths

if TYPE_CHECKING:
    from segcli.backends import InputRequest
    from segcli.inputs.sources import PathSpec

NORMALIZE = "run `segcli normalize` first and give Spark its output"
ROW_ORDER = "__segcli_row_order"  # (file path, row position): "first row wins" made explicit
FIRST_ROW_WINS = frozenset({"customers", "products"})  # the tables that need ROW_ORDER
_FILE = "__segcli_file"
_POSITION = "__segcli_position"
_SUFFIXES = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".tsv": "csv", ".txt": "csv"}


@dataclass(frozen=True, slots=True)
class TableFiles:
    """One table's rows as written (every column text for CSV), and where they come from."""

    table: str
    frame: DataFrame
    columns: dict[str, str]  # canonical column -> file column
    sources: tuple[Path, ...]
    label: str  # how messages name the files
    uris: tuple[str, ...] = ()  # locations Spark resolves itself (s3a://, abfss://, hdfs://…)


def check_settings(settings: Settings, preset: str | None) -> None:
    """The settings only the single-machine readers apply: a clear error, never ignored."""
    check_timezone(settings.timezone)
    problems = []
    if preset is not None:
        problems.append(f"--preset {preset}")
    if settings.money != MoneyFormat():
        problems.append("`money:`")
    if settings.date_format:
        problems.append("`date_format:`")
    if settings.null_values:
        problems.append("`null_values:`")
    for table, mapping in settings.tables:
        if mapping.rows != "orders":
            problems.append(f"`{table}: rows: {mapping.rows}`")
        if mapping.status_from:
            problems.append(f"`{table}: status_from:`")
    if problems:
        raise UsageError(
            f"the spark engine reads the canonical layout only; {', '.join(problems)} need the "
            f"single-machine readers: {NORMALIZE}"
        )


def read_files(spark: SparkSession, spec: PathSpec, table: str, settings: Settings) -> TableFiles:
    """Every file of one table as one frame, with its columns resolved and checked."""
    items: list[str | Path] = [spec] if isinstance(spec, str | Path) else list(spec)
    parts = [_read_item(spark, item, table, settings) for item in items]
    frame = parts[0][0]
    for other, _sources in parts[1:]:
        frame = frame.unionByName(other, allowMissingColumns=True)
    label = ", ".join(str(item) for item in items)
    sources = tuple(path for _frame, found in parts for path in found)
    columns = _resolve_columns(frame.columns, table, settings, label)
    uris = tuple(str(item) for item in items if "://" in str(item))
    return TableFiles(table, frame, columns, sources, label, uris)


def _read_item(
    spark: SparkSession, item: str | Path, table: str, settings: Settings
) -> tuple[DataFrame, tuple[Path, ...]]:
    text = str(item)
    if "://" in text:
        fmt = _SUFFIXES.get(_suffix(text), "parquet")  # a folder of parts: Parquet
        locations: list[str] = [text]
        sources: tuple[Path, ...] = ()
    else:
        found = expand_paths(item, table)  # InputError for a missing file, as on one machine
        formats = {f.format for f in found}
        if formats - {"csv", "parquet"} or any(f.gzipped for f in found if f.format == "csv"):
            raise InputError(f"{text}: the spark engine reads Parquet and CSV files; {NORMALIZE}")
        if len(formats) > 1:
            raise InputError(f"{text}: mixes CSV and Parquet files; give one format per table")
        fmt = formats.pop()
        locations = [str(f.path.absolute()) for f in found]
        sources = tuple(f.path for f in found)
    reader = spark.read.format(fmt).option("recursiveFileLookup", "true")
    if fmt == "csv" and sources:
        # The header read here: Spark would run a job per table to read it.
        reader = reader.schema(_csv_schema(sources[0], settings))
    if fmt == "csv":
        reader = reader.options(
            header="true",
            inferSchema="false",
            multiLine="true",  # quoted line breaks; a file is then never split
            escape='"',
            mode="FAILFAST",  # a ragged row fails the job (Spark would fill it with nulls)
            sep=settings.delimiter or ",",
            encoding=settings.encoding,
            enforceSchema="false",  # every file's header is checked against the first one
        )
    frame = reader.load(locations)
    if table in FIRST_ROW_WINS:
        position = (
            F.col("_metadata.row_index") if fmt == "parquet" else F.monotonically_increasing_id()
        )
        order = F.struct(F.col("_metadata.file_path").alias(_FILE), position.alias(_POSITION))
        frame = frame.withColumn(ROW_ORDER, order)
    return frame, sources


def check_local_headers(request: InputRequest) -> None:
    """The layout check of `_resolve_columns` on the headers of local CSV files, before a Spark
    session starts for inputs it would refuse (a Shopify export: run normalize first)."""
    for table, spec in (("orders", request.orders), ("customers", request.customers)):
        items: list[str | Path] = [] if spec is None else (
            [spec] if isinstance(spec, str | Path) else list(spec)
        )  # fmt: skip
        for item in (i for i in items if "://" not in str(i)):
            for found in expand_paths(item, table):
                if found.format == "csv" and not found.gzipped:
                    names = _csv_schema(found.path, request.settings).fieldNames()
                    _resolve_columns(names, table, request.settings, str(item))


def _csv_schema(path: Path, settings: Settings) -> T.StructType:
    """Every column of a CSV file's header, as text (types are never inferred)."""
    with path.open(encoding=settings.encoding, newline="") as handle:
        header = next(csv.reader(handle, delimiter=settings.delimiter or ","), [])
    names = [name.removeprefix("\ufeff") for name in header]
    return T.StructType([T.StructField(name, T.StringType()) for name in names])


def _suffix(text: str) -> str:
    name = text.rstrip("/").rsplit("/", 1)[-1].lower().removesuffix(".gz")
    return "." + name.rsplit(".", 1)[-1] if "." in name else ""


def _resolve_columns(
    present: Sequence[str], table: str, settings: Settings, label: str
) -> dict[str, str]:
    """Canonical column -> file column: canonical names (any case), then the config's mapping."""
    names = tuple(c for c in present if c != ROW_ORDER)
    markers = {"orders": ORDER_MARKERS, "customers": CUSTOMER_MARKERS}.get(table)
    if markers and settings.mapping(table) is None and all(m in names for m in markers):
        raise InputError(f"{label}: a Shopify {table} export; {NORMALIZE}")
    spec = SPECS[table]
    by_key = {name.strip().lower(): name for name in names}
    columns = {canon: by_key[canon] for canon in spec if canon in by_key}
    mapping = settings.mapping(table)
    for canon, column in mapping.columns if mapping else ():
        if column not in names:
            raise InputError(
                f"{label}: column '{column}' (mapped to {table}.{canon} in segcli.yaml) is not "
                f"in the file; present: {listing(names)}"
            )
        columns[canon] = column
    missing = [g for g in REQUIRED[table] if not any(c in columns for c in g)]
    if missing:
        wanted = ", ".join(" or ".join(repr(c) for c in group) for group in missing)
        raise InputError(
            f"{label}: missing required column {wanted} for the {table} table (present: "
            f"{listing(names)}); rename the column or map it under `{table}: columns:` in "
            "segcli.yaml"
        )
    return columns


def parsed(files: TableFiles, settings: Settings) -> dict[str, Column]:
    """Every canonical column of the table, parsed and guarded (typed nulls when absent)."""
    schema = {f.name: f.dataType for f in files.frame.schema.fields}
    required = REQUIRED_VALUES.get(files.table, frozenset())
    result: dict[str, Column] = {}
    for canon, kind in SPECS[files.table].items():
        name = PARSED_NAME.get(canon, canon)
        column = files.columns.get(canon)
        if column is None:
            result[name] = F.lit(None).cast(_SPARK_TYPES.get(kind, T.StringType()))
            continue
        where = f"{files.label}: column '{column}'"
        result[name] = _parse(
            F.col(f"`{column}`"), schema[column], kind, settings, where, required=canon in required
        )
    return result


_SPARK_TYPES: dict[str, T.DataType] = {
    "money": T.LongType(),
    "timestamp": T.TimestampType(),
    "integer": T.LongType(),
    "boolean": T.BooleanType(),
}


def _parse(
    raw: Column, dtype: T.DataType, kind: str, settings: Settings, where: str, *, required: bool
) -> Column:
    if kind not in _SPARK_TYPES:
        return cells.checked(cells.normalize_text(raw, kind), None, where, kind, required=required)
    if kind == "money":
        value, bad = cells.money(raw, dtype)
    elif kind == "timestamp":
        value, bad = cells.timestamp(raw, dtype, settings.timezone)
    elif kind == "integer":
        value, bad = cells.integer(raw, dtype)
    else:
        value, bad = cells.boolean(raw, dtype)
    return cells.checked(value, bad, where, kind, required=required)


def raw_cell(files: TableFiles, canon: str) -> Column:
    """A column's cells as written, as text (null when the file has no such column)."""
    column = files.columns.get(canon)
    return F.lit(None).cast("string") if column is None else F.col(f"`{column}`").cast("string")


def non_blank_rows(files: TableFiles) -> Column:
    """Rows with some value in a column the layout uses (a CSV's blank line reads as nulls)."""
    used = [F.col(f"`{c}`").isNotNull() for c in dict.fromkeys(files.columns.values())]
    test = used[0]
    for other in used[1:]:
        test = test | other
    return test
