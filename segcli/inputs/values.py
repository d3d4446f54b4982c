"""Parsing cells with explicit formats: text, money (exact integer cents), timestamps, integers.

Every parser returns `(value, bad)`: `bad` is true where a cell holds something the parser could
not read. `guarded` turns that pair into one column that raises InputError when a bad cell is
*computed*, so validation costs nothing extra: it happens in the same pass that reads the data,
only for the columns a query uses, and never turns a value into a silent null.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import polars as pl

from segcli.errors import InputError
from segcli.inputs.csvfile import CsvDialect, record_line

if TYPE_CHECKING:
    from segcli.inputs.sources import SourceFile
    from segcli.inputs.tables import MoneyFormat

ROW = "__segcli_row"  # 0-based data row within one file, added by every scan
Kind = Literal["money", "timestamp", "integer", "boolean", "required"]
MAX_INT_DIGITS = 15
_TRUE = ("true", "yes", "y", "1", "t")
_FALSE = ("false", "no", "n", "0", "f")
_HINTS: dict[Kind, str] = {
    "money": "write a plain amount like 125.40, or set `money:` (currency_sign, "
    "thousands_separator, decimal_separator) in segcli.yaml",
    "timestamp": "write YYYY-MM-DD, optionally with HH:MM[:SS] and an offset (Z, +0200, "
    "+02:00), or set `date_format:` in segcli.yaml",
    "integer": "write a whole number",
    "boolean": "write true/false, yes/no or 1/0",
    "required": "every row needs a value here; fill it in or remove the row",
}
_WHAT: dict[Kind, str] = {
    "money": "money",
    "timestamp": "a date or timestamp",
    "integer": "a whole number",
    "boolean": "true/false",
    "required": "",
}


class InputValueError(InputError):
    """An InputError raised while Polars computes a column.

    Polars re-raises a UDF's exception as `type(err)(message + context)`; keeping only the
    first line keeps our one-line message.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message.split("\n", 1)[0])


@dataclass(frozen=True, slots=True)
class CellSource:
    """Where a column's cells come from, for messages: file, column and (CSV) dialect."""

    source: SourceFile
    column: str
    dialect: CsvDialect | None = None
    show_value: bool = True  # False for personal data (emails, names)


Fallback = Callable[[pl.Series], pl.Series]  # raw text of the bad cells -> values or nulls


def guarded(
    value: pl.Expr,
    bad: pl.Expr,
    where: CellSource,
    kind: Kind,
    dtype: pl.DataType,
    *,
    fallback: Fallback | None = None,
    required: bool = False,
) -> pl.Expr:
    """`value`, but computing it raises InputValueError at the first bad (or, when `required`,
    empty) cell. `value` and `bad` should be plain column references: the guard only checks.

    `fallback` is a slower, more general parser tried on the bad cells only (e.g. a timestamp
    format not seen in the file's first rows), so the fast path can stay narrow.
    """

    def check(batch: pl.Series) -> pl.Series:
        values = batch.struct.field("value")
        flags = batch.struct.field("bad").fill_null(value=False)
        if flags.any():
            values = _repair(batch, values, flags, where, kind, fallback)
        if required and values.null_count():
            first = int(values.is_null().arg_true()[0])
            row = int(batch.struct.field("row")[first])
            raise InputValueError(cell_message(where, row, None, "required"))
        return values

    raw = pl.col(where.column).cast(pl.String)
    fields = pl.struct(value=value, bad=bad, row=pl.col(ROW), raw=raw)
    return fields.map_batches(check, return_dtype=dtype, is_elementwise=True)


def _repair(
    batch: pl.Series,
    values: pl.Series,
    flags: pl.Series,
    where: CellSource,
    kind: Kind,
    fallback: Fallback | None,
) -> pl.Series:
    index = flags.arg_true()
    raws = batch.struct.field("raw").gather(index)
    fixed = (
        fallback(raws)
        if fallback
        else pl.Series(dtype=values.dtype).extend_constant(None, len(index))
    )
    unread = fixed.is_null()
    if unread.any():
        first = int(unread.arg_true()[0])
        row = int(batch.struct.field("row")[int(index[first])])
        raise InputValueError(cell_message(where, row, raws[first], kind))
    return values.scatter(index, fixed.cast(values.dtype))


