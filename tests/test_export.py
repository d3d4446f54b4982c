"""The fixed export format: exact bytes, formula neutralization, money, dates, determinism."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segcli.errors import SegcliError, UsageError
from segcli.export import (
    EXPORT_HEADER,
    join_lines,
    money_text,
    render_csv,
    render_lines,
)

HEADER = (
    "Name,First Name,Last Name,Email Address,Date Registered,Country,Postal Code,Lifetime Spend"
)
UTC_US = pl.Datetime("us", "UTC")


def members(*rows: dict[str, object]) -> pl.DataFrame:
    """A members frame with the export's input columns; omitted values are null."""
    schema: dict[str, pl.DataType] = {
        "customer_key": pl.String(),
        "name": pl.String(),
        "first_name": pl.String(),
        "last_name": pl.String(),
        "email": pl.String(),
        "country": pl.String(),
        "postal_code": pl.String(),
        "registered_at": UTC_US,
        "spend_cents": pl.Int64(),
    }
    full = [{column: row.get(column) for column in schema} for row in rows]
    return pl.DataFrame(full, schema=schema)


def cells(data: bytes) -> list[list[str]]:
    """The CSV parsed back by Python's csv module (header included)."""
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


ALICE = {
    "customer_key": "C2",
    "name": "Alice Smith",
    "first_name": "Alice",
    "last_name": "Smith",
    "email": "alice@example.com",
    "country": "GB",
    "postal_code": "SW1A 1AA",
    "registered_at": utc(2023, 5, 4, 12, 0),
    "spend_cents": 123450,
}
BOB = {
    "customer_key": "C1",
    "first_name": " Bob ",
    "last_name": "Jones, Jr",
    "email": "a+b@x.com",
    "country": "US",
    "postal_code": "02134",
    "registered_at": utc(2024, 1, 1, 3, 30),
    "spend_cents": -1250,
}


def test_header_only_for_no_members() -> None:
    assert render_csv(members(), timezone="UTC") == (HEADER + "\n").encode()
    assert ",".join(EXPORT_HEADER) == HEADER


def test_exact_bytes_sorted_by_customer_key() -> None:
    expected = (
        HEADER + "\n"
        '"Bob Jones, Jr", Bob ,"Jones, Jr",a+b@x.com,2023-12-31,US,02134,-12.50\n'
        "Alice Smith,Alice,Smith,alice@example.com,2023-05-04,GB,SW1A 1AA,1234.50\n"
    )
    # Bob registered at 03:30 UTC on 1 January: still 31 December in New York.
    rendered = render_csv(members(ALICE, BOB), timezone="America/New_York")
    assert rendered == expected.encode()


def test_with_id_adds_a_leading_customer_id() -> None:
    expected = (
        "Customer ID," + HEADER + "\n"
        "C2,Alice Smith,Alice,Smith,alice@example.com,2023-05-04,GB,SW1A 1AA,1234.50\n"
    )
    assert render_csv(members(ALICE), timezone="UTC", with_id=True) == expected.encode()


def test_date_is_local_date_in_the_project_time_zone() -> None:
    late = members({**ALICE, "registered_at": utc(2024, 6, 30, 23, 30)})
    assert cells(render_csv(late, timezone="UTC"))[1][4] == "2024-06-30"
    assert cells(render_csv(late, timezone="Asia/Tokyo"))[1][4] == "2024-07-01"
    assert cells(render_csv(late, timezone="America/Los_Angeles"))[1][4] == "2024-06-30"


def test_unknown_time_zone_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown time zone 'Mars/Olympus'"):
        render_csv(members(ALICE), timezone="Mars/Olympus")


