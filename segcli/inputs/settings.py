"""Project settings: what the project config file (`segcli.yaml`) says about reading the inputs
and evaluating segments; the defaults when there is none."""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path

from segcli.errors import UsageError, did_you_mean


@dataclass(frozen=True, slots=True)
class MoneyFormat:
    """How money is written in text files: `1.234,50 €` is sign "€", thousands ".", decimal ","."""

    currency_sign: str = ""  # stripped wherever it appears in a money cell, e.g. "£", "$", "€"
    thousands_separator: str = ""  # e.g. "," or "." or " "; empty = none allowed
    decimal_separator: str = "."  # "." or ","


@dataclass(frozen=True, slots=True)
class StatusRule:
    """Derive an order status: `{column: InvoiceNo, starts_with: C, status: cancelled}`."""

    column: str
    status: str
    starts_with: str | None = None
    equals: str | None = None


@dataclass(frozen=True, slots=True)
class TableMapping:
    """How one table's files map onto the canonical columns (from the project config file)."""

    columns: tuple[tuple[str, str], ...] = ()  # (canonical name, column in the file)
    rows: str = "orders"  # orders table only: "orders" (one row per order) or "line_items"
    status_from: tuple[StatusRule, ...] = ()

    def column_map(self) -> dict[str, str]:
        return dict(self.columns)


@dataclass(frozen=True, slots=True)
class Settings:
    """Project settings (from the project config file; defaults when there is none)."""

    timezone: str = "UTC"
    exclude_statuses: tuple[str, ...] = ()  # lower-cased order statuses left out of every metric
    source: Path | None = None  # the config file these came from, if any
    encoding: str = "utf-8"  # text encoding of CSV files, e.g. "cp1252", "latin-1"
    null_values: tuple[str, ...] = ()  # cells meaning "no value" besides the empty cell, e.g. "NA"
    money: MoneyFormat = field(default_factory=MoneyFormat)
    date_format: str | None = None  # strftime format for non-ISO timestamps, e.g. "%m/%d/%Y %H:%M"
    currency: str | None = None  # currency of orders whose data names none, e.g. "GBP"
    delimiter: str | None = None  # CSV delimiter; None = sniffed from the header line
    tables: tuple[tuple[str, TableMapping], ...] = ()  # table name -> mapping
    check_structure: bool = True  # check every CSV row's field count (unless a read proves it)
    memory_limit: int | None = None  # bytes a run should stay within; None = DEFAULT_MEMORY_LIMIT
    passes: int | None = None  # passes over the customers, fixed; None = chosen from the limit

    def mapping(self, table: str) -> TableMapping | None:
        return dict(self.tables).get(table)


DEFAULT_MEMORY_LIMIT = 1_500_000_000
MAX_PASSES = 256
_SIZE_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12}
_SIZE_UNITS |= {"K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}
_SIZE_UNITS |= {"KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}


def parse_size(text: str) -> int | None:
    """Bytes from a size as people write it ("1.5GB", "800MB", "2GiB", "1200000000"); None
    when it is not one. Units are decimal (GB = 10^9 bytes) unless binary (GiB)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*", text)
    if match is None or match.group(2).upper() not in _SIZE_UNITS:
        return None
    size = int(float(match.group(1)) * _SIZE_UNITS[match.group(2).upper()])
    return size if size > 0 else None


def check_size(text: str, what: str) -> int:
    """`parse_size`, or a UsageError naming `what`."""
    size = parse_size(text)
    if size is None:
        raise UsageError(f"{what}: '{text}' is not a size; write e.g. 1.5GB or 800MB")
    return size


def timezone_problem(name: str) -> tuple[str, str] | None:
    """None when `name` is an IANA time zone name, else what is wrong and a hint. segcli
    evaluates periods and writes dates in that zone, so no other name will do."""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        known = sorted(zoneinfo.available_timezones())
        hint = did_you_mean(name, known) or "use an IANA name like UTC or Europe/London"
        return f"unknown time zone '{name}'", hint
    return None


def check_timezone(name: str) -> None:
    """Raise a UsageError unless `name` is an IANA time zone name."""
    if (problem := timezone_problem(name)) is not None:
        message, hint = problem
        raise UsageError(f"{message}; {hint}")