def cell_message(where: CellSource, row: int, raw: object, kind: Kind) -> str:
    """`file: row N (line L), column 'c': cannot read '…' as money; <what to do>`."""
    data_row = row + 1
    line = record_line(where.source, where.dialect, data_row) if where.dialect else None
    place = f"row {data_row}" + (f" (line {line})" if line else "")
    prefix = f"{where.source.name}: {place}, column '{where.column}'"
    if kind == "required":
        return f"{prefix}: the value is empty; {_HINTS[kind]}"
    shown = f" {str(raw)[:40]!r}" if where.show_value else ""
    return f"{prefix}: cannot read{shown} as {_WHAT[kind]}; {_HINTS[kind]}"


Parsed = tuple[pl.Expr, pl.Expr]  # (value, bad)


def text(raw: pl.Expr, nulls: tuple[str, ...] = ()) -> pl.Expr:
    """Trimmed text; empty cells and null markers (e.g. `NA`) become null."""
    value = raw.cast(pl.String).str.strip_chars()
    empty = value == ""
    if nulls:
        empty = empty | value.is_in(list(nulls))
    return pl.when(empty).then(None).otherwise(value)


def _failed(raw: pl.Expr) -> Parsed:
    return pl.lit(None), raw.is_not_null()


def money(raw: pl.Expr, dtype: pl.DataType, fmt: MoneyFormat) -> Parsed:
    """Integer cents. Text and Decimal are exact; floats (Parquet) are rounded to the cent.

    For text, `raw` is the trimmed text (see `text`); otherwise the file's typed column."""
    if dtype == pl.String:
        return _money_text(raw, fmt)
    if dtype.is_float():
        bad = raw.is_nan() | raw.is_infinite()
        cents = pl.when(bad).then(None).otherwise((raw * 100).round(0)).cast(pl.Int64)
        return cents, bad
    if dtype.is_decimal():
        scaled = raw * 100
        return scaled.round(0).cast(pl.Int64), scaled.round(0) != scaled
    if dtype.is_integer():
        return raw.cast(pl.Int64) * 100, pl.lit(value=False)
    return _failed(raw)


def _money_text(value: pl.Expr, fmt: MoneyFormat) -> Parsed:
    """Exact cents from text with cheap string ops: validate, drop the decimal point, scale."""
    if fmt.currency_sign:
        value = value.str.replace_all(fmt.currency_sign, "", literal=True).str.strip_chars()
    sep = re.escape(fmt.decimal_separator)
    whole = rf"\d{{1,{MAX_INT_DIGITS}}}"
    if fmt.thousands_separator:
        group = rf"(?:{re.escape(fmt.thousands_separator)}\d{{3}})"
        whole = rf"(?:{whole}|\d{{1,3}}{group}{{1,4}})"
    valid = value.str.contains(rf"^[+-]?{whole}(?:{sep}\d{{1,2}}0*)?$")
    digits = value.str.strip_prefix("+")
    if fmt.thousands_separator:
        digits = digits.str.replace_all(fmt.thousands_separator, "", literal=True)
    point = digits.str.find(fmt.decimal_separator, literal=True)
    decimals = (digits.str.len_bytes().cast(pl.Int64) - point - 1).fill_null(0)
    number = digits.str.replace(fmt.decimal_separator, "", literal=True)
    number = number.cast(pl.Int64, strict=False)
    cents = (
        pl.when(decimals <= 2)
        .then(number * pl.lit(10, pl.Int64).pow((2 - decimals).clip(lower_bound=0)))
        .otherwise(number // pl.lit(10, pl.Int64).pow((decimals - 2).clip(lower_bound=0)))
    )
    result = pl.when(valid).then(cents)
    return result, value.is_not_null() & result.is_null()


def integer(raw: pl.Expr, dtype: pl.DataType) -> Parsed:
    if dtype == pl.String:
        value = raw
        digits = value.str.strip_prefix("+")
        number = pl.when(digits.str.contains(r"^-?\d{1,18}$")).then(
            digits.cast(pl.Int64, strict=False)
        )
        return number, value.is_not_null() & number.is_null()
    if dtype.is_integer():
        return raw.cast(pl.Int64), pl.lit(value=False)
    if dtype.is_float():
        whole = raw.round(0) == raw
        return pl.when(whole).then(raw.cast(pl.Int64, strict=False)), raw.is_not_null() & ~whole
    return _failed(raw)


def boolean(raw: pl.Expr, dtype: pl.DataType) -> Parsed:
    if dtype == pl.Boolean:
        return raw, pl.lit(value=False)
    value = raw.str.to_lowercase()
    result = (
        pl.when(value.is_in(_TRUE))
        .then(pl.lit(value=True))
        .when(value.is_in(_FALSE))
        .then(pl.lit(value=False))
        .otherwise(None)
    )
    return result, value.is_not_null() & result.is_null()
