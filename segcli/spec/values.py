"""Collecting diagnostics, and reading one YAML scalar as a typed value of the language."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Literal, assert_never

from segcli.errors import Diagnostic, Span
from segcli.spec.yamlpos import YMap, YScalar, YSeq

if TYPE_CHECKING:
    from segcli.spec.fields import ValueType
    from segcli.spec.model import Scalar
    from segcli.spec.yamlpos import YNode

ScalarType = Literal["text", "integer", "money", "number", "date", "boolean"]

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_BOOLEANS = {"true": True, "yes": True, "false": False, "no": False}
_EXPECTED: dict[ScalarType, str] = {
    "text": "text",
    "integer": "a whole number",
    "money": "a number",
    "number": "a number",
    "date": "a date YYYY-MM-DD",
    "boolean": "true or false",
}


class Collector:
    """The problems found so far; checks add to it and go on, the caller raises once."""

    def __init__(self) -> None:
        self.diagnostics: list[Diagnostic] = []

    def error(self, code: str, message: str, span: Span | None, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(code, message, span, hint))

    def wrong_type(self, what: str, expected: str, node: YNode, hint: str | None = None) -> None:
        self.error(
            "wrong-type", f"{what}: expected {expected}, got {node.describe()}", node.span, hint
        )

    def mark(self) -> int:
        """A bookmark: `failed_since(mark)` tells whether a problem was added after it."""
        return len(self.diagnostics)

    def failed_since(self, mark: int) -> bool:
        return len(self.diagnostics) > mark

    def in_file_order(self) -> list[Diagnostic]:
        """Every problem once, by line and column (those without a position first)."""
        return sorted(dict.fromkeys(self.diagnostics), key=_position)


def _position(diagnostic: Diagnostic) -> tuple[int, int]:
    span = diagnostic.span
    return (span.line, span.col) if span is not None else (0, 0)


def scalar_type(value: ValueType) -> ScalarType | None:
    """The scalar type of a registry value type; None for the structured ones."""
    match value:
        case "text" | "integer" | "money" | "date" | "boolean":
            return value
        case "period" | "id_set" | "segment" | "grid":
            return None
        case _:
            assert_never(value)


def read_value(node: YNode, kind: ScalarType, what: str, ctx: Collector) -> Scalar | None:
    """One scalar of the given type; text comes back normalized (trimmed, lower-cased)."""
    if not isinstance(node, YScalar) or node.is_null:
        ctx.wrong_type(what, _EXPECTED[kind], node)
        return None
    raw = node.text.strip()
    value: Scalar | None
    match kind:
        case "text":
            value = raw.lower() or None
        case "integer" | "money" | "number":
            value = _number(raw, kind)
        case "date":
            value = parse_date(raw)
        case "boolean":
            value = _BOOLEANS.get(raw.lower())
        case _:
            assert_never(kind)
    if value is None:
        ctx.wrong_type(what, _EXPECTED[kind], node, _type_hint(raw, kind))
        return None
    if isinstance(value, Decimal) and value < 0 and kind != "money":
        ctx.error("bad-value", f"{what}: must not be negative, got {raw}", node.span)
        return None
    return value


def read_text(node: YNode, what: str, ctx: Collector, *, allow_empty: bool = False) -> str | None:
    """Free text kept as written (trimmed only): names, descriptions, segment references."""
    if isinstance(node, YScalar):
        text = "" if node.is_null else node.text.strip()
        if text or allow_empty:
            return text
    ctx.wrong_type(what, "text", node)
    return None


def read_bool(node: YNode, what: str, ctx: Collector) -> bool | None:
    value = read_value(node, "boolean", what, ctx)
    return value if isinstance(value, bool) else None


def read_list(node: YNode, what: str, ctx: Collector) -> tuple[YNode, ...] | None:
    if isinstance(node, YSeq):
        if node.items:
            return node.items
        ctx.error("empty-list", f"{what}: needs at least one value", node.span)
        return None
    ctx.wrong_type(what, "a list", node)
    return None


def read_map(node: YNode, what: str, ctx: Collector) -> YMap | None:
    if isinstance(node, YMap):
        return node
    ctx.wrong_type(what, "a mapping", node)
    return None


def parse_date(raw: str) -> date | None:
    if not _DATE.fullmatch(raw):
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def _number(raw: str, kind: ScalarType) -> Decimal | None:
    if not _NUMBER.fullmatch(raw):
        return None
    try:
        number = Decimal(raw)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        return None
    if kind == "integer":
        return Decimal(int(number)) if number == number.to_integral_value() else None
    return number


def _type_hint(raw: str, kind: ScalarType) -> str | None:
    if kind in ("integer", "money", "number") and re.fullmatch(r"[\d.,\s]+", raw):
        return "write numbers without thousands separators, with '.' for decimals"
    if kind == "boolean":
        return "booleans are true/false (or yes/no)"
    return None
