"""`segcli history`: a segment's members at a series of dates, and who entered and left.

The members at each date must be exactly those `segcli build --as-of DATE` exports: checked by
hand on a small shop, against separate builds on sample_data/ and the Shopify exports, and against
tests/reference.py on random shops."""

from __future__ import annotations

import dataclasses
import functools
import json
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
import reference
from commands import segcli
from hypothesis import given, settings
from random_shops import (
    DIFFERENTIAL,
    SEEDS,
    Example,
    field_example,
    in_scope,
    random_example,
    write_files,
)

from segcli import api
from segcli.backends import Inputs
from segcli.backends.polars import history as engine_history
from segcli.errors import ExitCode, UsageError
from segcli.history import MAX_POINTS, History, history_dates
from segcli.inputs.settings import Settings
from segcli.spec.model import Definition
from segcli.spec.parse import load_with_dependencies

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
RULES = ROOT / "rules"
SHARED = ROOT.parent / "shared" / "data"
SHOPIFY_ORDERS = SHARED / "shopify_enavant_orders_export_1.pseudonymized.csv"
SHOPIFY_CUSTOMERS = SHARED / "shopify_enavant_customers_export_1.pseudonymized.csv"


def as_built(
    definition: Definition, tables: Inputs, days: Sequence[date], library: Sequence[Definition]
) -> list[tuple[int, int | None, int | None]]:
    """(members, entered, left) at each date from one build per date."""
    series: list[tuple[int, int | None, int | None]] = []
    before: set[str] | None = None
    for day in days:
        now = set(api.member_keys(definition, tables, day, library=library))
        if before is None:
            series.append((len(now), None, None))
        else:
            series.append((len(now), len(now - before), len(before - now)))
        before = now
    return series


def as_history(history: History) -> list[tuple[int, int | None, int | None]]:
    return [(p.members, p.entered, p.left) for p in history.points]


# ---- the dates ------------------------------------------------------------------------------


def test_monthly_dates_keep_the_day_of_the_month_clamped_to_short_months() -> None:
    assert history_dates(date(2024, 1, 31), date(2024, 5, 31), "month") == [
        date(2024, 1, 31),
        date(2024, 2, 29),
        date(2024, 3, 31),
        date(2024, 4, 30),
        date(2024, 5, 31),
    ]


def test_the_last_date_is_included_only_when_a_step_lands_on_it() -> None:
    assert history_dates(date(2024, 1, 15), date(2024, 3, 14), "month") == [
        date(2024, 1, 15),
        date(2024, 2, 15),
    ]
    assert history_dates(date(2024, 1, 1), date(2024, 1, 20), "week") == [
        date(2024, 1, 1),
        date(2024, 1, 8),
        date(2024, 1, 15),
    ]
    assert history_dates(date(2024, 2, 27), date(2024, 3, 1), "day") == [
        date(2024, 2, 27),
        date(2024, 2, 28),
        date(2024, 2, 29),
        date(2024, 3, 1),
    ]
    assert history_dates(date(2024, 5, 5), date(2024, 5, 5), "month") == [date(2024, 5, 5)]


def test_bad_ranges_are_refused_with_what_to_do() -> None:
    with pytest.raises(UsageError, match=r"--from 2024-12-01 is after --to 2024-01-01"):
        history_dates(date(2024, 12, 1), date(2024, 1, 1), "month")
    with pytest.raises(UsageError, match=r"'fortnight' is not one of day, week, month"):
        history_dates(date(2024, 1, 1), date(2024, 2, 1), "fortnight")
    days = MAX_POINTS + 1
    end = date(2020, 1, 1) + timedelta(days=days - 1)
    with pytest.raises(UsageError, match=rf"^{days} dates from 2020-01-01 .*--every week"):
        history_dates(date(2020, 1, 1), end, "day")
    assert len(history_dates(date(2020, 1, 1), end - timedelta(days=1), "day")) == MAX_POINTS


