"""Definitions are composed by libyaml when it is there (start-up); every YAML file of the
project gives the same node tree as PyYAML's pure-Python composer: tags, values, positions."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from segcli.spec.yamlpos import _compose

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted(
    p.relative_to(ROOT)
    for folder in ("rules", "tests", "examples", "bench/segments", "segcli")
    for p in (ROOT / folder).rglob("*.y*ml")
)

Tree = tuple[object, ...]


def _tree(node: yaml.Node) -> Tree:
    start, end = node.start_mark, node.end_mark
    where = (node.tag, start.line, start.column, end.line, end.column)
    if isinstance(node, yaml.ScalarNode):
        return (*where, node.value)
    if isinstance(node, yaml.SequenceNode):
        return (*where, tuple(_tree(child) for child in node.value))
    return (*where, tuple((_tree(k), _tree(v)) for k, v in node.value))


def test_there_are_files_to_compare() -> None:
    assert len(FILES) > 50


@pytest.mark.parametrize("path", FILES, ids=str)
def test_the_same_tree_as_the_pure_python_composer(path: Path) -> None:
    text = (ROOT / path).read_text(encoding="utf-8-sig")
    fast, reference = _compose(text), yaml.compose(text, Loader=yaml.SafeLoader)
    assert (fast is None) == (reference is None)
    if fast is not None and reference is not None:
        assert _tree(fast) == _tree(reference)
