"""The JSON Schema of definitions (spec/schema.py), for editors: every field, every option."""

from __future__ import annotations

import json
import re

import pytest

from segcli.spec.fields import COMPARISON_KEYS, FIELDS, OPTION_KEYS
from segcli.spec.schema import json_schema


def refs_in(node: object) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if "$ref" in node else []
        return own + [r for value in node.values() for r in refs_in(value)]
    if isinstance(node, list):
        return [r for value in node for r in refs_in(value)]
    return []


def test_schema_structure() -> None:
    schema = json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert json.loads(json.dumps(schema)) == schema
    properties = schema["properties"]
    assert isinstance(properties, dict)
    assert set(properties) == set(OPTION_KEYS)
    defs = schema["$defs"]
    assert isinstance(defs, dict)
    rule_properties = defs["rule"]["properties"]
    for spec in FIELDS:
        assert spec.name in rule_properties, spec.name
        assert spec.meaning in rule_properties[spec.name]["description"]
    for ref in refs_in(schema):
        assert ref.startswith("#/$defs/")
        assert ref.removeprefix("#/$defs/") in defs, ref
    comparison = defs["text_comparison"]["anyOf"][2]["properties"]
    assert set(comparison) == set(COMPARISON_KEYS)


@pytest.mark.parametrize(
    ("text", "ok"),
    [("all time", True), ("Last 1 Month", True), ("last 90  days", True), ("last 0 days", False)],
)
def test_schema_period_pattern(text: str, ok: bool) -> None:
    pattern = json_schema()["$defs"]["period"]["anyOf"][0]["pattern"]  # type: ignore[index]
    assert (re.search(pattern, text) is not None) == ok
