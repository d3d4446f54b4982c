"""Parsing cells with explicit formats: text, money (exact integer cents), timestamps, integers.

Every parser returns `(value, bad)`: `bad` is true where a cell holds something the parser could
not read, or None when no cell can be bad (e.g. a Parquet integer column). `checked` turns that
pair into one column that raises BadCellsError (naming the file and column) when a bad cell is
*computed*, so validation happens in the same pass that reads the data, only for the columns and
rows a query uses, and never turns a value into a silent null. Only then does the reader read
that one column again with row numbers (segcli.inputs.typed_columns.first_bad_cell) to name the row,
line and value of the first bad cell.
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
    from segcli.inputs.settings import MoneyFormat
    from segcli.inputs.sources import SourceFile

ROW = "__segcli_row"  # 0-based data row within one file (RawFile.indexed)
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


class BadCellsError(InputError):
    """A fast guard met a bad cell: the message names the file and column, not yet the row.

    Polars re-raises a UDF's exception as `type(err)(message + context)`; keeping only the
    first line keeps the message one line. The reader catches it and reads that column again
    for the precise message (segcli.inputs.read.collect)."""

    def __init__(self, message: str) -> None:
        super().__init__(message.split("\n", 1)[0])


@dataclass(frozen=True, slots=True)
class CellSource:
    """Where a column's cells come from, for messages: file, column and (CSV) dialect."""

    source: SourceFile
    column: str
    dialect: CsvDialect | None = None
    show_value: bool = True  # False for personal data (emails, names)

    @property
    def prefix(self) -> str:
        """How a BadCellsError about this column begins (the reader matches on it)."""
        return f"{self.source.name}: column '{self.column}': "


Fallback = Callable[[pl.Series], pl.Series]  # raw text of the bad cells -> values or nulls


def checked(
    value: pl.Expr,
    bad: pl.Expr | None,
    where: CellSource,
    kind: Kind,
    dtype: pl.DataType,
    *,
    raw: pl.Expr | None = None,
    fallback: Fallback | None = None,
    required: bool = False,
) -> pl.Expr:
    """`value`, raising BadCellsError when a bad (or, when `required`, empty) cell is computed.

    The fast guard: no row numbers, no raw text except for `fallback` (a slower, more general
    parser tried on the bad cells only, e.g. a timestamp format not seen in the first rows).
    Without a possible bad cell and without `required` it is `value` itself, so Polars keeps
    pushing filters down into the scan (Parquet row groups are skipped)."""
    if bad is None and not required:
        return value
    empty, unreadable = _guard_messages(where, kind)

    def check(batch: pl.Series) -> pl.Series:
        values = batch.struct.field("value")
        if bad is not None:
            flags = batch.struct.field("bad").fill_null(value=False)
            if flags.any():
                if fallback is None:
                    raise BadCellsError(unreadable)
                index = flags.arg_true()
                fixed = fallback(batch.struct.field("raw").gather(index))
                if fixed.null_count():
                    raise BadCellsError(unreadable)
                values = values.scatter(index, fixed.cast(values.dtype))
        if required and values.null_count():
            raise BadCellsError(empty)
        return values

    fields = [value.alias("value")]
    if bad is not None:
        fields.append(bad.alias("bad"))
    if fallback is not None and raw is not None:
        fields.append(raw.cast(pl.String).alias("raw"))
    return pl.struct(fields).map_batches(check, return_dtype=dtype, is_elementwise=True)


def _guard_messages(where: CellSource, kind: Kind) -> tuple[str, str]:
    """What a guard raises for an empty required cell and for an unreadable one."""
    empty = where.prefix + f"a value is empty; {_HINTS['required']}"
    if kind == "required":
        return empty, empty
    return empty, where.prefix + f"a value cannot be read as {_WHAT[kind]}; {_HINTS[kind]}"


Careful = Callable[[pl.Series], tuple[pl.Series, pl.Series]]  # cells -> (values, unreadable)


def checked_as_written(
    fast: pl.Expr,
    raw: pl.Expr,
    careful: Careful,
    where: CellSource,
    kind: Kind,
    dtype: pl.DataType,
    *,
    required: bool = False,
) -> pl.Expr:
    """The value of a text cell parsed as written, raising BadCellsError as `checked` does.

    `fast` parses the untrimmed cell with the strict patterns alone and reads a subset of what
    the careful parser reads, to the same value. A cell it leaves null is known by null counts
    alone: `fast` is null wherever `raw` is, so a batch with as many nulls in both holds no
    suspect cell and costs no flag column. Only the suspect cells (padded with white space, a
    null marker, an unusual timestamp form, or bad) go through `careful`: trimming, null
    markers, every format and the fallback parser, as `checked` reads them."""
    empty, unreadable = _guard_messages(where, kind)

    def check(batch: pl.Series) -> pl.Series:
        values, cells = batch.struct.field("value"), batch.struct.field("raw")
        if values.null_count() != cells.null_count():
            index = (values.is_null() & cells.is_not_null()).arg_true()
            repaired, bad = careful(cells.gather(index))
            if bad.any():
                raise BadCellsError(unreadable)
            values = values.scatter(index, repaired.cast(values.dtype))
        if required and values.null_count():
            raise BadCellsError(empty)
        return values

    fields = [fast.alias("value"), raw.cast(pl.String).alias("raw")]
    return pl.struct(fields).map_batches(check, return_dtype=dtype, is_elementwise=True)


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


