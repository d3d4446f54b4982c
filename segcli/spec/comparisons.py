"""Reading a comparison: a scalar (equals), a list (any of), or a mapping of comparison keys.

Normalization: a scalar and `exactly: v` become `Test("eq", (v,))`; a list becomes
`Test("in", values)`; `not: v-or-list` becomes `Test("not_in", values)`. Lists keep their order
with repeats dropped. Text values are trimmed and lower-cased.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from segcli.errors import did_you_mean
from segcli.spec.fields import COMPARISON_KEYS, TEXT_ONLY_KEYS
from segcli.spec.model import Comparison, Op, Scalar, Test
from segcli.spec.values import ScalarType, read_list, read_value
from segcli.spec.yamlpos import YMap, YScalar, YSeq

if TYPE_CHECKING:
    from segcli.spec.values import Collector
    from segcli.spec.yamlpos import YNode

OPS: dict[str, Op] = {
    "exactly": "eq",
    "more_than": "gt",
    "at_least": "ge",
    "less_than": "lt",
    "at_most": "le",
    "between": "between",
    "not": "not_in",
    "contains": "contains",
    "starts_with": "starts_with",
}
ORDERING_KEYS = ("more_than", "at_least", "less_than", "at_most", "between")
_KIND_NAMES: dict[ScalarType, str] = {
    "text": "a text field",
    "integer": "an integer field",
    "money": "a money field",
    "number": "a number",
    "date": "a date field",
    "boolean": "a boolean field",
}
_LIST_HINT = "for 'any of several values' write the list itself, e.g. field: [a, b]"


def parse_comparison(
    node: YNode, kind: ScalarType, what: str, ctx: Collector, extra: tuple[str, ...] = ()
) -> Comparison | None:
    """A comparison on a value of type `kind`. In a mapping, keys named in `extra` (e.g.
    period, where) are left to the caller."""
    if isinstance(node, YMap):
        return _comparison_map(node, kind, what, ctx, extra)
    values = _values(node, kind, what, ctx)
    if values is None:
        return None
    op: Op = "in" if isinstance(node, YSeq) else "eq"
    return Comparison((Test(op, values),))


def has_comparison_key(node: YMap) -> bool:
    return any(key.text in COMPARISON_KEYS for key, _ in node.items)


def _missing_comparison(node: YNode, what: str, ctx: Collector) -> None:
    keys = ", ".join(k for k in COMPARISON_KEYS if k not in TEXT_ONLY_KEYS)
    message = f"{what}: needs a comparison ({keys})"
    ctx.error("missing-key", message, node.span, f"e.g. {what}: {{at_least: 1}}")


def _comparison_map(
    node: YMap, kind: ScalarType, what: str, ctx: Collector, extra: tuple[str, ...]
) -> Comparison | None:
    mark = ctx.mark()
    tests: list[Test] = []
    for key, value in node.items:
        if key.text in extra:
            continue
        if _check_key(key, kind, what, ctx, extra):
            test = _test(key.text, value, kind, what, ctx)
            if test is not None:
                tests.append(test)
    if ctx.failed_since(mark):
        return None
    if not tests:
        _missing_comparison(node, what, ctx)
        return None
    return Comparison(tuple(tests))


def _check_key(
    key: YScalar, kind: ScalarType, what: str, ctx: Collector, extra: tuple[str, ...]
) -> bool:
    name = key.text
    if name not in COMPARISON_KEYS:
        hint = did_you_mean(name, (*COMPARISON_KEYS, *extra))
        ctx.error("unknown-comparison", f"{what}: unknown comparison '{name}'", key.span, hint)
        return False
    if name in TEXT_ONLY_KEYS and kind != "text":
        message = f"{name} applies to text fields only; {what} is {_KIND_NAMES[kind]}"
        ctx.error("bad-comparison", message, key.span, _text_only_hint(kind))
        return False
    if name in ORDERING_KEYS and kind == "boolean":
        message = f"{name} does not apply to {what}, which is true or false"
        ctx.error("bad-comparison", message, key.span, f"write {what}: true or {what}: false")
        return False
    return True


def _text_only_hint(kind: ScalarType) -> str:
    if kind == "boolean":
        return "compare booleans with true or false"
    return "use exactly, more_than, at_least, less_than, at_most, between or not"


def _test(name: str, node: YNode, kind: ScalarType, what: str, ctx: Collector) -> Test | None:
    op = OPS[name]
    label = f"{what} {name}"
    if name == "between":
        return _between(node, kind, label, ctx)
    if name == "not":
        values = _values(node, kind, label, ctx)
        return None if values is None else Test(op, values)
    if isinstance(node, YSeq | YMap):
        message = f"{label}: takes one value, got {node.describe()}"
        ctx.error("bad-comparison", message, node.span, _LIST_HINT if name == "exactly" else None)
        return None
    value = read_value(node, kind, label, ctx)
    return None if value is None else Test(op, (value,))


def _values(node: YNode, kind: ScalarType, what: str, ctx: Collector) -> tuple[Scalar, ...] | None:
    """One scalar, or a non-empty list of scalars, as a tuple without repeats."""
    items = read_list(node, what, ctx) if isinstance(node, YSeq) else (node,)
    if items is None:
        return None
    mark = ctx.mark()
    values = [read_value(item, kind, what, ctx) for item in items]
    if ctx.failed_since(mark):
        return None
    return tuple(dict.fromkeys(v for v in values if v is not None))


def _between(node: YNode, kind: ScalarType, what: str, ctx: Collector) -> Test | None:
    if not isinstance(node, YSeq) or len(node.items) != 2:
        count = len(node.items) if isinstance(node, YSeq) else 0
        got = f"{count} value{'s' * (count != 1)}" if isinstance(node, YSeq) else node.describe()
        message = f"{what}: needs exactly 2 values [lo, hi], got {got}"
        ctx.error("bad-comparison", message, node.span, f"e.g. {{between: {_example(kind)}}}")
        return None
    mark = ctx.mark()
    lo, hi = (read_value(item, kind, what, ctx) for item in node.items)
    if ctx.failed_since(mark) or lo is None or hi is None:
        return None
    if _greater(lo, hi):
        message = f"{what}: lo {lo} is greater than hi {hi}"
        ctx.error("bad-comparison", message, node.span, f"write [{hi}, {lo}]")
        return None
    return Test("between", (lo, hi))


def _greater(lo: Scalar, hi: Scalar) -> bool:
    if isinstance(lo, Decimal) and isinstance(hi, Decimal):
        return lo > hi
    if isinstance(lo, str) and isinstance(hi, str):
        return lo > hi
    if isinstance(lo, date) and isinstance(hi, date):
        return lo > hi
    return False


def _example(kind: ScalarType) -> str:
    return "[2024-01-01, 2024-06-30]" if kind == "date" else "[50, 100]"
