"""`priority: N` and `segcli run --exclusive`: each customer only in the highest-priority segment
that holds. Expected members: the reference evaluator's, then set differences worked here."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
import reference
from commands import segcli

from segcli import api
from segcli.errors import DefinitionError, ExitCode
from segcli.spec.schema import json_schema

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "sample_data"
AS_OF = "2025-01-01"
# segment → priority (None: takes no part); vip, spend_12_months and lapsed_big_spenders overlap
PRIORITIES: dict[str, int | None] = {
    "vip": 30,
    "spend_12_months": 20,
    "lapsed_big_spenders": 10,
    "loyal": None,
}


def _rules(folder: Path, priorities: dict[str, int | None]) -> Path:
    folder.mkdir()
    for name, priority in priorities.items():
        text = (ROOT / "rules" / f"{name}.yaml").read_text(encoding="utf-8")
        prefix = "" if priority is None else f"priority: {priority}\n"
        (folder / f"{name}.yaml").write_text(prefix + text, encoding="utf-8")
    return folder


def _reference_members() -> dict[str, set[str]]:
    data = reference.read_dataset(DATA / "orders.csv", customers=DATA / "customers.csv")
    members = {}
    for name in PRIORITIES:
        text = (ROOT / "rules" / f"{name}.yaml").read_text(encoding="utf-8")
        members[name] = set(reference.member_keys(reference.load_definition(text), data, AS_OF))
    return members


def _snapshot_keys(out: Path, segment: str) -> set[str]:
    with (out / segment / f"{AS_OF}.csv").open(encoding="utf-8") as handle:
        return {row["Customer ID"] for row in csv.DictReader(handle)}


def test_each_customer_goes_to_the_highest_priority_segment_that_holds(tmp_path: Path) -> None:
    rules = _rules(tmp_path / "rules", PRIORITIES)
    out, report = tmp_path / "out", tmp_path / "report.json"
    result = segcli(
        *("run", str(rules), "--orders", str(DATA / "orders.csv")),
        *("--customers", str(DATA / "customers.csv"), "--as-of", AS_OF),
        *("--out", str(out), "--with-id", "--exclusive", "--report", str(report)),
    )
    assert result.returncode == ExitCode.OK, result.stderr
    held = _reference_members()
    vip, spend, lapsed = held["vip"], held["spend_12_months"], held["lapsed_big_spenders"]
    assert vip & spend  # the assignment has work to do
    assert (vip | spend) & lapsed
    expected = {
        "vip": vip,
        "spend_12_months": spend - vip,
        "lapsed_big_spenders": lapsed - vip - spend,
        "loyal": held["loyal"],  # no priority: keeps every member
    }
    for segment, keys in expected.items():
        assert _snapshot_keys(out, segment) == keys, segment
    moved = {
        "vip": 0,
        "spend_12_months": len(spend & vip),
        "lapsed_big_spenders": len(lapsed & (vip | spend)),
        "loyal": 0,
    }
    outcomes = {s["segment"]: s for s in json.loads(report.read_text())["segments"]}
    assert {name: o["moved_out"] for name, o in outcomes.items()} == moved
    assert {name: o["members"] for name, o in outcomes.items()} == {
        name: len(keys) for name, keys in expected.items()
    }
    manifest = json.loads((out / "spend_12_months" / f"{AS_OF}.csv.manifest.json").read_text())
    assert manifest["exclusive"] == {"priority": 20, "moved_out": len(spend & vip)}
    loyal = json.loads((out / "loyal" / f"{AS_OF}.csv.manifest.json").read_text())
    assert loyal["exclusive"] == {"priority": None, "moved_out": 0}
    assert f"({len(spend & vip)} moved to higher-priority segments)" in result.stderr
    assert segcli("verify", str(out)).returncode == ExitCode.OK


def test_without_exclusive_priority_changes_nothing(tmp_path: Path) -> None:
    rules = _rules(tmp_path / "rules", {"vip": 1, "spend_12_months": 1})
    out = tmp_path / "out"
    result = segcli(
        *("run", str(rules), "--orders", str(DATA / "orders.csv")),
        *("--customers", str(DATA / "customers.csv"), "--as-of", AS_OF),
        *("--out", str(out), "--with-id"),
    )
    assert result.returncode == ExitCode.OK, result.stderr
    held = _reference_members()
    assert _snapshot_keys(out, "spend_12_months") == held["spend_12_months"]
    manifest = json.loads((out / "vip" / f"{AS_OF}.csv.manifest.json").read_text())
    assert "exclusive" not in manifest


def test_a_priority_tie_is_an_error_before_any_data_is_read(tmp_path: Path) -> None:
    rules = _rules(tmp_path / "rules", {"vip": 5, "spend_12_months": 5, "loyal": None})
    out = tmp_path / "out"
    result = segcli(
        *("run", str(rules), "--orders", str(DATA / "orders.csv")),
        *("--out", str(out), "--exclusive", "--as-of", AS_OF),
    )
    assert result.returncode == ExitCode.BAD_DEFINITION
    assert f"{rules / 'spend_12_months.yaml'}:1:11: error[priority-tie] priority 5 is also" in (
        result.stderr
    )
    assert f"{rules / 'vip.yaml'}:1:11: error[priority-tie]" in result.stderr
    assert not out.exists()
    checked = segcli("validate", "--exclusive", str(rules))
    assert checked.returncode == ExitCode.BAD_DEFINITION
    assert "error[priority-tie]" in checked.stderr
    assert segcli("validate", str(rules)).returncode == ExitCode.OK


@pytest.mark.parametrize("value", ["-1", "1.5", "high"])
def test_a_priority_is_a_whole_number(tmp_path: Path, value: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(f"name: Bad\npriority: {value}\nrules:\n  order_count: 1\n", "utf-8")
    with pytest.raises(DefinitionError) as caught:
        api.load_definitions([path])
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.span is not None
    assert (diagnostic.span.line, diagnostic.span.col) == (2, 11)
    assert "priority" in diagnostic.message


def test_the_schema_documents_priority() -> None:
    option: Any = json_schema()["properties"]
    assert option["priority"]["type"] == "integer"


def test_diff_why_names_the_moves_of_an_exclusive_run(tmp_path: Path) -> None:
    rules = _rules(tmp_path / "rules", {"vip": 2, "spend_12_months": 1})
    out = tmp_path / "out"
    early = "2024-06-01"
    for as_of in (early, AS_OF):
        result = segcli(
            *("run", str(rules), "--orders", str(DATA / "orders.csv")),
            *("--customers", str(DATA / "customers.csv"), "--as-of", as_of),
            *("--out", str(out), "--with-id", "--exclusive"),
        )
        assert result.returncode == ExitCode.OK, result.stderr
    result = segcli(
        *("diff", str(out / "spend_12_months"), "--why", "--json"),
        *("--orders", str(DATA / "orders.csv"), "--customers", str(DATA / "customers.csv")),
        *("--definition", str(rules / "spend_12_months.yaml")),
    )
    assert result.returncode == ExitCode.OK, result.stderr
    reasons = {c["customer"]: c["reason"] for c in json.loads(result.stdout)["customers"]}
    data = reference.read_dataset(DATA / "orders.csv", customers=DATA / "customers.csv")
    held = {}
    for name in ("vip", "spend_12_months"):
        document = reference.load_definition((ROOT / "rules" / f"{name}.yaml").read_text())
        for as_of in (early, AS_OF):
            held[name, as_of] = set(reference.member_keys(document, data, as_of))
    spend_old, spend_new = held["spend_12_months", early], held["spend_12_months", AS_OF]
    exported_old = spend_old - held["vip", early]
    exported_new = spend_new - held["vip", AS_OF]
    left, entered = exported_old - exported_new, exported_new - exported_old
    assert set(reasons) == left | entered
    moved_up = {c for c, r in reasons.items() if r.startswith("moved to a higher-priority")}
    moved_back = {c for c, r in reasons.items() if r.startswith("no longer taken")}
    assert moved_up == left & spend_new  # still spent 500+, but a VIP now
    assert moved_up
    assert moved_back == entered & spend_old  # spent 500+ before too, but was a VIP then
