"""A JSON Schema (draft 2020-12) of the segment language, generated from the field registry.

Editors (yaml-language-server) read YAML 1.2, where `yes`, `NO` and `2024-01-01` are strings:
the schema accepts them where the language does (booleans, text, dates).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, assert_never

from segcli.spec.fields import (
    COMPARISON_KEYS,
    FIELDS,
    ITEM_FIELDS,
    OPTION_KEYS,
    ORDER_FIELDS,
    REVIEW_FIELDS,
    TEXT_ONLY_KEYS,
    FieldSpec,
)
from segcli.spec.periods_parse import PERIOD_FORMS, PERIOD_PATTERN

if TYPE_CHECKING:
    from collections.abc import Iterable

    from segcli.spec.values import ScalarType

Schema = dict[str, object]

DIALECT = "https://json-schema.org/draft/2020-12/schema"
_TYPES: tuple[ScalarType, ...] = ("text", "integer", "money", "date", "boolean")
_KEY_DOCS = {
    "exactly": "equals",
    "more_than": "greater than",
    "at_least": "greater than or equal to",
    "less_than": "less than",
    "at_most": "less than or equal to",
    "between": "[lo, hi], both inclusive",
    "not": "not equal to the value, or to any value of the list",
    "contains": "text contains (case-insensitive)",
    "starts_with": "text starts with (case-insensitive)",
}


def json_schema() -> dict[str, object]:
    """The schema of one definition file."""
    return {
        "$schema": DIALECT,
        "$id": "urn:segcli:segment-definition",
        "title": "segcli segment definition",
        "description": "One customer segment: a name, options and exactly one rule.",
        "type": "object",
        "properties": {key: _option(key) for key in OPTION_KEYS},
        "required": ["name", "rules"],
        "additionalProperties": False,
        "$defs": _defs(),
    }


def _ref(name: str) -> Schema:
    return {"$ref": f"#/$defs/{name}"}


def _case_insensitive(pattern: str) -> str:
    """ECMA-262 patterns have no `i` flag: spell each letter as [xX]; spaces as \\s+."""
    letters = re.sub(r"[a-z]", lambda m: f"[{m[0]}{m[0].upper()}]", pattern)
    return letters.replace(" ", r"\s+")


def _defs() -> Schema:
    defs: Schema = {
        "rule": _rule(),
        "period": _period(),
        "date": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$", "format": "date"},
        "where": _fields_object(ORDER_FIELDS.items(), extra={}),
        "has_order": _has_order(),
        "purchased": _items(ITEM_FIELDS),
        "reviewed": _items(REVIEW_FIELDS),
        "customer_id": _customer_id(),
        "in_segment": {"type": "string", "minLength": 1, "description": "a segment's file stem"},
    }
    for kind in _TYPES:
        defs[f"{kind}_value"] = _value(kind)
        defs[f"{kind}_comparison"] = _comparison(kind, metric=False)
    for kind in ("integer", "money"):
        defs[f"{kind}_metric"] = _comparison(kind, metric=True)
    return defs


def _rule() -> Schema:
    group = {"type": "array", "minItems": 1, "items": _ref("rule")}
    properties: Schema = {
        "all": {**group, "description": "every rule holds"},
        "any": {**group, "description": "at least one rule holds"},
        "none": {**group, "description": "no rule holds"},
        "not": {**_ref("rule"), "description": "the rule does not hold"},
    }
    for spec in FIELDS:
        description = f"{spec.meaning}. Example: {spec.example}"
        properties[spec.name] = {**_ref(_field_def(spec)), "description": description}
    return {
        "type": "object",
        "description": "a mapping with exactly one key: all, any, none, not or a field",
        "properties": properties,
        "minProperties": 1,
        "maxProperties": 1,
        "additionalProperties": False,
    }


def _field_def(spec: FieldSpec) -> str:
    """The $defs entry for a field's value."""
    match spec.kind:
        case "attribute":
            return "customer_id" if spec.value == "id_set" else f"{spec.value}_comparison"
        case "registered":
            return "period"
        case "metric":
            return f"{spec.value}_metric"
        case "recency":
            return f"{spec.value}_comparison"
        case "has_order" | "purchased" | "reviewed":
            return spec.kind
        case "segment":
            return "in_segment"
        case _:
            assert_never(spec.kind)


