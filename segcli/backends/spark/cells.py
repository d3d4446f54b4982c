"""Cells of the canonical layout as Spark columns: text, money, timestamps, integers, booleans.

The same rules as the single-machine readers (segcli.inputs.values, .timestamps), written with
explicit character classes so that Java's regex means what Rust's does: Java's `\\s` is ASCII
white space unless told otherwise, Rust's is Unicode White_Space, which is what Polars' trimming
strips. Every parser returns `(value, bad)`; `checked` turns a bad cell into a failed job whose
message names the file, the column and what to do (the engine turns it into an InputError).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from pyspark.sql import Column
from pyspark.sql import functions as F  # noqa: N812
from pyspark.sql import types as T  # noqa: N812

if TYPE_CHECKING:
    from pyspark.sql.types import DataType

# Unicode White_Space (what Rust's `char::is_whitespace` and Polars' `strip_chars` use).
WHITE_SPACE = (
    r"[\t-\r \x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}]"
)
BAD_CELL = "segcli-bad-cell: "  # how a message raised in a job starts (see session.run)
MAX_INT_DIGITS = 15
_TRUE = ("true", "yes", "y", "1", "t")
_FALSE = ("false", "no", "n", "0", "f")
_HINTS = {
    "money": "write a plain amount like 125.40 (money formats: run `segcli normalize` first)",
    "timestamp": "write YYYY-MM-DD, optionally with HH:MM[:SS] and an offset (Z, +0200, "
    "+02:00) (other date formats: run `segcli normalize` first)",
    "integer": "write a whole number",
    "boolean": "write true/false, yes/no or 1/0",
}
_WHAT = {
    "money": "money",
    "timestamp": "a date or timestamp",
    "integer": "a whole number",
    "boolean": "true/false",
}
ISO = (
    r"^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2})(?:(:\d{2})(?:\.(\d{1,9}))?)?)?"
    rf"{WHITE_SPACE}*(Z|z|[+-]\d{{2}}:?\d{{2}})?$"
)
Parsed = tuple[Column, Column | None]


def trimmed(raw: Column) -> Column:
    """Text without Unicode white space at its ends; an empty cell is null."""
    value = F.regexp_replace(raw.cast("string"), rf"^{WHITE_SPACE}+|{WHITE_SPACE}+$", "")
    return F.when(value != "", value)


def is_blank(raw: Column) -> Column:
    """Exactly `trimmed(raw).isNull()`."""
    return raw.isNull() | raw.cast("string").rlike(rf"^{WHITE_SPACE}*$")


def normalize_text(raw: Column, kind: str) -> Column:
    """A text cell as every table holds it: trimmed, emails and statuses lower-cased,
    currencies upper-cased (as segcli.inputs.parse.normalize_text)."""
    value = trimmed(raw)
    if kind in {"email", "status"}:
        return F.lower(value)
    if kind == "currency":
        return F.upper(value)
    return value


def checked(value: Column, bad: Column | None, where: str, kind: str, *, required: bool) -> Column:
    """`value`, failing the job at the first bad (or, when `required`, empty) cell."""
    if bad is not None:
        message = f"{BAD_CELL}{where}: a value cannot be read as {_WHAT[kind]}; {_HINTS[kind]}"
        value = F.when(bad, F.raise_error(F.lit(message))).otherwise(value)
    if required:
        message = f"{BAD_CELL}{where}: a value is empty; every row needs a value here"
        value = F.when(value.isNull(), F.raise_error(F.lit(message))).otherwise(value)
    return value


def money(raw: Column, dtype: DataType) -> Parsed:
    """Exact integer cents; a float is rounded to the cent (half to even, as Polars rounds)."""
    if isinstance(dtype, T.StringType):
        text = trimmed(raw)
        valid = text.rlike(rf"^[+-]?\d{{1,{MAX_INT_DIGITS}}}(?:\.\d{{1,2}}0*)?$")
        amount = F.when(valid, text).cast(T.DecimalType(MAX_INT_DIGITS + 20, 2))
        cents = (amount * 100).cast("long")
        return cents, text.isNotNull() & ~valid
    if isinstance(dtype, T.FloatType | T.DoubleType):
        bad = F.isnan(raw) | (F.abs(raw) == float("inf"))
        return F.when(~bad, F.bround(raw.cast("double") * 100, 0).cast("long")), bad
    if isinstance(dtype, T.DecimalType):
        scaled = raw * 100
        if dtype.scale <= 2:
            return scaled.cast("long"), None
        whole = F.floor(scaled)
        return whole.cast("long"), whole != scaled
    if isinstance(dtype, T.ByteType | T.ShortType | T.IntegerType | T.LongType):
        return raw.cast("long") * 100, None
    return F.lit(None).cast("long"), raw.isNotNull()


def integer(raw: Column, dtype: DataType) -> Parsed:
    if isinstance(dtype, T.StringType):
        text = trimmed(raw)
        digits = F.regexp_replace(text, r"^\+", "")
        number = F.when(digits.rlike(r"^-?\d{1,18}$"), digits).cast("long")
        return number, text.isNotNull() & number.isNull()
    if isinstance(dtype, T.ByteType | T.ShortType | T.IntegerType | T.LongType):
        return raw.cast("long"), None
    if isinstance(dtype, T.FloatType | T.DoubleType):
        whole = F.round(raw, 0) == raw
        return F.when(whole, raw.cast("long")), raw.isNotNull() & ~whole
    return F.lit(None).cast("long"), raw.isNotNull()


def boolean(raw: Column, dtype: DataType) -> Parsed:
    if isinstance(dtype, T.BooleanType):
        return raw, None
    value = F.lower(trimmed(raw))
    result = F.when(value.isin(*_TRUE), F.lit(True)).when(value.isin(*_FALSE), F.lit(False))
    return result, value.isNotNull() & result.isNull()


def timestamp(raw: Column, dtype: DataType, timezone: str) -> Parsed:
    """UTC instants; a value without an offset is wall-clock time in the project time zone."""
    if isinstance(dtype, T.TimestampType):
        return raw, None
    if isinstance(dtype, T.TimestampNTZType | T.DateType):
        local = F.date_format(raw.cast(T.TimestampNTZType()), _WALL)
        return _local_instant(local, timezone)
    if not isinstance(dtype, T.StringType):
        return F.lit(None).cast("timestamp"), raw.isNotNull()
    text = trimmed(raw)
    day = F.regexp_extract(text, ISO, 1)
    clock = F.regexp_extract(text, ISO, 2)
    seconds = F.regexp_extract(text, ISO, 3)
    fraction = F.regexp_extract(text, ISO, 4)
    offset = F.regexp_extract(text, ISO, 5)
    local = F.concat(
        day,
        F.lit(" "),
        F.when(clock == "", F.lit("00:00")).otherwise(clock),
        F.when(seconds == "", F.lit(":00")).otherwise(seconds),
        F.lit("."),
        F.rpad(F.substring(fraction, 1, 6), 6, "0"),
    )
    zone = F.upper(F.regexp_replace(offset, ":", ""))
    zone = F.when(zone == "Z", F.lit("+0000")).otherwise(zone)
    aware = F.try_to_timestamp(F.concat(local, zone), F.lit(f"{_WALL}XX"))
    naive, naive_bad = _local_instant(local, timezone)
    stamp = F.when(day == "", F.lit(None)).when(offset != "", aware).otherwise(naive)
    return stamp, text.isNotNull() & (stamp.isNull() | naive_bad)


def _local_instant(local: Column, timezone: str) -> tuple[Column, Column]:
    """Wall-clock text `yyyy-MM-dd HH:mm:ss.SSSSSS` in `timezone` → the UTC instant, and whether
    that wall-clock time does not exist there (skipped by a DST change: a bad cell, as in
    Polars); an ambiguous time is the earlier instant (Java's rule and Polars' "earliest").
    Wall-clock values stay TIMESTAMP_NTZ throughout, so the session time zone plays no part."""
    if timezone == "UTC":
        return _utc(local), F.lit(False)
    valid = _utc(local).isNotNull()  # to_timestamp_ntz fails the job on an invalid date
    wall = F.when(valid, F.to_timestamp_ntz(local, F.lit(_WALL)))
    utc_wall = F.convert_timezone(F.lit(timezone), F.lit("UTC"), wall)
    again = F.convert_timezone(F.lit("UTC"), F.lit(timezone), utc_wall)
    return _utc(F.date_format(utc_wall, _WALL)), wall.isNotNull() & (again != wall)


def _utc(wall: Column) -> Column:
    """UTC wall-clock text → the instant."""
    return F.try_to_timestamp(F.concat(wall, F.lit("+0000")), F.lit(f"{_WALL}XX"))


_WALL = "yyyy-MM-dd HH:mm:ss.SSSSSS"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def instant(moment: datetime) -> Column:
    """A UTC instant as a Spark timestamp literal, independent of the session time zone."""
    micros = (moment - _EPOCH) // timedelta(microseconds=1)
    return F.timestamp_micros(F.lit(micros))
