"""Comparisons (model `Comparison`) as Polars expressions. Null never satisfies a test."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from fractions import Fraction

import polars as pl

from segcli.inputs.cells import regex_literal
from segcli.spec.model import Comparison, Scalar, Test

CENTS = 100


def all_tests(
    comparison: Comparison, one: Callable[[Test], pl.Expr], present: pl.Expr | None = None
) -> pl.Expr:
    """Every test holds; a null value (`present` false) satisfies none, `not` included."""
    exprs = [one(test) for test in comparison.tests]
    combined = exprs[0]
    for expr in exprs[1:]:
        combined = combined & expr
    if present is not None:
        combined = present & combined
    return combined.fill_null(value=False)


def text_compare(column: pl.Expr, comparison: Comparison) -> pl.Expr:
    """`column` holds normalized text (trimmed, as every table does): compared lower-cased.

    Equals/any-of/not with ASCII values skip the lower-casing (3x cheaper): see `caseless`."""
    normalized = column.str.to_lowercase()

    def one(test: Test) -> pl.Expr:
        pattern = _caseless_choices(test)
        if pattern is None:
            return _text_test(normalized, test)
        found = column.str.contains(f"^{pattern}$")
        return ~found if test.op == "not_in" else found

    return all_tests(comparison, one, column.is_not_null())


def caseless(value: str) -> str | None:
    """A regex matching exactly the text whose lower case is `value`, when `value` is ASCII
    lower-case text, else None. Only two characters outside ASCII lower-case to text with
    ASCII in it: the Kelvin sign (to 'k') and the dotted capital I (to 'i' + a combining dot,
    which no ASCII value equals); so each letter is itself, its capital, and for 'k' the
    Kelvin sign."""
    if not value.isascii() or value != value.lower():
        return None
    return "".join(_caseless_char(c) for c in value)


def _caseless_char(char: str) -> str:
    if char == "k":
        return "[kK\u212a]"
    if char.isalpha():
        return f"[{char}{char.upper()}]"
    return regex_literal(char)


def _caseless_choices(test: Test) -> str | None:
    """`(?:v1|v2…)` for an equals/any-of/not test whose values all have a `caseless` form."""
    if test.op not in {"eq", "in", "not_in"}:
        return None
    return _caseless_alternation(_texts(test.values))


def _caseless_alternation(texts: list[str]) -> str | None:
    """`(?:v1|v2…)` of the `caseless` forms of `texts`, or None when one has none."""
    choices = [caseless(t) for t in texts]
    if not choices or any(c is None for c in choices):
        return None
    return f"(?:{'|'.join(c for c in choices if c is not None)})"


def text_superset(raw: pl.Expr, comparison: Comparison) -> pl.Expr | None:
    """A cheap test on the text *as written* that holds wherever `text_compare` holds on its
    trimmed, lower-cased form, or None. Only equals/any-of with ASCII values have one: a
    case-insensitive anchored regex. Unicode case folding matches every spelling whose
    lower case is the value (and a few more, like 'ſ' for 's'), so it only narrows the rows
    `text_compare` then decides on. On Parquet, Polars evaluates it on dictionary pages."""
    found = []
    for test in comparison.tests:
        texts = _texts(test.values)
        if test.op in {"eq", "in"} and texts and all(t.isascii() for t in texts):
            choices = "|".join(regex_literal(t) for t in texts)
            found.append(raw.str.contains(rf"(?i)^\s*(?:{choices})\s*$"))
    if not found:
        return None
    combined = found[0]
    for expr in found[1:]:
        combined = combined & expr
    return combined


def multi_text_compare(column: pl.Expr, separator: str, comparison: Comparison) -> pl.Expr:
    """A field holding several values (tags, discount codes): any part satisfies a test;
    `not` holds when no part matches; no parts satisfies nothing."""
    if len(separator) == 1 and all(t.op in {"eq", "in", "not_in"} for t in comparison.tests):
        return _parts_by_regex(column, separator, comparison)
    parts = column.str.split(separator).list.eval(
        pl.element()
        .str.strip_chars()
        .str.to_lowercase()
        .filter(pl.element().str.strip_chars() != "")
    )
    has_parts = parts.list.len() > 0

    def one(test: Test) -> pl.Expr:
        if test.op == "not_in":
            hit = parts.list.eval(pl.element().is_in(_texts(test.values))).list.any()
            return has_parts & ~hit
        return parts.list.eval(_text_test(pl.element(), test)).list.any() & has_parts

    return all_tests(comparison, one)


def _parts_by_regex(column: pl.Expr, separator: str, comparison: Comparison) -> pl.Expr:
    """multi_text_compare for equals/any-of/not, without splitting into lists (4x cheaper):
    on the lower-cased text, a value is a part when it stands between separators (or the
    ends) with only white space around it. Exact for a one-character separator: lower-casing
    keeps separators and white space as they are, and splits cannot overlap."""
    low = column.str.to_lowercase()
    sep = regex_literal(separator)
    has_parts = column.str.contains(rf"[^{sep}\s]")  # some part is not empty

    def hit(values: tuple[Scalar, ...]) -> pl.Expr:
        texts = [v for v in _texts(values) if v]
        if not texts:
            return pl.lit(value=False)
        text, pattern = column, _caseless_alternation(texts)  # no lower-casing (see caseless)
        if pattern is None:
            text, pattern = low, f"(?:{'|'.join(regex_literal(v) for v in texts)})"
        return text.str.contains(rf"(?:^|{sep})\s*{pattern}\s*(?:{sep}|$)")

    def one(test: Test) -> pl.Expr:
        return has_parts & (~hit(test.values) if test.op == "not_in" else hit(test.values))

    return all_tests(comparison, one)


def _texts(values: tuple[Scalar, ...]) -> list[str]:
    return [str(v) for v in values]


def _text_test(value: pl.Expr, test: Test) -> pl.Expr:
    texts = _texts(test.values)
    match test.op:
        case "eq" | "in":
            return value.is_in(texts)
        case "not_in":
            return ~value.is_in(texts)
        case "contains":
            return value.str.contains(texts[0], literal=True)
        case "starts_with":
            return value.str.starts_with(texts[0])
        case "gt":
            return value > texts[0]
        case "ge":
            return value >= texts[0]
        case "lt":
            return value < texts[0]
        case "le":
            return value <= texts[0]
        case "between":
            return (value >= texts[0]) & (value <= texts[1])
    raise ValueError(f"no text test {test.op!r}")


def integer_compare(column: pl.Expr, comparison: Comparison, scale: int = 1) -> pl.Expr:
    """An integer column against exact decimal thresholds times `scale` (100 for money in cents)."""
    return all_tests(
        comparison, lambda test: _integer_test(column, test, scale), column.is_not_null()
    )


def _scaled(value: Scalar, scale: int) -> Decimal:
    assert isinstance(value, Decimal)
    return value * scale


def _integer_test(value: pl.Expr, test: Test, scale: int) -> pl.Expr:
    bounds = [_scaled(v, scale) for v in test.values]
    whole = [int(b) for b in bounds if b == b.to_integral_value()]
    match test.op:
        case "eq" | "in":
            return value.is_in(whole) if whole else pl.lit(value=False)
        case "not_in":
            return ~value.is_in(whole) if whole else value.is_not_null()
        case "gt":
            return value > math.floor(bounds[0])
        case "ge":
            return value >= math.ceil(bounds[0])
        case "lt":
            return value < math.ceil(bounds[0])
        case "le":
            return value <= math.floor(bounds[0])
        case "between":
            return (value >= math.ceil(bounds[0])) & (value <= math.floor(bounds[1]))
    raise ValueError(f"no number test {test.op!r}")


def ratio_compare(num: pl.Expr, den: pl.Expr, comparison: Comparison, scale: int) -> pl.Expr:
    """num / den against thresholds, exactly: compare num·q with p·den for a threshold p/q.
    Null (false) when den is 0."""
    present = num.is_not_null() & (den > 0)
    return all_tests(comparison, lambda test: _ratio_test(num, den, test, scale), present)


def _ratio_test(num: pl.Expr, den: pl.Expr, test: Test, scale: int) -> pl.Expr:
    fractions = [Fraction(_scaled(v, scale)) for v in test.values]

    def cmp(frac: Fraction) -> tuple[pl.Expr, pl.Expr]:
        return num * frac.denominator, den * frac.numerator

    match test.op:
        case "eq" | "in":
            return pl.any_horizontal([a == b for a, b in map(cmp, fractions)])
        case "not_in":
            return ~pl.any_horizontal([a == b for a, b in map(cmp, fractions)])
        case "gt":
            a, b = cmp(fractions[0])
            return a > b
        case "ge":
            a, b = cmp(fractions[0])
            return a >= b
        case "lt":
            a, b = cmp(fractions[0])
            return a < b
        case "le":
            a, b = cmp(fractions[0])
            return a <= b
        case "between":
            (a, b), (c, d) = cmp(fractions[0]), cmp(fractions[1])
            return (a >= b) & (c <= d)
    raise ValueError(f"no number test {test.op!r}")


def date_compare(column: pl.Expr, comparison: Comparison) -> pl.Expr:
    return all_tests(comparison, lambda test: _date_test(column, test), column.is_not_null())


def _date_test(value: pl.Expr, test: Test) -> pl.Expr:
    days = [v for v in test.values if isinstance(v, date)]
    match test.op:
        case "eq" | "in":
            return value.is_in(days)
        case "not_in":
            return ~value.is_in(days)
        case "gt":
            return value > pl.lit(days[0])
        case "ge":
            return value >= pl.lit(days[0])
        case "lt":
            return value < pl.lit(days[0])
        case "le":
            return value <= pl.lit(days[0])
        case "between":
            return (value >= pl.lit(days[0])) & (value <= pl.lit(days[1]))
    raise ValueError(f"no date test {test.op!r}")


def bool_compare(column: pl.Expr, comparison: Comparison) -> pl.Expr:
    return all_tests(comparison, lambda test: _bool_test(column, test), column.is_not_null())


def _bool_test(value: pl.Expr, test: Test) -> pl.Expr:
    flags = [bool(v) for v in test.values]
    match test.op:
        case "eq" | "in":
            return value.is_in(flags)
        case "not_in":
            return ~value.is_in(flags)
    raise ValueError(f"no boolean test {test.op!r}")
