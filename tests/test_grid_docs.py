"""docs/grids.md stays honest: its RFM table is the one the reference evaluator (and through the
differential tests, the built-in grid) uses, and its YAML examples load."""

from __future__ import annotations

import re
from pathlib import Path

import reference

from segcli.spec.grid_parse import load_grid, parse_grid
from segcli.spec.parse import parse_definition

DOC = (Path(__file__).resolve().parents[1] / "docs" / "grids.md").read_text(encoding="utf-8")


def _span(text: str) -> tuple[int, int]:
    low, _, high = text.partition("–")
    return int(low), int(high or low)


def test_the_rfm_table_in_the_docs_is_the_reference_table() -> None:
    rows = re.findall(r"^\| `([a-z_]+)` \| (\d(?:–\d)?) \| (\d(?:–\d)?) \|", DOC, re.MULTILINE)
    table = tuple((group, _span(r), _span(fm)) for group, r, fm in rows)
    assert table == reference.RFM_TABLE


def test_every_built_in_group_is_documented() -> None:
    for name in ("retention", "rfm"):
        for group in load_grid(name).groups:
            assert f"`{group.group_id}`" in DOC, group.group_id


def test_the_retention_thresholds_in_the_docs_are_the_built_in_ones() -> None:
    grid = load_grid("retention")
    assert ", ".join(grid.x.labels()) in DOC
    assert ", ".join(grid.y.labels()) in DOC


def _yaml_blocks() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", DOC, re.DOTALL)


def test_the_yaml_examples_load() -> None:
    definition, grid_file = _yaml_blocks()
    parsed = parse_definition(definition, "<docs/grids.md>")
    assert parsed.name == "Red alert who bought Acme"
    grid, problems = parse_grid(grid_file, "<docs/grids.md>", "spend", None)
    assert problems == []
    assert grid is not None
    assert grid.x.labels() == ("0–29", "30–89", "90–364", "365+")
