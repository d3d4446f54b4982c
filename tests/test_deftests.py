"""`segcli test`: the shipped tests pass, a one-cent or one-day change fails readably, bad test
files fail like bad definitions, and every shipped test's members agree with the reference."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import reference
import yaml
from commands import segcli

from segcli import api
from segcli.errors import DefinitionError, ExitCode
from segcli.spec.parse import definition_files

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
TEST_FILES = sorted((RULES / "tests").glob("*.yaml"))


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    """A copy of rules/ (definitions and their tests) to edit."""
    copy = tmp_path / "rules"
    shutil.copytree(RULES, copy)
    return copy


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} not once in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_the_shipped_tests_pass() -> None:
    result = segcli("test", "rules/")
    assert result.returncode == ExitCode.OK, result.stdout + result.stderr
    assert f"{len(TEST_FILES)} tests: {len(TEST_FILES)} passed" in result.stderr
    for path in TEST_FILES:
        assert f"passed  rules/tests/{path.name}" in result.stdout


def test_a_threshold_one_cent_higher_fails_naming_the_customer_and_the_value(
    rules_copy: Path,
) -> None:
    _edit(
        rules_copy / "vip.yaml", "total_spend: {more_than: 500}", "total_spend: {more_than: 500.01}"
    )
    result = segcli("test", str(rules_copy / "tests" / "vip.yaml"))
    assert result.returncode == ExitCode.SEGMENTS_FAILED
    # over500 spent 200.00 + 300.00 + 0.01 = 500.01 over 3 orders: no longer more than 500.01
    assert "over500@example.com: missing (expected, not a member)" in result.stdout
    assert "✓ order_count all time is more than 2  3" in result.stdout
    assert "✗ total_spend all time is more than 500.01  500.01" in result.stdout
    assert "extra" not in result.stdout
    assert "1 test: 0 passed, 1 failed → exit 1" in result.stderr


def test_a_threshold_one_cent_lower_fails_with_the_extra_members(rules_copy: Path) -> None:
    _edit(
        rules_copy / "vip.yaml", "total_spend: {more_than: 500}", "total_spend: {more_than: 499.99}"
    )
    result = segcli("test", str(rules_copy), "--json")
    assert result.returncode == ExitCode.SEGMENTS_FAILED
    report = json.loads(result.stdout)
    (vip,) = [t for t in report["tests"] if t["segment"] == "vip"]
    assert vip["status"] == "failed"
    assert vip["missing"] == []
    # exact500 (200 + 299.99 + 0.01) and refunded (700 - 200 refunded) both spent 500.00 net
    extra = {e["customer"]: e["rules"] for e in vip["extra"]}
    assert sorted(extra) == ["exact500@example.com", "refunded@example.com"]
    spend = extra["refunded@example.com"][2]
    assert spend == {
        "depth": 1,
        "held": True,
        "rule": "total_spend all time is more than 499.99",
        "value": "500.00",
    }
    others = [t["status"] for t in report["tests"] if t["segment"] != "vip"]
    assert others == ["passed"] * (len(TEST_FILES) - 1)


def test_a_period_one_day_longer_fails(rules_copy: Path) -> None:
    _edit(
        rules_copy / "lapsed_big_spenders.yaml",
        "days_since_last_order: {more_than: 180}",
        "days_since_last_order: {more_than: 181}",
    )
    result = segcli("test", str(rules_copy / "tests" / "lapsed_big_spenders.yaml"))
    assert result.returncode == ExitCode.SEGMENTS_FAILED
    assert "at.threshold@example.com: missing (expected, not a member)" in result.stdout
    assert "✓ total_spend all time is at least 1000  1000.00" in result.stdout
    assert "✗ days_since_last_order is more than 181  last_order_at: 2024-07-04" in result.stdout


def test_a_rolling_period_one_day_shorter_fails(rules_copy: Path) -> None:
    _edit(
        rules_copy / "one_time_buyers_90d.yaml",
        "period: last 90 days",
        "period: last 89 days",
    )
    result = segcli("test", str(rules_copy / "tests" / "one_time_buyers_90d.yaml"))
    assert result.returncode == ExitCode.SEGMENTS_FAILED
    # after.start's one order (2024-10-03 00:00:01) is 90 days back: outside 89 days
    assert "after.start@example.com: missing" in result.stdout
    assert "✗ order_count in the last 89 days is 1  0" in result.stdout


def test_an_expected_member_absent_from_the_data_is_named(tmp_path: Path) -> None:
    test = _test_file(
        tmp_path,
        "segment: vip\nas_of: 2025-01-01\norders: []\nmembers: [ghost@example.com]\n",
    )
    result = segcli("test", str(test))
    assert result.returncode == ExitCode.SEGMENTS_FAILED
    assert "ghost@example.com: missing (expected, not a member)" in result.stdout
    assert "not in the test's data" in result.stdout


def test_a_member_left_out_by_the_options_says_so(tmp_path: Path) -> None:
    text = (
        "segment: vip\nas_of: 2025-01-01\n"
        "orders:\n"
        "  - {order_id: A1, customer_id: C1, ordered_at: 2024-01-01, total: 300}\n"
        "  - {order_id: A2, customer_id: C1, ordered_at: 2024-02-01, total: 300}\n"
        "  - {order_id: A3, customer_id: C1, ordered_at: 2024-03-01, total: 300}\n"
        "members: [C1]\n"
    )
    result = segcli("test", str(_test_file(tmp_path, text)))
    assert result.returncode == ExitCode.SEGMENTS_FAILED
    assert "C1: missing" in result.stdout
    assert "the rules hold, but the segment's options leave the customer out" in result.stdout


def _test_file(tmp_path: Path, text: str) -> Path:
    """A test file in <tmp>/tests/ beside a copy of rules/vip.yaml."""
    shutil.copy(RULES / "vip.yaml", tmp_path / "vip.yaml")
    (tmp_path / "tests").mkdir()
    path = tmp_path / "tests" / "case.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_bad_test_file_fails_with_positions_and_exit_2(tmp_path: Path) -> None:
    text = (
        "segment: vipp\n"
        "as_of: 2025-13-01\n"
        "orders:\n"
        '  - {order_id: A1, emial: a@example.com, ordered_at: 2024-01-01, total: "12,50"}\n'
        "  - {order_id: A2, email: a@example.com, ordered_at: yesterday, total: 1}\n"
        "member: [a@example.com]\n"
    )
    test = _test_file(tmp_path, text)
    result = segcli("test", str(test))
    assert result.returncode == ExitCode.BAD_DEFINITION
    err = result.stderr
    assert f"{test}:1:10: error[unknown-segment] no definition 'vipp' for this test" in err
    assert "did you mean 'vip'?" in err
    assert f"{test}:2:8: error[wrong-type] as_of" in err
    assert f"{test}:4:20: error[unknown-column] orders: unknown column 'emial'" in err
    assert "did you mean 'email'?" in err
    assert f"{test}:4:73: error[wrong-type] orders.total: expected a number like 500.00" in err
    assert f"{test}:5:54: error[wrong-type] orders.ordered_at: expected a date" in err
    assert f"{test}:6:1: error[unknown-key] unknown key 'member'" in err
    assert "missing required key 'members'" in err
    assert result.stdout == ""


def test_a_test_the_data_cannot_answer_is_an_error_exit_2(tmp_path: Path) -> None:
    shutil.copy(RULES / "new_registrations_gb.yaml", tmp_path / "new_registrations_gb.yaml")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "gb.yaml").write_text(
        "segment: new_registrations_gb\nas_of: 2025-01-01\n"
        "orders: []\ncustomers: [{email: a@example.com, country: GB}]\nmembers: []\n",
        encoding="utf-8",
    )
    result = segcli("test", str(tmp_path))
    assert result.returncode == ExitCode.BAD_DEFINITION
    assert "error" in result.stdout
    assert "'registered' cannot be answered" in result.stdout


def test_no_test_files_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match="no test files"):
        api.run_definition_tests([tmp_path])


def test_the_tests_folder_is_not_a_definition_folder() -> None:
    """`segcli run rules/` and `segcli validate rules/` read rules/*.yaml only."""
    stems = {p.stem for p in definition_files(RULES)}
    assert stems == {p.stem for p in RULES.glob("*.yaml")}
    loaded = api.load_definitions([RULES])
    assert all(d.source is not None and d.source.parent == RULES for d in loaded)
    assert len(loaded) == len(list(RULES.glob("*.yaml")))


# ---- the shipped tests' expected members, by the independent reference evaluator ---------------


@pytest.mark.parametrize("path", TEST_FILES, ids=[p.stem for p in TEST_FILES])
def test_reference_agrees_with_the_expected_members(path: Path, tmp_path: Path) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    segment = RULES / f"{document['segment']}.yaml"
    definition = reference.load_definition(segment.read_text(encoding="utf-8"))
    files = {table: _write_csv(tmp_path, table, document.get(table)) for table in TABLES}
    assert files["orders"] is not None
    data = reference.read_dataset(
        files["orders"],
        files["lines"],
        files["customers"],
        files["reviews"],
    )
    expected = reference.member_keys(definition, data, str(document["as_of"]))
    assert expected == sorted(str(m) for m in document["members"])


TABLES = ("orders", "lines", "customers", "reviews")


def _write_csv(folder: Path, table: str, rows: list[dict[str, Any]] | None) -> Path | None:
    if rows is None:
        return None
    columns = list(dict.fromkeys(column for row in rows for column in row))
    path = folder / f"{table}.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, columns)
        writer.writeheader()
        writer.writerows({k: _cell(v) for k, v in row.items()} for row in rows)
    return path


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)