# ---- a small shop, worked out by hand -------------------------------------------------------

HAND_ORDERS = """order_id,email,ordered_at,total
A1,a@example.com,2024-01-10T12:00:00,10.00
A2,a@example.com,2024-02-05T12:00:00,10.00
B1,b@example.com,2024-01-05T12:00:00,10.00
B2,b@example.com,2024-01-20T12:00:00,10.00
F1,f@example.com,2024-01-25T12:00:00,10.00
F2,f@example.com,2024-02-20T12:00:00,10.00
C1,c@example.com,2024-03-15T12:00:00,10.00
C2,c@example.com,2024-03-31T23:59:59,10.00
E1,e@example.com,2024-04-02T00:00:00,10.00
E2,e@example.com,2024-04-03T00:00:00,10.00
"""
HAND_CUSTOMERS = """email,first_name
a@example.com,A
d@example.com,D
"""
HAND_RULE = """name: Active repeat buyers
rules:
  all:
    - order_count: {at_least: 2}
    - days_since_last_order: {at_most: 30}
"""
# 2024-02-01: b (2 orders, last 12 days ago); a and f have one order each.
# 2024-03-01: a (last 2024-02-05: 25 days) and f (last 2024-02-20: 10 days) enter; b (41 days)
#             leaves.
# 2024-04-01: c (last 2024-03-31: 1 day) enters; a (56 days) and f (41 days) leave. e orders only
#             after the last date, d never.
HAND_CSV = """date,as_of,members,entered,left
2024-02-01,2024-02-01T00:00:00+00:00,1,,
2024-03-01,2024-03-01T00:00:00+00:00,2,2,1
2024-04-01,2024-04-01T00:00:00+00:00,1,1,2
"""


@pytest.fixture
def hand_shop(tmp_path: Path) -> Path:
    (tmp_path / "orders.csv").write_text(HAND_ORDERS, encoding="utf-8")
    (tmp_path / "customers.csv").write_text(HAND_CUSTOMERS, encoding="utf-8")
    (tmp_path / "active.yaml").write_text(HAND_RULE, encoding="utf-8")
    return tmp_path


def hand_args(folder: Path, *more: str) -> list[str]:
    return [
        "history",
        str(folder / "active.yaml"),
        str(folder / "orders.csv"),
        *("--customers", str(folder / "customers.csv")),
        *("--from", "2024-02-01", "--to", "2024-04-01"),
        *more,
    ]


def test_csv_on_stdout_is_the_series_worked_out_by_hand(hand_shop: Path) -> None:
    result = segcli(*hand_args(hand_shop, "--csv"))
    assert result.returncode == 0, result.stderr
    assert result.stdout == HAND_CSV
    assert "2024-03-01" in result.stderr  # the table goes to people when stdout carries data


def test_json_to_a_file_and_the_table_on_stdout(hand_shop: Path) -> None:
    out = hand_shop / "series.json"
    result = segcli(*hand_args(hand_shop, "--json", "-o", str(out)))
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["segment"] == "active"
    assert data["every"] == "month"
    assert [(p["date"], p["members"], p["entered"], p["left"]) for p in data["points"]] == [
        ("2024-02-01", 1, None, None),
        ("2024-03-01", 2, 2, 1),
        ("2024-04-01", 1, 1, 2),
    ]
    rows = [line.split() for line in result.stdout.splitlines()[2:]]
    assert rows == [
        ["2024-02-01", "1"],
        ["2024-03-01", "2", "+2", "-1"],
        ["2024-04-01", "1", "+1", "-2"],
    ]


def test_every_date_of_the_hand_shop_is_what_build_exports(hand_shop: Path) -> None:
    for day, expected in (("2024-02-01", 1), ("2024-03-01", 2), ("2024-04-01", 1)):
        args = ["build", str(hand_shop / "active.yaml"), str(hand_shop / "orders.csv")]
        result = segcli(
            *args, "--customers", str(hand_shop / "customers.csv"), "--as-of", day, "-o", "-"
        )
        assert result.returncode == 0, result.stderr
        assert len(result.stdout.splitlines()) == 1 + expected


