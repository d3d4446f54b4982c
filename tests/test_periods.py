"""Periods resolve against the as-of exactly as docs/language.md says (values worked by hand)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from segcli.periods import Window, as_of_label, resolve_as_of, resolve_period
from segcli.spec.model import AllTime, Before, DateRange, LastYear, Rolling, Since, ThisYear


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


AS_OF = utc("2024-03-31T00:00:00")


def test_a_date_as_of_is_the_start_of_that_day_in_the_project_zone() -> None:
    assert resolve_as_of("2024-06-12", "UTC") == utc("2024-06-12T00:00:00")
    # New York is UTC-4 in June: local midnight is 04:00 UTC.
    assert resolve_as_of(date(2024, 6, 12), "America/New_York") == utc("2024-06-12T04:00:00")
    assert resolve_as_of("2024-06-12T10:30:00+02:00", "UTC") == utc("2024-06-12T08:30:00")


def test_rolling_days_are_open_at_the_start_and_closed_at_the_as_of() -> None:
    window = resolve_period(Rolling(90, "days"), AS_OF, "UTC")
    assert window == Window(utc("2024-01-01T00:00:00"), False, AS_OF, True)


@pytest.mark.parametrize(
    ("n", "unit", "start"),
    [
        (1, "months", "2024-02-29"),  # 31 March − 1 month clamps to the end of February
        (3, "months", "2023-12-31"),
        (2, "weeks", "2024-03-17"),
        (1, "years", "2023-03-31"),
    ],
)
def test_months_and_years_are_calendar(n: int, unit: str, start: str) -> None:
    window = resolve_period(Rolling(n, unit), AS_OF, "UTC")  # type: ignore[arg-type]
    assert window.start == utc(f"{start}T00:00:00")


def test_this_year_and_last_year() -> None:
    assert resolve_period(ThisYear(), AS_OF, "UTC") == Window(
        utc("2024-01-01T00:00:00"), True, AS_OF, True
    )
    assert resolve_period(LastYear(), AS_OF, "UTC") == Window(
        utc("2023-01-01T00:00:00"), True, utc("2024-01-01T00:00:00"), False
    )


def test_from_to_are_whole_days_both_inclusive_since_inclusive_before_exclusive() -> None:
    assert resolve_period(DateRange(date(2024, 1, 1), date(2024, 1, 31)), AS_OF, "UTC") == Window(
        utc("2024-01-01T00:00:00"), True, utc("2024-02-01T00:00:00"), False
    )
    assert resolve_period(Since(date(2024, 2, 1)), AS_OF, "UTC") == Window(
        start=utc("2024-02-01T00:00:00")
    )
    assert resolve_period(Before(date(2024, 2, 1)), AS_OF, "UTC") == Window(
        end=utc("2024-02-01T00:00:00")
    )
    assert resolve_period(AllTime(), AS_OF, "UTC") == Window()


def test_local_zone_moves_day_boundaries() -> None:
    window = resolve_period(Since(date(2024, 7, 1)), AS_OF, "Europe/Berlin")
    assert window.start == utc("2024-06-30T22:00:00")  # Berlin is UTC+2 in summer


def test_snapshot_label_is_the_local_date() -> None:
    assert as_of_label(utc("2024-06-12T00:00:00"), "UTC") == "2024-06-12"
    assert as_of_label(utc("2024-06-12T04:00:00"), "America/New_York") == "2024-06-12"
    assert as_of_label(utc("2024-06-12T10:30:00"), "UTC") == "2024-06-12T10-30-00"