def _value(kind: ScalarType) -> Schema:
    match kind:
        case "text":  # YAML may read a code like 01234 or NO as another type; we read text
            return {"type": ["string", "number", "boolean"]}
        case "integer":
            return {"type": "integer", "minimum": 0}
        case "money" | "number":
            return {"type": "number"}
        case "date":
            return _ref("date")
        case "boolean":
            pattern = "^" + _case_insensitive("(true|false|yes|no)") + "$"
            return {"type": ["boolean", "string"], "pattern": pattern}
        case _:
            assert_never(kind)


def _comparison(kind: ScalarType, *, metric: bool) -> Schema:
    value = _ref(f"{kind}_value")
    keys = [k for k in COMPARISON_KEYS if kind == "text" or k not in TEXT_ONLY_KEYS]
    if kind == "boolean":
        keys = ["exactly", "not"]
    properties: Schema = {
        key: {**_key_schema(key, value), "description": _KEY_DOCS[key]} for key in keys
    }
    mapping: Schema = {"type": "object", "properties": properties, "additionalProperties": False}
    if metric:
        properties["period"] = _ref("period")
        properties["where"] = _ref("where")
        mapping["anyOf"] = [{"required": [key]} for key in keys]
    else:
        mapping["minProperties"] = 1
    listed = {"type": "array", "minItems": 1, "items": value}
    return {"anyOf": [value, listed, mapping]}


def _key_schema(key: str, value: Schema) -> Schema:
    if key == "between":
        return {"type": "array", "prefixItems": [value, value], "minItems": 2, "maxItems": 2}
    if key == "not":
        return {"anyOf": [value, {"type": "array", "minItems": 1, "items": value}]}
    return dict(value)


def _period() -> Schema:
    text: Schema = {
        "type": "string",
        "pattern": r"^\s*(" + _case_insensitive(PERIOD_PATTERN) + r")\s*$",
        "examples": ["all time", "last 90 days", "last 6 months", "this year", "last year"],
    }
    forms: list[Schema] = [text]
    for keys in (("from", "to"), ("since",), ("before",)):
        properties: Schema = {key: _ref("date") for key in keys}
        forms.append(
            {
                "type": "object",
                "properties": properties,
                "required": list(keys),
                "additionalProperties": False,
            }
        )
    return {"description": "one of: " + ", ".join(PERIOD_FORMS), "anyOf": forms}


def _fields_object(fields: Iterable[tuple[str, str]], extra: Schema) -> Schema:
    properties: Schema = {name: _ref(f"{kind}_comparison") for name, kind in fields}
    return {
        "type": "object",
        "properties": {**properties, **extra},
        "additionalProperties": False,
    }


def _has_order() -> Schema:
    scoped = {
        "type": "object",
        "properties": {"where": _ref("where"), "period": _ref("period")},
        "additionalProperties": False,
    }
    return {"anyOf": [_ref("boolean_value"), scoped]}


def _items(fields: dict[str, str]) -> Schema:
    schema = _fields_object(((name, "text") for name in fields), extra={"period": _ref("period")})
    schema["anyOf"] = [{"required": [name]} for name in fields]
    return schema


def _customer_id() -> Schema:
    from_file = {
        "type": "object",
        "properties": {"file": {"type": "string", "description": "one id per line"}},
        "required": ["file"],
        "additionalProperties": False,
    }
    return {"anyOf": [_ref("text_comparison"), from_file]}


def _option(key: str) -> Schema:
    match key:
        case "name":
            return {"type": "string", "minLength": 1, "description": "the segment's title"}
        case "description":
            return {"type": "string"}
        case "as_of":
            return {"type": "string", "description": "YYYY-MM-DD or an ISO datetime with offset"}
        case "rules":
            return {**_ref("rule"), "description": "exactly one rule"}
        case "include_unidentified" | "marketing_only":
            return {**_ref("boolean_value"), "description": "default false"}
        case "min_members":
            return {"type": "integer", "minimum": 0}
        case "max_change_percent":
            return {"type": "number", "minimum": 0}
        case "priority":
            description = "segcli run --exclusive: a customer goes to the highest that holds"
            return {"type": "integer", "minimum": 0, "description": description}
    raise ValueError(f"no schema for option {key!r}")
