"""`segcli validate --orders`: definitions checked against the data (values worked out from
sample_data/ by reading its CSV files here, not by segcli)."""

from __future__ import annotations

import csv
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from segcli.errors import ExitCode

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "sample_data"
AS_OF = "2025-01-01"


def validate(*args: str) -> subprocess.CompletedProcess[str]:
    data = ["--orders", str(DATA / "orders.csv"), "--lines", str(DATA / "order_lines.csv")]
    data += ["--customers", str(DATA / "customers.csv"), "--reviews", str(DATA / "reviews.csv")]
    return subprocess.run(
        [sys.executable, "-m", "segcli", "validate", *args, *data, "--as-of", AS_OF],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )


def _column(name: str, table: str = "order_lines") -> set[str]:
    with (DATA / f"{table}.csv").open(encoding="utf-8") as handle:
        return {row[name] for row in csv.DictReader(handle)}


def test_values_that_never_occur_are_errors_with_the_closest_ones(tmp_path: Path) -> None:
    assert "Brandwell" in _column("brand")
    assert "Brandwel" not in _column("brand")
    assert "UK" not in _column("country", "customers")
    definition = tmp_path / "typo.yaml"
    definition.write_text(
        "name: Typo\n"
        "rules:\n"
        "  all:\n"
        "    - purchased: {brand: Brandwel}\n"
        "    - country: [GB, UK]\n"
        "    - purchased: {product: {contains: sockz}}\n",
        encoding="utf-8",
    )
    result = validate(str(definition))
    assert result.returncode == ExitCode.BAD_DEFINITION
    err = result.stderr
    assert f"{definition}:4:7: error[unknown-value] brand: no value in the order lines" in err
    assert "did you mean 'Brandwell'?" in err
    assert (
        f"{definition}:5:7: error[unknown-value] country: no value in the customers is 'uk'" in err
    )
    assert "contains 'sockz'" in err
    assert "against the data: 3 error(s), 1 warning(s)" in err
    assert "warning[holds-for-nobody] typo" in err


def test_case_and_outer_spaces_do_not_make_a_value_unknown(tmp_path: Path) -> None:
    definition = tmp_path / "spaced.yaml"
    definition.write_text(
        'name: Spaced\nrules:\n  purchased: {brand: " BRANDWELL ", tag: SALE}\n', encoding="utf-8"
    )
    result = validate(str(definition))
    assert result.returncode == ExitCode.OK, result.stderr
    assert "unknown-value" not in result.stderr


def test_the_rules_folder_is_clean_but_for_a_period_before_the_data() -> None:
    with (DATA / "orders.csv").open(encoding="utf-8") as handle:
        times = [_utc(row["ordered_at"]) for row in csv.DictReader(handle)]
    first = min(times)
    # spend_36_months: last 3 years from 2025-01-01 starts 2022-01-01 00:00 UTC, before the
    # first order; every other period starts 2023 or later (or is all time / before a date).
    assert datetime(2022, 1, 1, tzinfo=UTC) < first < datetime(2023, 1, 1, tzinfo=UTC)
    result = validate("rules/")
    assert result.returncode == ExitCode.OK, result.stderr
    findings = [
        line for line in result.stderr.splitlines() if "warning[" in line or "error[" in line
    ]
    expected = (
        "rules/spend_36_months.yaml:6:3: warning[period-before-data] the period starts "
        f"2022-01-01T00:00:00+00:00, before the first order in the data ({first.isoformat()}): "
        "the data may not cover all of it"
    )
    assert findings == [expected]


def _utc(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace(" +", "+").replace(" -", "-"))
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def test_a_segment_that_holds_for_everyone_is_a_warning(tmp_path: Path) -> None:
    definition = tmp_path / "everyone.yaml"
    definition.write_text(
        "name: Everyone\nrules:\n  order_count: {at_least: 0}\n", encoding="utf-8"
    )
    result = validate(str(definition))
    assert result.returncode == ExitCode.OK
    assert f"{definition}:3:3: warning[holds-for-everyone] everyone" in result.stderr
