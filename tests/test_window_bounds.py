"""A period's bounds as the Polars engine tests them: the same answer however often a bound
repeats, whatever zone it is written in."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import polars as pl

from segcli.backends.polars.rules import window_test
from segcli.periods import Window

BERLIN = ZoneInfo("Europe/Berlin")
STAMPS = [
    datetime(2024, 4, 30, 21, 59, tzinfo=UTC),
    datetime(2024, 4, 30, 22, 0, tzinfo=UTC),  # midnight of May 1st in Berlin (UTC+2)
    datetime(2024, 5, 31, 23, 59, tzinfo=UTC),
    None,
]


def passing(window: Window, column: pl.Series) -> list[bool]:
    return pl.DataFrame({"at": column}).select(window_test("at", window)).to_series().to_list()


def test_repeated_bounds_in_other_zones_keep_their_instant() -> None:
    utc = pl.Series("at", STAMPS, dtype=pl.Datetime("us", "UTC"))
    berlin = utc.dt.convert_time_zone("Europe/Berlin")
    start = datetime(2024, 4, 30, 22, 0, tzinfo=UTC)  # midnight of May 1st in Berlin
    end = datetime(2024, 6, 1, tzinfo=UTC)
    in_berlin = Window(start=start.astimezone(BERLIN), end=end.astimezone(BERLIN))
    # by hand: only the 22:00 and the May 31st stamps are in [start, end); null never is
    expected = [False, True, True, False]
    for _ in range(2):  # a bound met again (an equal instant, another zone) answers as before
        assert passing(Window(start=start, end=end), utc) == expected
        assert passing(in_berlin, berlin) == expected
    exclusive = Window(start=start, start_inclusive=False, end=end, end_inclusive=True)
    assert passing(exclusive, utc) == [False, False, True, False]
