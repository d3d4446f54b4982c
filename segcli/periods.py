"""Periods resolved against an as-of instant into concrete time windows (backend-neutral)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import assert_never
from zoneinfo import ZoneInfo

from segcli.spec.model import (
    AllTime,
    Before,
    DateRange,
    LastYear,
    Period,
    Rolling,
    Since,
    ThisYear,
)


@dataclass(frozen=True, slots=True)
class Window:
    """A time interval in UTC; a missing bound is unbounded. The as-of cut-off applies on top."""

    start: datetime | None = None
    start_inclusive: bool = True
    end: datetime | None = None
    end_inclusive: bool = False


def resolve_as_of(value: date | datetime | str | None, timezone: str) -> datetime:
    """The as-of instant in UTC. A date means the start of that day in the project time zone;
    None means the start of today there (a nightly run on the 12th sees up to the end of the 11th).
    """
    zone = ZoneInfo(timezone)
    if value is None:
        value = datetime.now(zone).date()
    if isinstance(value, str):
        value = _parse_as_of_text(value)
    if isinstance(value, datetime):
        local = value if value.tzinfo else value.replace(tzinfo=zone)
        return local.astimezone(UTC)
    return start_of_day(value, zone)


def _parse_as_of_text(text: str) -> date | datetime:
    text = text.strip()
    if len(text) == 10:
        return date.fromisoformat(text)
    return datetime.fromisoformat(text)  # Python 3.11 reads a trailing Z


def start_of_day(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def as_of_label(as_of: datetime, timezone: str) -> str:
    """The name a snapshot takes: the local date, plus the time when it is not midnight."""
    local = as_of.astimezone(ZoneInfo(timezone))
    if local.time() == time(0):
        return local.date().isoformat()
    return local.strftime("%Y-%m-%dT%H-%M-%S")


def resolve_period(period: Period, as_of: datetime, timezone: str) -> Window:
    zone = ZoneInfo(timezone)
    local = as_of.astimezone(zone)
    match period:
        case AllTime():
            return Window()
        case Rolling(n=n, unit=unit):
            start = _shift_back(local, n, unit).astimezone(UTC)
            return Window(start=start, start_inclusive=False, end=as_of, end_inclusive=True)
        case ThisYear():
            jan1 = start_of_day(date(local.year, 1, 1), zone)
            return Window(start=jan1, end=as_of, end_inclusive=True)
        case LastYear():
            return Window(
                start=start_of_day(date(local.year - 1, 1, 1), zone),
                end=start_of_day(date(local.year, 1, 1), zone),
            )
        case DateRange(start=first, end=last):
            return Window(
                start=start_of_day(first, zone),
                end=start_of_day(last + timedelta(days=1), zone),
            )
        case Since(day=day):
            return Window(start=start_of_day(day, zone))
        case Before(day=day):
            return Window(end=start_of_day(day, zone))
        case _:
            assert_never(period)


def _shift_back(local: datetime, n: int, unit: str) -> datetime:
    """`local` minus n units of wall-clock time in its zone; months and years are calendar."""
    naive = local.replace(tzinfo=None)
    if unit == "days":
        shifted = naive - timedelta(days=n)
    elif unit == "weeks":
        shifted = naive - timedelta(weeks=n)
    else:
        months = n if unit == "months" else 12 * n
        index = naive.year * 12 + (naive.month - 1) - months
        year, month = divmod(index, 12)
        month += 1
        day = min(naive.day, calendar.monthrange(year, month)[1])
        shifted = naive.replace(year=year, month=month, day=day)
    return shifted.replace(tzinfo=local.tzinfo)