def test_bad_usage_is_one_line_and_exit_2(hand_shop: Path) -> None:
    args = hand_args(hand_shop)
    args[args.index("2024-02-01")] = "2024-05-01"
    result = segcli(*args)
    assert result.returncode == ExitCode.BAD_DEFINITION
    assert result.stderr.strip().splitlines() == [
        "error: --from 2024-05-01 is after --to 2024-04-01"
    ]
    assert result.stdout == ""
    both = segcli(*hand_args(hand_shop, "--csv", "--json"))
    assert both.returncode == ExitCode.BAD_DEFINITION
    assert both.stderr.strip() == "error: --json or --csv, not both"


def test_png_is_drawn_and_needs_matplotlib(hand_shop: Path) -> None:
    picture = hand_shop / "history.png"
    result = segcli(*hand_args(hand_shop, "--png", str(picture)))
    assert result.returncode == 0, result.stderr
    assert picture.read_bytes().startswith(b"\x89PNG")
    missing = hand_shop / "missing.png"
    code = (
        "import sys; sys.modules['matplotlib'] = None; "
        "sys.argv = ['segcli', *sys.argv[1:]]; from segcli.cli import main; main()"
    )
    args = hand_args(hand_shop, "--png", str(missing))
    result = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=False, cwd=ROOT
    )
    assert result.returncode == ExitCode.BAD_DEFINITION
    assert result.stderr.strip() == "error: --png/--svg need matplotlib: pip install 'segcli[plot]'"
    assert not missing.exists()


def test_rfm_scores_are_refused_with_the_rule_position(hand_shop: Path) -> None:
    rule = hand_shop / "champions.yaml"
    rule.write_text("name: Champions\nrules:\n  recency_score: {at_least: 4}\n", encoding="utf-8")
    args = hand_args(hand_shop)
    args[1] = str(rule)
    result = segcli(*args)
    assert result.returncode == ExitCode.BAD_DEFINITION
    message = result.stderr.strip()
    assert message.startswith(f"error: {rule}:3:")
    assert "history does not compute RFM scores (recency_score)" in message


def test_rfm_groups_are_refused_where_the_definition_names_them(hand_shop: Path) -> None:
    rule = hand_shop / "champions.yaml"
    rule.write_text(
        "name: Champions\nrules:\n  all:\n    - order_count: {at_least: 1}\n"
        "    - rfm_group: champions\n",
        encoding="utf-8",
    )
    args = hand_args(hand_shop)
    args[1] = str(rule)
    result = segcli(*args)
    assert result.returncode == ExitCode.BAD_DEFINITION
    assert result.stderr.strip() == (
        f"error: {rule}:5:7: history does not compute RFM scores (rfm_group) at each date; "
        "build the dates one by one (segcli build --as-of DATE)"
    )


def test_the_workflow_doc_shows_what_history_prints() -> None:
    text = (ROOT / "docs" / "workflow.md").read_text(encoding="utf-8")
    body = text.split("\n## `segcli history", 1)[1].split("\n## ", 1)[0]
    example = body.split("\n$ segcli history ", 1)[1].split("\n```", 1)[0]
    command, *shown = example.splitlines()
    result = segcli("history", *command.split())
    assert result.returncode == 0, result.stderr
    assert [line.rstrip() for line in result.stdout.splitlines()] == shown
    as_csv = segcli("history", *command.split(), "--csv")
    csv_block = body.split("  ```\n  date,as_of", 1)[1].split("\n  ```", 1)[0]
    shown_csv = "date,as_of" + csv_block.replace("\n  ", "\n") + "\n"
    assert as_csv.stdout == shown_csv


