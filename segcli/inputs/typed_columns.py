"""Parsing one file's columns into canonical ones, in three lazy stages.

1. trimmed text of every text cell (`__t.<name>`), 2. parsed values and "bad cell" flags
(`__v.<name>`, `__b.<name>`), 3. the guarded outputs. Staging keeps every expression computed
once (the guards only look at finished columns), and projection pushdown drops the stages of
columns a query does not use. A column that cannot hold a bad cell (a typed Parquet column) is
its value, unguarded, so filters on it still reach the scan.

The guards name only the file and column (see segcli.inputs.cells); `first_bad_cell` reads
that one column again with row numbers, only after a guard failed, to name the row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import polars as pl

from segcli.errors import InputError
from segcli.inputs import cells
from segcli.inputs.cells import (
    ROW,
    Careful,
    CellSource,
    Fallback,
    Kind,
    cell_message,
    checked,
    checked_as_written,
)
from segcli.inputs.columns import (
    PARSED_NAME,
    PERSONAL,
    RAW_IDENTITY,
    RAW_ITEM,
    RAW_ORDER_ID,
    REQUIRED_VALUES,
    SPECS,
    Layout,
    check_required,
    listing,
)
from segcli.inputs.csvsource import blank_skipping
from segcli.inputs.timestamps import timestamp

if TYPE_CHECKING:
    from segcli.inputs.scan import RawFile
    from segcli.inputs.settings import Settings

SAMPLE_ROWS = 500  # first rows read at open time to pick the timestamp formats
# The column kinds parsed from text, and their dtype once parsed (money in cents); a column of
# any other kind stays text.
PARSED_DTYPES: dict[str, pl.DataType] = {
    "money": pl.Int64(),
    "timestamp": pl.Datetime("us", "UTC"),
    "integer": pl.Int64(),
    "boolean": pl.Boolean(),
}


@dataclass(frozen=True, slots=True)
class ColumnPlan:
    text: pl.Expr | None  # stage 1
    parsed: tuple[pl.Expr, ...]  # stage 2
    output: pl.Expr  # stage 3
    # What the precise pass needs (see first_bad_cell): over stage-1 columns.
    value: pl.Expr
    bad: pl.Expr | None
    where: CellSource
    kind: Kind
    required: bool
    fallback: Fallback | None


def parse_file(raw: RawFile, layout: Layout, settings: Settings) -> pl.LazyFrame:
    """The file's canonical columns, parsed and guarded; blank CSV lines are skipped."""
    frame, plans = _plan_file(raw, layout, settings, None)
    outputs = [plan.output for plan in plans.values()]
    if layout.status_from and "status" in SPECS[layout.table]:
        outputs = [e for e in outputs if e.meta.output_name() != "status"]
        outputs.append(_derived_status(layout, settings).alias("status"))
    if layout.table in RAW_BY_TABLE and not layout.excel_text:
        outputs.extend(_raw_cells(raw, layout, RAW_BY_TABLE[layout.table]))
    texts = [plan.text for plan in plans.values() if plan.text is not None]
    parsed = [expr for plan in plans.values() for expr in plan.parsed]
    return frame.with_columns(texts).with_columns(parsed).select(outputs)


RAW_BY_TABLE = {"orders": {**RAW_IDENTITY, **RAW_ORDER_ID}, "lines": {**RAW_ITEM, **RAW_ORDER_ID}}