def test_name_falls_back_to_first_and_last() -> None:
    frame = members(
        {"customer_key": "1", "first_name": "Ann", "last_name": "Lee", "spend_cents": 0},
        {"customer_key": "2", "first_name": "  Ann  ", "spend_cents": 0},
        {"customer_key": "3", "last_name": "Lee ", "spend_cents": 0},
        {"customer_key": "4", "name": "   ", "first_name": "Ann", "spend_cents": 0},
        {"customer_key": "5", "name": "", "first_name": " ", "last_name": "", "spend_cents": 0},
        {"customer_key": "6", "name": "Nan", "first_name": "Ann", "spend_cents": 0},
    )
    names = [row[0] for row in cells(render_csv(frame, timezone="UTC"))[1:]]
    assert names == ["Ann Lee", "Ann", "Lee", "Ann", "", "Nan"]


def test_null_cells_are_empty_and_never_quoted() -> None:
    frame = members({"customer_key": "K", "spend_cents": 0})
    assert render_csv(frame, timezone="UTC") == f"{HEADER}\n,,,,,,,0.00\n".encode()


@pytest.mark.parametrize(
    ("cents", "text"),
    [
        (0, "0.00"),
        (5, "0.05"),
        (-5, "-0.05"),
        (100, "1.00"),
        (-1250, "-12.50"),
        (49999 + 1, "500.00"),
        (9_223_372_036_854_775_807, "92233720368547758.07"),
        (-9_223_372_036_854_775_808, "-92233720368547758.08"),
    ],
)
def test_money_is_exact_two_decimal_text(cents: int, text: str) -> None:
    series = pl.Series("c", [cents], dtype=pl.Int64)
    assert pl.select(money_text(pl.lit(series))).item() == text


@given(st.integers(min_value=-(2**63), max_value=2**63 - 1))
def test_money_matches_decimal(cents: int) -> None:
    series = pl.Series("c", [cents], dtype=pl.Int64)
    expected = f"{Decimal(cents) / 100:.2f}"
    assert pl.select(money_text(pl.lit(series))).item() == expected


OWASP_PAYLOADS = ['=HYPERLINK("http://x","y")', "+SUM(1)", "@x", "\t=1", "-2+3", "\r=1"]


@pytest.mark.parametrize("payload", OWASP_PAYLOADS)
def test_formula_payloads_are_neutralized_in_every_data_column(payload: str) -> None:
    row = {
        "customer_key": payload,
        "name": payload,
        "first_name": payload,
        "last_name": payload,
        "email": payload,
        "country": payload,
        "postal_code": payload,
        "spend_cents": -1,
    }
    parsed = cells(render_csv(members(row), timezone="UTC", with_id=True))[1]
    assert parsed == ["'" + payload] * 5 + ["", "'" + payload, "'" + payload, "-0.01"]


def test_exact_bytes_of_neutralized_cells() -> None:
    row = {
        "customer_key": "C",
        "name": '=HYPERLINK("http://x","y")',
        "first_name": "+SUM(1)",
        "last_name": "@x",
        "email": "a+b@x.com",
        "postal_code": "\t=1",
        "country": "-2+3",
        "spend_cents": -1250,
    }
    expected = (
        HEADER + "\n"
        '"\'=HYPERLINK(""http://x"",""y"")",\'+SUM(1),\'@x,a+b@x.com,,\'-2+3,\'\t=1,-12.50\n'
    )
    assert render_csv(members(row), timezone="UTC") == expected.encode()


@pytest.mark.parametrize(
    "value", ["a+b@x.com", "O'Brien", " =1", "1-2", "SW1A 1AA", "x=y", "Zoë", "名前", "12.50"]
)
def test_legitimate_values_are_unchanged(value: str) -> None:
    row = {"customer_key": "C", "name": value, "email": value, "postal_code": value}
    parsed = cells(render_csv(members({**row, "spend_cents": 0}), timezone="UTC"))[1]
    assert (parsed[0], parsed[3], parsed[6]) == (value, value, value)


TEXT = st.one_of(
    st.none(),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12),
    st.sampled_from([*OWASP_PAYLOADS, '"', ",", "\n", "\r\n", "a,b", 'say "hi"', ""]),
)