def test_many_chunks_give_the_series_of_one(
    hand_shop: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    definition, library = load_with_dependencies(hand_shop / "active.yaml")
    tables = api.open_tables(hand_shop / "orders.csv", customers=hand_shop / "customers.csv")
    weekly = functools.partial(
        api.membership_history, start="2024-01-01", end="2024-04-30", every="week", library=library
    )
    whole = weekly(definition, tables)
    monkeypatch.setattr(engine_history, "MAX_COLUMNS", 1)  # one date per query
    seen: list[tuple[int, int]] = []
    parts = weekly(definition, tables, progress=lambda d, t: seen.append((d, t)))
    assert parts == whole
    assert seen == [(i, 18) for i in range(1, 19)]
    days = [p.day for p in whole.points]
    assert as_history(whole) == as_built(definition, tables, days, library)


def test_passes_over_the_customers_give_the_series_of_one(hand_shop: Path) -> None:
    definition, library = load_with_dependencies(hand_shop / "active.yaml")
    weekly = functools.partial(
        api.membership_history, start="2024-01-01", end="2024-04-30", every="week", library=library
    )
    series = []
    for passes in (1, 3):
        tables = api.open_tables(
            hand_shop / "orders.csv",
            customers=hand_shop / "customers.csv",
            settings=Settings(passes=passes),
        )
        series.append(weekly(definition, tables))
    assert series[0] == series[1]
    assert sum(p.entered or 0 for p in series[0].points) == 5  # b, a, f, c, then e (April)


# ---- against separate builds ------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_tables() -> Inputs:
    return api.open_tables(
        SAMPLE / "orders.csv",
        lines=SAMPLE / "order_lines.csv",
        customers=SAMPLE / "customers.csv",
        reviews=SAMPLE / "reviews.csv",
        products=SAMPLE / "products.csv",
    )


@pytest.mark.parametrize("rule", sorted(RULES.glob("*.yaml")), ids=lambda p: p.stem)
def test_sample_data_history_equals_a_build_per_date(rule: Path, sample_tables: Inputs) -> None:
    definition, library = load_with_dependencies(rule)
    history = api.membership_history(
        definition,
        sample_tables,
        start="2023-11-30",
        end="2025-03-01",
        every="month",
        library=library,
    )
    days = [p.day for p in history.points]
    assert days[:4] == [
        date(2023, 11, 30),
        date(2023, 12, 30),
        date(2024, 1, 30),
        date(2024, 2, 29),
    ]
    assert as_history(history) == as_built(definition, sample_tables, days, library)


def test_a_retention_grid_group_history_equals_a_build_per_date(
    sample_tables: Inputs, tmp_path: Path
) -> None:
    rule = tmp_path / "red_alert.yaml"
    rule.write_text(
        "name: Red alert\nrules:\n  grid: {name: retention, group: red_alert}\n", encoding="utf-8"
    )
    definition, library = load_with_dependencies(rule)
    history = api.membership_history(
        definition, sample_tables, start="2024-01-01", end="2025-01-01", library=library
    )
    days = [p.day for p in history.points]
    series = as_history(history)
    assert series == as_built(definition, sample_tables, days, library)
    assert any(left for _, _, left in series)


SHOPIFY_RULES = {
    "repeat_recent": "rules:\n  all:\n    - order_count: {at_least: 2}\n"
    "    - days_since_last_order: {at_most: 120}\n",
    "spend_6m": "rules:\n  total_spend: {more_than: 150, period: last 6 months}\n",
    "first_2021": "rules:\n  first_order_date: {between: [2021-01-01, 2021-12-31]}\n",
    "coded": "rules:\n  has_order:\n    where: {discount_code: {starts_with: env}}\n"
    "    period: last 1 year\n",
    "never_again": "rules:\n  all:\n    - order_count: {exactly: 1}\n"
    "    - not: {has_order: {period: last 90 days}}\n",
}


@pytest.mark.parametrize("timezone", ["UTC", "America/New_York"])
@pytest.mark.parametrize("every", ["month", "week"])
@pytest.mark.parametrize("name", sorted(SHOPIFY_RULES))
def test_shopify_history_equals_a_build_per_date(
    name: str, every: str, timezone: str, tmp_path: Path
) -> None:
    path = tmp_path / f"{name}.yaml"
    path.write_text(f"name: {name}\n{SHOPIFY_RULES[name]}", encoding="utf-8")
    definition, library = load_with_dependencies(path)
    tables = api.open_tables(
        SHOPIFY_ORDERS, customers=SHOPIFY_CUSTOMERS, settings=Settings(timezone=timezone)
    )
    start, end = ("2019-06-01", "2022-02-01") if every == "month" else ("2021-09-06", "2022-01-17")
    history = api.membership_history(
        definition, tables, start=start, end=end, every=every, library=library
    )
    days = [p.day for p in history.points]
    series = as_history(history)
    assert series == as_built(definition, tables, days, library)
    assert any(entered for _, entered, _ in series)  # the rule says something about this data


# ---- against the reference evaluator on random shops ----------------------------------------


def reference_series(
    example: Example, paths: dict[str, Path], days: Sequence[date]
) -> list[set[str] | None]:
    """The reference's members at each date, None where the shop leaves the answer open (a
    customer seen only in orders after that date: see random_shops.in_scope)."""
    data = reference.read_dataset(
        paths["orders"], paths["order_lines"], paths["customers"], paths["reviews"]
    )
    definition = reference.load_definition(paths["gen"].read_text(encoding="utf-8"))
    found: list[set[str] | None] = []
    for day in days:
        instant = datetime.combine(day, time(0), tzinfo=UTC)
        if not in_scope(dataclasses.replace(example.shop, as_of_instant=instant)):
            found.append(None)
            continue
        found.append(set(reference.member_keys(definition, data, day, {}, paths["gen"].parent)))
    return found


def check_random_shop(example: Example, start: date, end: date, every: str) -> None:
    """History over the example's shop: each date as a build gives it and, where the shop
    answers it, as the reference evaluator does; entered and left likewise."""
    with tempfile.TemporaryDirectory() as folder:
        paths = write_files(Path(folder), example)
        definition = api.parse_definition(
            paths["gen"].read_text(encoding="utf-8"),
            source=str(paths["gen"]),
            segment_id="gen",
            base_dir=paths["gen"].parent,
        )
        tables = api.open_tables(
            paths["orders"],
            lines=paths["order_lines"],
            customers=paths["customers"],
            reviews=paths["reviews"],
        )
        history = api.membership_history(definition, tables, start=start, end=end, every=every)
        days = [p.day for p in history.points]
        expected = reference_series(example, paths, days)
        series = as_history(history)
        assert series == as_built(definition, tables, days, [])
    for i, members in enumerate(expected):
        if members is None:
            continue
        assert series[i][0] == len(members), days[i]
        if i > 0 and (before := expected[i - 1]) is not None:
            assert series[i][1:] == (len(members - before), len(before - members)), days[i]


def check_seed(make: Callable[[int], Example], seed: int) -> None:
    """Every day around the shop's as-of (where its instants cluster), then every month of the
    two years before it."""
    example = make(seed)
    middle = example.shop.as_of_instant.date()
    check_random_shop(example, middle - timedelta(days=4), middle + timedelta(days=3), "day")
    check_random_shop(example, middle - timedelta(days=730), middle + timedelta(days=31), "month")


@settings(DIFFERENTIAL, max_examples=max(1, DIFFERENTIAL.max_examples // 20))
@given(seed=SEEDS)
def test_random_rules_history_equals_the_reference_and_builds(seed: int) -> None:
    check_seed(random_example, seed)


@settings(DIFFERENTIAL, max_examples=max(1, DIFFERENTIAL.max_examples // 20))
@given(seed=SEEDS)
def test_each_field_history_equals_the_reference_and_builds(seed: int) -> None:
    check_seed(field_example, seed)