def _raw_cells(raw: RawFile, layout: Layout, names: dict[str, str]) -> list[pl.Expr]:
    """Text cells as written (see RAW_COLUMNS): for orders, the backend groups by the identity
    and normalizes once per group (inputs.identity.IdentityResolver); for lines, it filters on
    the item cells before they are parsed. As written means as text: exactly what the normalized
    column is made from (a typed Parquet column cast to text); absent columns are null. An
    integer customer id stays an Int64 (see `integer_ids`): its text is its cast, with nothing
    to trim or blank-check, and grouping by the number is cheaper than by its text."""
    cells = []
    for name, canon in names.items():
        column = layout.columns.get(canon)
        if canon == "order_id":
            number = pl.lit(None) if column is None else pl.col(column)
            if column is None or not integer_ids(raw.schema[column]):
                number = pl.lit(None)
            cells.append(number.cast(pl.Int64).alias(name))
        elif column is None:
            cells.append(pl.lit(None, pl.String).alias(name))
        elif canon == "customer_id" and integer_ids(raw.schema[column]):
            cells.append(pl.col(column).cast(pl.Int64).alias(name))
        else:
            cells.append(pl.col(column).cast(pl.String).alias(name))
    return cells


def integer_ids(dtype: pl.DataType) -> bool:
    """Whether an id column's every value is an Int64 whose decimal text is the id."""
    return dtype in {pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32}


def _plan_file(
    raw: RawFile, layout: Layout, settings: Settings, indexed: pl.LazyFrame | None
) -> tuple[pl.LazyFrame, dict[str, ColumnPlan]]:
    """The file's rows without blank ones (`indexed`: the careful re-read, with row numbers)
    and the plan of every canonical column."""
    check_required(raw, layout)
    _check_status_columns(raw, layout)
    used = list(dict.fromkeys([*layout.columns.values(), *(r.column for r in layout.status_from)]))
    frame = raw.frame if indexed is None else indexed
    if raw.dialect is not None and used:
        # a blank line reads as a row of nulls
        if indexed is None:
            frame = blank_skipping(raw.frame, used, raw.columns[-1], raw.log)
        else:
            frame = frame.filter(pl.any_horizontal(pl.col(c).is_not_null() for c in used))
    required = REQUIRED_VALUES.get(layout.table, frozenset()) | layout.also_required
    samples = _timestamp_samples(raw, layout)
    plans = {
        canon: plan_column(
            raw, canon, layout, settings, required=canon in required, sample=samples.get(column)
        )
        for canon, column in layout.columns.items()
    }
    return frame, plans


def first_bad_cell(raw: RawFile, layout: Layout, settings: Settings, canon: str) -> str | None:
    """The message for the first bad (or required but empty) cell of one column, by row.

    The precise pass, run only after a fast guard failed on this column: it reads the file
    again with row numbers, keeps the suspect cells, and tries the fallback parser on them."""
    frame, plans = _plan_file(raw, layout, settings, raw.indexed)
    plan = plans[canon]
    suspect = plan.value.is_null() if plan.required else pl.lit(value=False)
    if plan.bad is not None:
        suspect = suspect | plan.bad.fill_null(value=False)
    texts = [p.text for p in plans.values() if p.text is not None]
    cells = (
        frame.with_columns(texts)
        .select(
            pl.col(ROW),
            pl.col(plan.where.column).cast(pl.String).alias("raw"),
            (plan.bad if plan.bad is not None else pl.lit(value=False)).alias("bad"),
            suspect.alias("suspect"),
        )
        .filter(pl.col("suspect"))
        .sort(ROW)
        .collect()
    )
    if cells.is_empty():
        return None
    bad = cells["bad"].fill_null(value=False)
    if plan.fallback is not None and bad.any():
        repaired = plan.fallback(cells["raw"].filter(bad))
        unread = pl.Series(bad).scatter(bad.arg_true(), repaired.is_null())
    else:
        unread = bad
    problem = unread | ~bad  # a suspect cell that is not bad is a required cell left empty
    if not problem.any():
        return None
    first = int(problem.arg_true()[0])
    row, text = int(cells[ROW][first]), cells["raw"][first]
    kind: Kind = plan.kind if unread[first] else "required"
    return cell_message(plan.where, row, text, kind)


def _check_status_columns(raw: RawFile, layout: Layout) -> None:
    for rule in layout.status_from:
        if rule.column not in raw.schema:
            raise InputError(
                f"{raw.source.name}: line 1 (header): column '{rule.column}' (used by "
                f"status_from in segcli.yaml) is not in the file; present: {listing(raw.columns)}"
            )


