"""Timestamps from text: mixed ISO forms and offsets in one column, to UTC.

Fast path: the file's first rows pick which of a few fixed formats the column uses (usually
one), and only those are parsed vectorized. A cell none of them reads goes to the general
regex parser (`parse_iso`), on the bad cells only, inside the column's guard; only a cell that
one cannot read either is an error.
"""

from __future__ import annotations

import re
from functools import partial
from typing import TYPE_CHECKING

import polars as pl

from segcli.inputs.cells import Fallback, text

if TYPE_CHECKING:
    from collections.abc import Sequence

CLOCK = re.compile("%[HIklTR]")  # a format with a time of day (see `_to_datetime`)
# Exact forms first: Polars parses a format without %.f or %z several times faster; each must
# match the whole cell.
AWARE = (
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%d %H:%M:%S %z",
    "%Y-%m-%d %H:%M:%S%.f %#z",
    "%Y-%m-%dT%H:%M:%S%.f%#z",
    "%Y-%m-%d %H:%M %#z",
    "%Y-%m-%dT%H:%M%#z",
)
NAIVE = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d",
)
ISO = (
    r"^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2})(:\d{2}(?:\.\d{1,9})?)?)?\s*(Z|z|[+-]\d{2}:?\d{2})?$"
)
# (value, bad, fallback): `cells.Parsed` plus the slower parser tried on the bad cells only
ParsedTimestamp = tuple[pl.Expr, pl.Expr | None, Fallback | None]
# Zones that are UTC under another name: local wall-clock time there is UTC, never skipped.
UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Universal", "Universal",
                       "Etc/Zulu", "Zulu", "GMT", "Etc/GMT", "Etc/GMT0", "GMT0", "Etc/Greenwich",
                       "Greenwich"})  # fmt: skip


def timestamp(
    raw: pl.Expr, dtype: pl.DataType, tz: str, date_format: str | None, sample: Sequence[str]
) -> ParsedTimestamp:
    """UTC timestamps; values without an offset are local time in `tz`.

    For text, `raw` is the trimmed text (see `values.text`)."""
    if dtype == pl.String:
        value = raw
        if date_format:
            stamp = _with_format(value, tz, date_format)
            return stamp, value.is_not_null() & stamp.is_null(), None
        aware, naive = choose_formats(sample)
        stamp = _parse_any(value, tz, aware, naive)
        return stamp, value.is_not_null() & stamp.is_null(), partial(parse_iso, tz=tz)
    if isinstance(dtype, pl.Datetime):
        # Already UTC microseconds: the column itself, so filters reach the Parquet scan.
        stamp = raw if dtype.time_unit == "us" else raw.cast(pl.Datetime("us", dtype.time_zone))
        if dtype.time_zone == "UTC":
            return stamp, None, None
        if dtype.time_zone:
            return stamp.dt.convert_time_zone("UTC"), None, None
        if tz in UTC_NAMES:  # no wall-clock time is skipped: nothing can be bad
            return stamp.dt.replace_time_zone("UTC"), None, None
        local = localize(stamp, tz)  # a wall-clock time skipped by DST is a bad cell
        return local, raw.is_not_null() & local.is_null(), None
    if dtype == pl.Date:
        if tz in UTC_NAMES:
            return raw.cast(pl.Datetime("us")).dt.replace_time_zone("UTC"), None, None
        local = localize(raw.cast(pl.Datetime("us")), tz)
        return local, raw.is_not_null() & local.is_null(), None
    return pl.lit(None, pl.Datetime("us", "UTC")), raw.is_not_null(), None


def choose_formats(sample: Sequence[str]) -> tuple[list[str], list[str]]:
    """The fewest fixed formats that read every sampled cell (default: the two commonest)."""
    remaining = pl.Series(sample, dtype=pl.String).str.strip_chars()
    remaining = remaining.filter(remaining.is_not_null() & (remaining != ""))
    aware: list[str] = []
    naive: list[str] = []
    for fmt in (*AWARE, *NAIVE):
        if remaining.is_empty():
            break
        zone = "UTC" if fmt in AWARE else None
        parsed = remaining.str.to_datetime(fmt, strict=False, time_unit="us", time_zone=zone)
        if parsed.is_not_null().any():
            (aware if fmt in AWARE else naive).append(fmt)
            remaining = remaining.filter(parsed.is_null())
    if not aware and not naive:
        return ["%Y-%m-%d %H:%M:%S%.f %#z"], ["%Y-%m-%d %H:%M:%S%.f"]  # the general forms
    return aware, naive


def _parse_any(value: pl.Expr, tz: str, aware: list[str], naive: list[str]) -> pl.Expr:
    stamps = [_to_datetime(value, f, "UTC") for f in aware]
    if naive:
        local = [_to_datetime(value, f, None) for f in naive]
        stamps.append(localize(pl.coalesce(local) if len(local) > 1 else local[0], tz))
    return pl.coalesce(stamps) if len(stamps) > 1 else stamps[0]


def _to_datetime(value: pl.Expr, fmt: str, zone: str | None) -> pl.Expr:
    """Cells read with one format, null where it does not apply. Polars' cache of converted
    values pays where values repeat (dates) and costs where they do not: with a time of day,
    cells are mostly distinct, and parsing without it takes about half the CPU."""
    return value.str.to_datetime(
        fmt, strict=False, time_unit="us", time_zone=zone, cache=not CLOCK.search(fmt)
    )


def localize(naive: pl.Expr, tz: str) -> pl.Expr:
    """Local wall-clock time in `tz` -> UTC (a time skipped by DST becomes null: an error)."""
    local = naive.dt.replace_time_zone(tz, ambiguous="earliest", non_existent="null")
    return local.dt.convert_time_zone("UTC")


def _with_format(value: pl.Expr, tz: str, date_format: str) -> pl.Expr:
    if "%z" in date_format or "%:z" in date_format or "%#z" in date_format:
        return _to_datetime(value, date_format, "UTC")
    return localize(_to_datetime(value, date_format, None), tz)


def parse_iso(cells: pl.Series, tz: str) -> pl.Series:
    """The general parser (slow: regex captures), for cells the fast formats missed."""
    value = text(pl.lit(cells, dtype=pl.String))
    day = value.str.extract(ISO, 1)
    clock = value.str.extract(ISO, 2).fill_null("00:00")
    seconds = value.str.extract(ISO, 3).fill_null(":00")
    offset = value.str.extract(ISO, 4).str.replace(":", "", literal=True)
    offset = pl.when(offset.str.to_uppercase() == "Z").then(pl.lit("+0000")).otherwise(offset)
    local = pl.concat_str(day, pl.lit(" "), clock, seconds)
    fmt = "%Y-%m-%d %H:%M:%S%.f"
    aware = pl.concat_str(local, pl.lit(" "), offset).str.to_datetime(
        f"{fmt} %z", strict=False, time_unit="us", time_zone="UTC"
    )
    naive = localize(local.str.to_datetime(fmt, strict=False, time_unit="us"), tz)
    return pl.select(pl.when(offset.is_not_null()).then(aware).otherwise(naive)).to_series()