Parsed = tuple[pl.Expr, pl.Expr | None]  # (value, bad); bad None: no cell can be bad


def text(raw: pl.Expr, nulls: tuple[str, ...] = ()) -> pl.Expr:
    """Trimmed text; empty cells and null markers (e.g. `NA`) become null."""
    value = raw.cast(pl.String).str.strip_chars()
    empty = value == ""
    if nulls:
        empty = empty | value.is_in(list(nulls))
    return pl.when(empty).then(None).otherwise(value)


_REGEX_SPECIAL = frozenset("\\.+*?()|[]{}^$#&-~")


def regex_literal(value: str) -> str:
    """`value` as a literal inside a (Rust) regex."""
    return "".join(f"\\{c}" if c in _REGEX_SPECIAL else c for c in value)


def is_blank(raw: pl.Expr, nulls: tuple[str, ...] = ()) -> pl.Expr:
    """Exactly `text(raw, nulls).is_null()`, without building the trimmed text: a null cell,
    or one that is white space around nothing or a null marker.
    (`\\s` is Unicode White_Space, what `strip_chars` strips; a marker with white space at its
    ends never equals a trimmed cell, so it is left out.)"""
    markers = [regex_literal(v) for v in nulls if v and v == v.strip()]
    body = f"(?:{'|'.join(markers)})?" if markers else ""
    return raw.is_null() | raw.cast(pl.String).str.contains(rf"^\s*{body}\s*$")


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
    if isinstance(dtype, pl.Decimal) and dtype.scale <= 2:  # whole cents
        return (raw * 100).cast(pl.Int64), None
    if dtype.is_decimal():
        scaled = raw * 100
        return scaled.round(0).cast(pl.Int64), scaled.round(0) != scaled
    if dtype.is_integer():
        return raw.cast(pl.Int64) * 100, None
    return _failed(raw)


def _money_text(value: pl.Expr, fmt: MoneyFormat) -> Parsed:
    """Exact cents from text: a strict pattern decides what is money (at most two decimals
    besides trailing zeros, at most 15 integer digits); Polars' Decimal cast then reads it
    exactly (the pattern has ruled out what the cast would round or misread, like `1e3`)."""
    if fmt.currency_sign:
        value = value.str.replace_all(fmt.currency_sign, "", literal=True).str.strip_chars()
    sep = re.escape(fmt.decimal_separator)
    whole = rf"\d{{1,{MAX_INT_DIGITS}}}"
    if fmt.thousands_separator:
        group = rf"(?:{re.escape(fmt.thousands_separator)}\d{{3}})"
        whole = rf"(?:{whole}|\d{{1,3}}{group}{{1,4}})"
    valid = value.str.contains(rf"^[+-]?{whole}(?:{sep}\d{{1,2}}0*)?$")
    number = value
    if fmt.thousands_separator:
        number = number.str.replace_all(fmt.thousands_separator, "", literal=True)
    if fmt.decimal_separator != ".":
        number = number.str.replace(fmt.decimal_separator, ".", literal=True)
    amount = number.cast(pl.Decimal(MAX_INT_DIGITS + 3, 2), strict=False)
    result = pl.when(valid).then((amount * 100).cast(pl.Int64))
    return result, value.is_not_null() & result.is_null()


# The fast parse reads at most this many integer digits: with two decimals that is at most
# 10**15 cents, below 2**53, where a double parsed from the text, times 100 and rounded, is
# exactly the cents written (the errors of the parse and of the product stay under 0.3).
FAST_INT_DIGITS = 13


def money_as_written(raw: pl.Expr, fmt: MoneyFormat) -> pl.Expr | None:
    """Integer cents of a money cell as written, or null where the careful parse must decide.

    The same strict pattern as `_money_text` (a plain amount, whole cents), with fewer integer
    digits: a double cast costs less than the Decimal cast and is exact on what the pattern
    admits. None for a format with separators or a sign (the careful parse reads those)."""
    if fmt.currency_sign or fmt.thousands_separator or fmt.decimal_separator != ".":
        return None
    valid = raw.str.contains(rf"^[+-]?[0-9]{{1,{FAST_INT_DIGITS}}}(?:\.[0-9]{{1,2}}0*)?$")
    cents = (raw.cast(pl.Float64, strict=False) * 100).round(0).cast(pl.Int64, strict=False)
    return pl.when(valid).then(cents)


def integer(raw: pl.Expr, dtype: pl.DataType) -> Parsed:
    if dtype == pl.String:
        value = raw
        digits = value.str.strip_prefix("+")
        number = pl.when(digits.str.contains(r"^-?\d{1,18}$")).then(
            digits.cast(pl.Int64, strict=False)
        )
        return number, value.is_not_null() & number.is_null()
    if dtype.is_integer():
        return raw.cast(pl.Int64), None
    if dtype.is_float():
        whole = raw.round(0) == raw
        return pl.when(whole).then(raw.cast(pl.Int64, strict=False)), raw.is_not_null() & ~whole
    return _failed(raw)


def boolean(raw: pl.Expr, dtype: pl.DataType) -> Parsed:
    if dtype == pl.Boolean:
        return raw, None
    value = raw.str.to_lowercase()
    result = (
        pl.when(value.is_in(_TRUE))
        .then(pl.lit(value=True))
        .when(value.is_in(_FALSE))
        .then(pl.lit(value=False))
        .otherwise(None)
    )
    return result, value.is_not_null() & result.is_null()