def plan_column(
    raw: RawFile,
    canon: str,
    layout: Layout,
    settings: Settings,
    *,
    required: bool,
    sample: Sequence[str] | None = None,
) -> ColumnPlan:
    """The stages of one canonical column, parsed from its file column."""
    column = layout.columns[canon]
    kind = SPECS[layout.table][canon]
    dtype = raw.schema[column]
    where = CellSource(raw.source, column, raw.dialect, show_value=canon not in PERSONAL)
    name = PARSED_NAME.get(canon, canon)
    text_name, value_name, bad_name = f"__t.{canon}", f"__v.{canon}", f"__b.{canon}"
    text: pl.Expr | None = None
    if kind == "id" and integer_ids(dtype):  # nothing to trim: never blank, only null
        text = pl.col(column).cast(pl.String).alias(text_name)
        required = required and column not in raw.null_free
    elif dtype == pl.String or kind not in PARSED_DTYPES:
        text = normalize_text(pl.col(column), kind, settings, excel=layout.excel_text)
        text = text.alias(text_name)
    if kind not in PARSED_DTYPES:
        output = pl.col(text_name)
        if required:
            output = checked(output, None, where, "required", pl.String(), required=True)
        return ColumnPlan(
            text, (), output.alias(name), pl.col(text_name), None, where, "required", required,
            None,
        )  # fmt: skip
    source = pl.col(text_name) if text is not None else pl.col(column)
    value, bad, fallback = _typed(source, dtype, kind, settings, sample or ())
    cell_kind = cast("Kind", kind)
    # A typed column without nulls (Parquet statistics) cannot break `required`.
    required = required and column not in raw.null_free
    parsed: list[pl.Expr] = []
    fast = _as_written(pl.col(column), dtype, kind, settings, sample or ())
    if fast is not None and text is not None and bad is not None:
        careful = _careful(column, text, value.alias("value"), bad.alias("bad"), fallback)
        output = checked_as_written(
            fast, pl.col(column), careful, where, cell_kind, PARSED_DTYPES[kind],
            required=required,
        )  # fmt: skip
    elif bad is None and not required:
        output = value
    elif natively_checked(dtype, kind) and not required:
        output = _float_cents(source)
    else:
        parsed = [value.alias(value_name)] + ([] if bad is None else [bad.alias(bad_name)])
        output = checked(
            pl.col(value_name), None if bad is None else pl.col(bad_name), where, cell_kind,
            PARSED_DTYPES[kind], raw=pl.col(column), fallback=fallback, required=required,
        )  # fmt: skip
    return ColumnPlan(
        text, tuple(parsed), output.alias(name), value, bad, where, cell_kind, required, fallback
    )


def _as_written(
    src: pl.Expr, dtype: pl.DataType, kind: str, settings: Settings, sample: Sequence[str]
) -> pl.Expr | None:
    """The fast parse of a text cell as written (see `checked_as_written`), or None when the
    column has none. Every strict pattern here is anchored and admits no white space at a
    cell's ends, so a cell it reads is its own trimmed text; a null marker is never a value.
    A currency sign is taken off before trimming, so that format keeps the careful parse."""
    if dtype != pl.String or (kind == "money" and settings.money.currency_sign):
        return None
    if kind not in PARSED_DTYPES:
        return None
    money = cells.money_as_written(src, settings.money) if kind == "money" else None
    value = money if money is not None else _typed(src, dtype, kind, settings, sample)[0]
    if settings.null_values:
        value = pl.when(src.is_in(list(settings.null_values))).then(None).otherwise(value)
    return value


