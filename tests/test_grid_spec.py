"""Grid fields and grid files: the model they give, and their errors (code, position, hint)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

from segcli.errors import DefinitionError, Diagnostic
from segcli.spec.grid_parse import builtin_grids, load_grid
from segcli.spec.model import Comparison, GridGroup, Score
from segcli.spec.model import Test as Cmp
from segcli.spec.parse import parse_definition
from segcli.spec.schema import json_schema

SOURCE = "rules/t.yaml"


def rule_of(rule: str, base_dir: Path | None = None) -> object:
    text = f"name: T\nrules:\n  {rule}\n"
    return parse_definition(text, SOURCE, base_dir=base_dir).rule


def problems(rule: str, base_dir: Path | None = None) -> list[Diagnostic]:
    with pytest.raises(DefinitionError) as info:
        rule_of(rule, base_dir)
    return info.value.diagnostics


def test_a_score_is_an_integer_comparison() -> None:
    rule = rule_of("recency_score: {at_least: 4}")
    assert rule == Score("recency_score", Comparison((Cmp("ge", (Decimal(4),)),)))


def test_rfm_group_takes_names_as_users_spell_them() -> None:
    rule = rule_of("rfm_group: [Champions, needs attention, At-Risk]")
    assert isinstance(rule, GridGroup)
    assert (rule.grid, rule.groups, rule.field) == (
        "rfm",
        ("champions", "needs_attention", "at_risk"),
        "rfm_group",
    )


def test_grid_names_a_built_in_grid_and_its_groups() -> None:
    rule = rule_of("grid: {name: retention, group: red_alert}")
    assert isinstance(rule, GridGroup)
    assert (rule.grid, rule.groups) == ("retention", ("red_alert",))


def test_an_unknown_group_is_reported_where_it_is_written_with_a_hint() -> None:
    (problem,) = problems("rfm_group: [champions, champs]")
    assert str(problem.span) == f"{SOURCE}:3:26"
    assert problem.code == "unknown-group"
    assert problem.message == "rfm_group: grid rfm has no group 'champs'"
    assert problem.hint == "did you mean 'champions'?"


def test_an_unknown_grid_names_the_built_in_ones() -> None:
    (problem,) = problems("grid: {name: retension, group: loyal}")
    assert (str(problem.span), problem.code) == (f"{SOURCE}:3:3", "unknown-grid")
    assert problem.hint == "did you mean 'retention'?"


def test_a_score_out_of_type_is_an_error() -> None:
    (problem,) = problems("fm_score: high")
    assert problem.code == "wrong-type"
    assert problem.span is not None
    assert problem.span.line == 3


GRID = """\
name: Spend grid
x: {field: days_since_last_order, bins: [0, 30, 90]}
y: {field: order_count, bins: [1, 2, 5]}
groups:
  - id: regulars
    name: Regulars
    color: "#00aa00"
    rules: {order_count: {at_least: 2}}
  - id: others
    name: Others
    color: "#aaaaaa"
    rules: {has_order: true}
"""


def test_a_grid_file_beside_the_definition(tmp_path: Path) -> None:
    (tmp_path / "mine.yaml").write_text(GRID, encoding="utf-8")
    rule = rule_of("grid: {name: mine.yaml, group: [others]}", tmp_path)
    assert isinstance(rule, GridGroup)
    grid = load_grid("mine.yaml", tmp_path)
    assert grid.x.labels() == ("0–29", "30–89", "90+")
    assert grid.y.labels() == ("1", "2–4", "5+")
    # The first group that holds wins: others is has_order and not order_count >= 2.
    assert rule.rule == grid.group_rule(1)


def test_errors_in_a_grid_file_point_into_it(tmp_path: Path) -> None:
    bad = GRID.replace("order_count: {at_least: 2}", "order_cnt: 2").replace(
        "bins: [1, 2, 5]", "bins: [1, 5, 2]"
    )
    (tmp_path / "bad.yaml").write_text(bad, encoding="utf-8")
    found = problems("grid: {name: bad.yaml, group: others}", tmp_path)
    where = {(p.code, p.span.line if p.span else 0) for p in found}
    assert where == {("bad-value", 3), ("unknown-field", 8)}
    assert all(p.span is not None and p.span.file.endswith("bad.yaml") for p in found)


def test_a_grid_cannot_refer_to_grids_or_segments(tmp_path: Path) -> None:
    nested = GRID.replace("{has_order: true}", "{grid: {name: rfm, group: loyal}}")
    (tmp_path / "nested.yaml").write_text(nested, encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        load_grid("nested.yaml", tmp_path)
    (problem,) = info.value.diagnostics
    assert problem.code == "bad-rule"
    assert problem.span is not None
    assert problem.span.line == 12


def test_the_built_in_grids_load_and_are_partitions_of_their_cells() -> None:
    assert builtin_grids() == ("retention", "rfm")
    rfm = load_grid("rfm")
    assert len(rfm.groups) == 11
    assert rfm.x.labels() == ("1", "2", "3", "4", "5")
    retention = load_grid("retention")
    assert retention.group_ids() == (
        "loyal",
        "red_alert",
        "promising",
        "sleepers",
        "one_time_buyers",
    )


def test_the_schema_knows_the_grid_fields() -> None:
    schema = json_schema()
    rule = schema["$defs"]["rule"]  # type: ignore[index]
    for name in ("recency_score", "fm_score", "rfm_group", "grid"):
        assert name in rule["properties"]
    rfm = schema["$defs"]["rfm_group"]  # type: ignore[index]
    assert "previously_loyal" in rfm["anyOf"][0]["enum"]


def test_validate_reports_grid_errors_in_the_definition_file(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(textwrap.dedent("name: T\nrules: {rfm_group: vips}\n"), encoding="utf-8")
    from segcli.spec.parse import load_definitions

    with pytest.raises(DefinitionError) as info:
        load_definitions([path])
    assert str(info.value).startswith(f"{path}:2:20: error[unknown-group]")


def _segcli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "segcli", *args], capture_output=True, text=True, check=False
    )


def test_validate_checks_grid_files_beside_definitions(tmp_path: Path) -> None:
    (tmp_path / "mine.yaml").write_text(GRID, encoding="utf-8")
    (tmp_path / "seg.yaml").write_text(
        "name: S\nrules: {grid: {name: mine.yaml, group: regulars}}\n", encoding="utf-8"
    )
    good = _segcli("validate", str(tmp_path))
    assert good.returncode == 0, good.stderr
    assert "(grid: Spend grid)" in good.stderr
    (tmp_path / "mine.yaml").write_text(GRID.replace("#00aa00", "green"), encoding="utf-8")
    bad = _segcli("validate", str(tmp_path / "mine.yaml"))
    assert bad.returncode == 2
    assert f"{tmp_path / 'mine.yaml'}:7:12: error[bad-value] color 'green'" in bad.stderr


def test_schema_of_grid_files() -> None:
    result = _segcli("schema", "--grid")
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    assert schema["required"] == ["name", "x", "y", "groups"]
    assert "recency_score" in schema["properties"]["x"]["properties"]["field"]["enum"]
