"""`segcli grid` as a user runs it: the sample data's grids against a golden JSON and against the
plain-Python reference (tests/reference.py), --compare, --csv, --list and the errors."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import reference
from commands import segcli

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
GOLDEN = Path(__file__).resolve().parent / "grid"
AS_OF = "2025-01-01"
DATA = [str(SAMPLE / "orders.csv"), "--customers", str(SAMPLE / "customers.csv")]


def reference_grid(grid: str, as_of: str) -> tuple[Counter[str], Counter[tuple[Any, Any, str]]]:
    """Customers per group and per (x bin, y bin, group), by the reference evaluator: every
    customer of the universe, its figures computed in plain Python."""
    data = reference.read_dataset(SAMPLE / "orders.csv", customers=SAMPLE / "customers.csv")
    ctx = reference.Context(data, reference.resolve_as_of(as_of, data.tz), {}, {}, None)
    people = reference.build_universe(ctx)
    ctx = replace(ctx, scores=reference.rfm_scores(people, ctx))
    groups: Counter[str] = Counter()
    cells: Counter[tuple[Any, Any, str]] = Counter()
    for person in people.values():
        if grid == "rfm":
            group: str | None = reference.rfm_group(person, ctx)
            mine = ctx.scores.get(person.key, {})
            x, y = mine.get("recency_score"), mine.get("fm_score")
            x_label, y_label = (str(x) if x else None), (str(y) if y else None)
        else:
            group = reference.retention_group(person, ctx)
            x_label, y_label = _retention_cell(person, ctx)
        groups[group or "no_group"] += 1
        cells[x_label, y_label, group or "no_group"] += 1
    return groups, cells


def _retention_cell(person: reference.Person, ctx: reference.Context) -> tuple[Any, Any]:
    if not person.orders:
        return None, None
    tz = ctx.data.tz
    last = max(o.at for o in person.orders).astimezone(tz).date()
    days = (ctx.as_of.astimezone(tz).date() - last).days
    x_bins = [(0, "0–30"), (31, "31–60"), (61, "61–90"), (91, "91–180"), (181, "181–365")]
    x = next((label for low, label in reversed([*x_bins, (366, "366+")]) if days >= low), None)
    count = len(person.orders)
    y_bins = [(1, "1"), (2, "2"), (3, "3"), (4, "4"), (5, "5–9"), (10, "10+")]
    y = next(label for low, label in reversed(y_bins) if count >= low)
    return x, y


def _json_counts(report: dict[str, Any]) -> tuple[Counter[str], Counter[tuple[Any, Any, str]]]:
    groups = Counter({g["id"]: g["customers"] for g in report["groups"] if g["customers"]})
    cells: Counter[tuple[Any, Any, str]] = Counter()
    for cell in report["cells"]:
        for group, n in cell["groups"].items():
            cells[cell["x_label"], cell["y_label"], group] += n
    return groups, cells


@pytest.mark.parametrize("grid", ["retention", "rfm"])
def test_the_sample_grid_matches_the_golden_json_and_the_reference(grid: str) -> None:
    result = segcli("grid", *DATA, "--grid", grid, "--as-of", AS_OF, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    golden = json.loads((GOLDEN / f"sample_{grid}_{AS_OF}.json").read_text(encoding="utf-8"))
    assert report == golden
    assert _json_counts(golden) == reference_grid(grid, AS_OF)


def test_compare_gives_each_groups_change_and_warns_on_drops() -> None:
    before = "2024-06-01"
    result = segcli("grid", *DATA, "--as-of", AS_OF, "--compare", before, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    now, _ = reference_grid("retention", AS_OF)
    then, _ = reference_grid("retention", before)
    names = {}
    for group in report["groups"]:
        assert (group["customers"], group["before"]) == (now[group["id"]], then[group["id"]])
        assert group["change"] == now[group["id"]] - then[group["id"]]
        names[group["id"]] = group["name"]
    dropped = [g for g in now if g != "no_group" and then[g] and (then[g] - now[g]) * 5 > then[g]]
    warned = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warned) == len(dropped)
    assert all(any(names[g] in line for line in warned) for g in dropped)


def test_compare_accepts_days_and_a_settable_alert() -> None:
    result = segcli("grid", *DATA, "--as-of", AS_OF, "--compare", "30d", "--alert", "0")
    assert result.returncode == 0, result.stderr
    assert "before" in result.stderr
    assert result.stdout == ""  # the grid is for people: stderr


def test_csv_lists_each_cell_and_group() -> None:
    result = segcli("grid", *DATA, "--as-of", AS_OF, "--csv")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == ["days_since_last_order", "order_count", "group", "customers", "share"]
    _, cells = reference_grid("retention", AS_OF)
    found = Counter(
        {
            (r["days_since_last_order"] or None, r["order_count"] or None, r["group"]): int(
                r["customers"]
            )
            for r in rows
        }
    )
    assert found == cells


def test_list_shows_the_built_in_grids() -> None:
    result = segcli("grid", "--list")
    assert result.returncode == 0
    assert "retention" in result.stderr
    assert "previously_loyal" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--grid", "retension"], "did you mean 'retention'?"),
        (["--json", "--csv"], "--json or --csv, not both"),
        (["--compare", "soon"], "--compare: expected like 30d"),
    ],
)
def test_bad_usage_is_one_line_and_exit_2(args: list[str], message: str) -> None:
    result = segcli("grid", *DATA, "--as-of", AS_OF, *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_run_publishes_a_grid_group_combined_with_a_purchase_rule(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    purchase = {"purchased": {"brand": "Willow Lane"}}
    rule = {"all": [{"grid": {"name": "retention", "group": "red_alert"}}, purchase]}
    text = json.dumps({"name": "Red alert buyers", "rules": rule})
    (rules / "red_alert.yaml").write_text(text, encoding="utf-8")
    (rules / "champions.yaml").write_text(
        json.dumps({"name": "Champions", "rules": {"rfm_group": "champions"}}), encoding="utf-8"
    )
    out = tmp_path / "snapshots"
    lines = str(SAMPLE / "order_lines.csv")
    result = segcli(
        "run", str(rules), "--orders", DATA[0], *DATA[1:], "--lines", lines,
        "--out", str(out), "--as-of", AS_OF,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = reference.read_dataset(
        SAMPLE / "orders.csv", SAMPLE / "order_lines.csv", SAMPLE / "customers.csv"
    )
    for stem in ("red_alert", "champions"):
        definition = reference.load_definition((rules / f"{stem}.yaml").read_text())
        expected = reference.member_keys(definition, data, AS_OF)
        snapshot = (out / stem / f"{AS_OF}.csv").read_text(encoding="utf-8")
        emails = {row["Email Address"] for row in csv.DictReader(io.StringIO(snapshot))}
        people = reference.build_universe(
            reference.Context(data, reference.resolve_as_of(AS_OF, data.tz), {}, {}, None)
        )
        assert emails == {people[key].email for key in expected}
        assert len(expected) > 0


def test_why_shows_the_customers_group_cell_and_scores(tmp_path: Path) -> None:
    definition = tmp_path / "champions.yaml"
    definition.write_text("name: C\nrules: {rfm_group: champions}\n", encoding="utf-8")
    data = reference.read_dataset(SAMPLE / "orders.csv", customers=SAMPLE / "customers.csv")
    ctx = reference.Context(data, reference.resolve_as_of(AS_OF, data.tz), {}, {}, None)
    people = reference.build_universe(ctx)
    ctx = replace(ctx, scores=reference.rfm_scores(people, ctx))
    key = min(k for k, p in people.items() if reference.rfm_group(p, ctx) == "champions")
    result = segcli("why", str(definition), key, *DATA, "--as-of", AS_OF)
    assert result.returncode == 0, result.stderr
    text = " ".join((result.stdout + result.stderr).split())
    assert "the customer is a member" in text
    scores = ctx.scores[key]
    assert "group: champions" in text
    assert f"recency_score: {scores['recency_score']} ({scores['recency_score']})" in text
    assert " ".join(f"{name}={value}" for name, value in scores.items()) in text
