"""`segcli history`: one segment's members at a series of dates, and who entered and left.

Each date is an as-of like `--as-of DATE` (the start of that day in the project time zone), and
its members are exactly those `segcli build --as-of DATE` exports. The engine evaluates every
date in one pass over the data per chunk of dates (Engine.membership_over_time); this module
chooses the dates, counts and writes the series.
"""

from __future__ import annotations

import calendar
import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal, get_args

import polars as pl

from segcli.errors import UsageError
from segcli.timeline import point_column

Every = Literal["day", "week", "month"]
EVERY: tuple[str, ...] = get_args(Every)
# More dates than this is more likely a mistake (`--every day` over years) than a wish: each
# date costs a few columns of the one group-by, so ten years of weeks or three years of days fit.
MAX_POINTS = 1100


def parse_day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"{option}: '{text}' is not a date (YYYY-MM-DD)") from None


def history_dates(start: date, end: date, every: str) -> list[date]:
    """`start`, then every day, week (7 days) or calendar month after it, up to `end` inclusive.
    Monthly dates keep the start's day of the month, clamped to shorter months (from the 31st:
    Feb 29 or 28, Mar 31, Apr 30)."""
    if every not in EVERY:
        raise UsageError(f"--every: '{every}' is not one of {', '.join(EVERY)}")
    if start > end:
        raise UsageError(f"--from {start} is after --to {end}")
    count = _point_count(start, end, every)
    if count > MAX_POINTS:
        raise UsageError(
            f"{count} dates from {start} to {end} every {every}: at most {MAX_POINTS}; "
            "choose a longer step (--every week or month) or a shorter range"
        )
    return [_step(start, every, k) for k in range(count)]


def _point_count(start: date, end: date, every: str) -> int:
    if every == "day":
        return (end - start).days + 1
    if every == "week":
        return (end - start).days // 7 + 1
    months = (end.year - start.year) * 12 + end.month - start.month
    return months + (1 if _step(start, "month", months) <= end else 0)


def _step(start: date, every: str, k: int) -> date:
    if every == "day":
        return start + timedelta(days=k)
    if every == "week":
        return start + timedelta(weeks=k)
    year, month = divmod(start.month - 1 + k, 12)
    year, month = start.year + year, month + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True, slots=True)
class HistoryPoint:
    """Members at one date; entered and left since the date before (None at the first date)."""

    day: date
    as_of: datetime
    members: int
    entered: int | None
    left: int | None


@dataclass(frozen=True, slots=True)
class History:
    segment_id: str
    name: str
    every: str
    timezone: str
    points: tuple[HistoryPoint, ...]

    def as_json(self) -> dict[str, object]:
        return {
            "segment": self.segment_id,
            "name": self.name,
            "every": self.every,
            "timezone": self.timezone,
            "points": [
                {
                    "date": p.day.isoformat(),
                    "as_of": p.as_of.isoformat(),
                    "members": p.members,
                    "entered": p.entered,
                    "left": p.left,
                }
                for p in self.points
            ],
        }


def count_points(
    flags: pl.DataFrame, days: Sequence[date], as_ofs: Sequence[datetime]
) -> tuple[HistoryPoint, ...]:
    """The series from the engine's membership table (one column per date)."""
    columns = [point_column(i) for i in range(len(days))]
    exprs = [pl.col(c).sum().alias(f"m{i}") for i, c in enumerate(columns)]
    for i in range(1, len(columns)):
        now, before = pl.col(columns[i]), pl.col(columns[i - 1])
        exprs += [(now & ~before).sum().alias(f"e{i}"), (before & ~now).sum().alias(f"l{i}")]
    sums = flags.select(exprs).row(0, named=True)
    points = []
    for i, (day, as_of) in enumerate(zip(days, as_ofs, strict=True)):
        entered = None if i == 0 else int(sums[f"e{i}"])
        left = None if i == 0 else int(sums[f"l{i}"])
        points.append(HistoryPoint(day, as_of, int(sums[f"m{i}"]), entered, left))
    return tuple(points)


def history_bytes(history: History, *, as_json: bool) -> bytes:
    """The machine output: `History.as_json` as indented JSON, or CSV with one row per date
    (date, as_of, members, entered, left; entered and left empty at the first date)."""
    if as_json:
        return (json.dumps(history.as_json(), indent=2) + "\n").encode("utf-8")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["date", "as_of", "members", "entered", "left"])
    for p in history.points:
        entered = "" if p.entered is None else p.entered
        left = "" if p.left is None else p.left
        writer.writerow([p.day.isoformat(), p.as_of.isoformat(), p.members, entered, left])
    return out.getvalue().encode("utf-8")