def _careful(
    column: str, text: pl.Expr, value: pl.Expr, bad: pl.Expr, fallback: Fallback | None
) -> Careful:
    """The careful parse of some cells of `column`: the column's own stages (trim, parse,
    fallback) over just those cells; returns their values and which cells stay unreadable."""

    def careful(cells: pl.Series) -> tuple[pl.Series, pl.Series]:
        frame = pl.DataFrame({column: cells}).with_columns(text).select(value, bad)
        values, flags = frame["value"], frame["bad"].fill_null(value=False)
        if fallback is not None and flags.any():
            index = flags.arg_true()
            fixed = fallback(cells.gather(index))
            values = values.scatter(index, fixed.cast(values.dtype))
            flags = flags.scatter(index, fixed.is_null())
        return values, flags

    return careful


def natively_checked(dtype: pl.DataType, kind: str) -> bool:
    """Whether a typed column's bad cells make Polars itself fail the query, with no guard.

    Float money: the strict cast of NaN or an infinity to integer cents fails, natively and per
    batch, where a Python guard would cost a call and a struct per batch and stop filters from
    reaching the scan. The query error names no row: QueryRunner then reads these columns
    carefully (`first_bad_cell`, with the guard's own test) to name the first bad cell."""
    return kind == "money" and dtype.is_float()


def _float_cents(value: pl.Expr) -> pl.Expr:
    """Cents of a float money cell, rounded to the cent; NaN and infinities fail the cast."""
    return (value * 100).round(0).cast(pl.Int64, strict=True)


def normalize_text(src: pl.Expr, kind: str, settings: Settings, *, excel: bool) -> pl.Expr:
    """A text cell as every table holds it: trimmed, empty/null markers null, emails and
    statuses lower-cased, currencies upper-cased, Excel's apostrophe off ids."""
    result = cells.text(src, settings.null_values)
    if kind == "id" and excel:  # Excel's text marker: '04616
        result = cells.text(result.str.strip_prefix("'"))
    elif kind in {"email", "status"}:
        result = result.str.to_lowercase()
    elif kind == "currency":
        result = result.str.to_uppercase()
    return result


def _typed(
    src: pl.Expr, dtype: pl.DataType, kind: str, settings: Settings, sample: Sequence[str]
) -> tuple[pl.Expr, pl.Expr | None, Fallback | None]:
    if kind == "money":
        return (*cells.money(src, dtype, settings.money), None)
    if kind == "timestamp":
        return timestamp(src, dtype, settings.timezone, settings.date_format, sample)
    if kind == "integer":
        return (*cells.integer(src, dtype), None)
    return (*cells.boolean(src, dtype), None)


def _timestamp_samples(raw: RawFile, layout: Layout) -> dict[str, list[str]]:
    """The first cells of each text timestamp column: they pick the fast formats."""
    spec = SPECS[layout.table]
    columns = [
        column
        for canon, column in layout.columns.items()
        if spec[canon] == "timestamp" and raw.schema[column] == pl.String
    ]
    if not columns:
        return {}
    try:
        head = raw.frame.select(list(dict.fromkeys(columns))).head(SAMPLE_ROWS).collect()
    except pl.exceptions.PolarsError:  # the guards will report what is wrong, row by row
        return {}
    return {c: [v for v in head[c].to_list() if v is not None] for c in head.columns}


def _derived_status(layout: Layout, settings: Settings) -> pl.Expr:
    status_column = layout.columns.get("status")
    base = cells.text(pl.col(status_column), settings.null_values) if status_column else None
    result: pl.Expr = base.str.to_lowercase() if base is not None else pl.lit(None, pl.String)
    for rule in reversed(layout.status_from):  # the first matching rule wins
        cell = cells.text(pl.col(rule.column), settings.null_values)
        if rule.starts_with is not None:
            hit = cell.str.starts_with(rule.starts_with)
        elif rule.equals is not None:
            hit = cell == rule.equals
        else:
            hit = cell.is_not_null()
        status = pl.lit(rule.status.strip().lower())
        result = pl.when(hit.fill_null(value=False)).then(status).otherwise(result)
    return result