@settings(max_examples=150, deadline=None)
@given(first=TEXT, postal=TEXT, email=TEXT)
def test_every_cell_round_trips_through_a_csv_reader(
    first: str | None, postal: str | None, email: str | None
) -> None:
    row = {"customer_key": "K", "first_name": first, "postal_code": postal, "email": email}
    data = render_csv(members({**row, "spend_cents": 7}), timezone="UTC")
    parsed = cells(data)
    assert len(parsed) == 2
    for column, value in ((1, first), (6, postal), (3, email)):
        text = value or ""
        neutral = "'" + text if text.startswith(("=", "+", "-", "@", "\t", "\r")) else text
        assert parsed[1][column] == neutral
    assert not data.startswith(b"\xef\xbb\xbf")
    assert data.endswith(b"\n")


def test_bytes_do_not_depend_on_row_order() -> None:
    rows = [{**ALICE, "customer_key": f"K{n:03d}", "spend_cents": n * 37 - 500} for n in range(200)]
    rows.append({**BOB, "customer_key": None})
    frame = members(*rows)
    first = render_csv(frame, timezone="Europe/London")
    for seed in range(3):
        shuffled = frame.sample(fraction=1.0, shuffle=True, seed=seed)
        assert render_csv(shuffled, timezone="Europe/London") == first
    assert render_csv(frame.lazy(), timezone="Europe/London") == first
    assert cells(first)[-1][3] == "a+b@x.com"  # a null key sorts last


def test_duplicate_keys_are_ordered_by_content() -> None:
    one, two = {**ALICE, "name": "B"}, {**ALICE, "name": "A"}
    assert render_csv(members(one, two), timezone="UTC") == render_csv(
        members(two, one), timezone="UTC"
    )


@pytest.mark.parametrize("with_id", [False, True])
def test_a_subset_of_rendered_lines_is_the_export_of_that_subset(with_id: bool) -> None:
    """`segcli run` renders a members table once and filters the records per snapshot."""
    rows = [
        {**(ALICE if n % 2 else BOB), "customer_key": f"K{(n * 7919) % 101:03d}", "spend_cents": n}
        for n in range(60)
    ]
    frame = members(*rows).with_columns(
        (pl.col("spend_cents") % 3 == 0).alias("segment:a"),
        (pl.col("spend_cents") > 40).alias("segment:b"),
    )
    lines = render_lines(
        frame, timezone="Europe/London", with_id=with_id, keep=("segment:a", "segment:b")
    )
    for flag in ("segment:a", "segment:b"):
        subset = frame.filter(pl.col(flag)).drop("segment:a", "segment:b")
        expected = render_csv(subset, timezone="Europe/London", with_id=with_id)
        assert join_lines(lines.filter(pl.col(flag)), with_id=with_id) == expected


def test_missing_optional_columns_export_as_empty() -> None:
    frame = pl.DataFrame({"customer_key": ["K"], "email": ["e@x.com"], "spend_cents": [250]})
    assert render_csv(frame, timezone="UTC") == f"{HEADER}\n,,,e@x.com,,,,2.50\n".encode()


def test_missing_required_column_is_an_error() -> None:
    with pytest.raises(SegcliError, match="spend_cents"):
        render_csv(pl.DataFrame({"customer_key": ["K"], "email": ["e"]}), timezone="UTC")


def test_naive_datetimes_are_utc_and_dates_are_kept() -> None:
    naive_2am = datetime(2024, 1, 1, 2, tzinfo=UTC).replace(tzinfo=None)
    naive = members(ALICE).with_columns(pl.lit(naive_2am).alias("registered_at"))
    assert cells(render_csv(naive, timezone="America/New_York"))[1][4] == "2023-12-31"
    dated = members(ALICE).with_columns(pl.lit(date(2024, 1, 1)).alias("registered_at"))
    assert cells(render_csv(dated, timezone="America/New_York"))[1][4] == "2024-01-01"
