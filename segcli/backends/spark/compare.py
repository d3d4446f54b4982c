"""Comparisons (model `Comparison`) as Spark columns, with the Polars engine's semantics
(segcli.backends.polars_compare): a null never satisfies a test, `not` included.

Text is compared lower-cased with Spark's `lower` (Unicode, like Rust's: the Kelvin sign,
the dotted capital I and a final sigma lower-case the same way); multi-valued cells are split
on a literal separator (Spark's `split` takes a regex, so it is quoted) and each part trimmed
of Unicode white space (see cells.WHITE_SPACE).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from functools import reduce
from zoneinfo import ZoneInfo

from pyspark.sql import Column
from pyspark.sql import functions as F  # noqa: N812

from segcli.backends.spark.cells import WHITE_SPACE, instant
from segcli.periods import start_of_day
from segcli.spec.model import Comparison, Scalar, Test

CENTS = 100


def all_of(columns: list[Column]) -> Column:
    return reduce(lambda a, b: a & b, columns) if columns else F.lit(True)


def any_of(columns: list[Column]) -> Column:
    return reduce(lambda a, b: a | b, columns) if columns else F.lit(False)


def all_tests(
    comparison: Comparison, one: Callable[[Test], Column], present: Column | None = None
) -> Column:
    """Every test holds; a null value (`present` false) satisfies none, `not` included."""
    combined = all_of([one(test) for test in comparison.tests])
    if present is not None:
        combined = present & combined
    return F.coalesce(combined, F.lit(False))


def _texts(values: tuple[Scalar, ...]) -> list[str]:
    return [str(v) for v in values]


def text_compare(column: Column, comparison: Comparison) -> Column:
    """`column` holds trimmed text: compared lower-cased."""
    lowered = F.lower(column)
    return all_tests(comparison, lambda test: text_test(lowered, test), column.isNotNull())


def text_test(value: Column, test: Test) -> Column:
    texts = _texts(test.values)
    match test.op:
        case "eq" | "in":
            return value.isin(*texts)
        case "not_in":
            return ~value.isin(*texts)
        case "contains":
            return F.instr(value, texts[0]) > 0
        case "starts_with":
            return value.startswith(texts[0])
        case "gt":
            return value > F.lit(texts[0])
        case "ge":
            return value >= F.lit(texts[0])
        case "lt":
            return value < F.lit(texts[0])
        case "le":
            return value <= F.lit(texts[0])
        case "between":
            return (value >= F.lit(texts[0])) & (value <= F.lit(texts[1]))
    raise ValueError(f"no text test {test.op!r}")


def multi_text_compare(column: Column, separator: str, comparison: Comparison) -> Column:
    """A cell holding several values (tags, discount codes): any part satisfies a test; `not`
    holds when no part matches; no parts satisfies nothing."""
    pieces = F.split(column, _quoted(separator), -1)
    trim = rf"^{WHITE_SPACE}+|{WHITE_SPACE}+$"
    parts = F.filter(
        F.transform(pieces, lambda p: F.lower(F.regexp_replace(p, trim, ""))), lambda p: p != ""
    )
    has_parts = F.size(parts) > 0

    def one(test: Test) -> Column:
        if test.op == "not_in":
            texts = _texts(test.values)
            return has_parts & ~F.exists(parts, lambda p: p.isin(*texts))
        return has_parts & F.exists(parts, lambda p: text_test(p, test))

    return all_tests(comparison, one, column.isNotNull())


def _quoted(separator: str) -> str:
    """A Java regex matching `separator` literally."""
    return "".join(c if c.isalnum() else f"\\x{{{ord(c):x}}}" for c in separator)


def _scaled(value: Scalar, scale: int) -> Decimal:
    assert isinstance(value, Decimal)
    return value * scale


def integer_compare(column: Column, comparison: Comparison, scale: int = 1) -> Column:
    """An integer column against exact decimal thresholds times `scale` (100: money in cents)."""
    return all_tests(
        comparison, lambda test: _integer_test(column, test, scale), column.isNotNull()
    )


def integer_bounds(test: Test, scale: int) -> tuple[list[int], int | None, int | None]:
    """The whole values of an equals/any-of/not test, and the inclusive integer bounds (lo, hi)
    of an ordering test, for thresholds that may have decimals."""
    bounds = [_scaled(v, scale) for v in test.values]
    whole = [int(b) for b in bounds if b == b.to_integral_value()]
    match test.op:
        case "gt":
            return whole, math.floor(bounds[0]) + 1, None
        case "ge":
            return whole, math.ceil(bounds[0]), None
        case "lt":
            return whole, None, math.ceil(bounds[0]) - 1
        case "le":
            return whole, None, math.floor(bounds[0])
        case "between":
            return whole, math.ceil(bounds[0]), math.floor(bounds[1])
    return whole, None, None


def _integer_test(value: Column, test: Test, scale: int) -> Column:
    whole, lo, hi = integer_bounds(test, scale)
    if test.op in {"eq", "in"}:
        return value.isin(*whole) if whole else F.lit(False)
    if test.op == "not_in":
        return ~value.isin(*whole) if whole else value.isNotNull()
    test_lo = F.lit(True) if lo is None else value >= F.lit(lo)
    test_hi = F.lit(True) if hi is None else value <= F.lit(hi)
    return test_lo & test_hi


def ratio_compare(num: Column, den: Column, comparison: Comparison, scale: int) -> Column:
    """num / den against thresholds exactly: num·q against p·den for a threshold p/q."""
    present = num.isNotNull() & (den > 0)
    return all_tests(comparison, lambda test: _ratio_test(num, den, test, scale), present)


def _ratio_test(num: Column, den: Column, test: Test, scale: int) -> Column:
    def cmp(frac: Fraction) -> tuple[Column, Column]:
        return num * F.lit(frac.denominator), den * F.lit(frac.numerator)

    fractions = [Fraction(_scaled(v, scale)) for v in test.values]
    pairs = [cmp(f) for f in fractions]
    match test.op:
        case "eq" | "in":
            return any_of([a == b for a, b in pairs])
        case "not_in":
            return ~any_of([a == b for a, b in pairs])
        case "gt":
            return pairs[0][0] > pairs[0][1]
        case "ge":
            return pairs[0][0] >= pairs[0][1]
        case "lt":
            return pairs[0][0] < pairs[0][1]
        case "le":
            return pairs[0][0] <= pairs[0][1]
        case "between":
            return (pairs[0][0] >= pairs[0][1]) & (pairs[1][0] <= pairs[1][1])
    raise ValueError(f"no number test {test.op!r}")


def bool_compare(column: Column, comparison: Comparison) -> Column:
    def one(test: Test) -> Column:
        flags = [bool(v) for v in test.values]
        if test.op in {"eq", "in"}:
            return column.isin(*flags)
        if test.op == "not_in":
            return ~column.isin(*flags)
        raise ValueError(f"no boolean test {test.op!r}")

    return all_tests(comparison, one, column.isNotNull())


class LocalDays:
    """Tests on the local calendar day of an instant column, as instant thresholds worked out
    here (the start of each day in the project time zone), so no row is converted."""

    def __init__(self, column: Column, timezone: str) -> None:
        self.column = column
        self.zone = ZoneInfo(timezone)

    def start(self, day: date) -> Column:
        return instant(start_of_day(day, self.zone))

    def on(self, day: date) -> Column:
        return (self.column >= self.start(day)) & (self.column < self.start(day + _DAY))

    def between(self, lo: date | None, hi: date | None) -> Column:
        """lo <= day <= hi (a missing bound is open)."""
        test = F.lit(True)
        if lo is not None:
            test = test & (self.column >= self.start(lo))
        if hi is not None:
            test = test & (self.column < self.start(hi + _DAY))
        return test

    def date_compare(self, comparison: Comparison) -> Column:
        return all_tests(comparison, self._date_test, self.column.isNotNull())

    def _date_test(self, test: Test) -> Column:
        days = [v for v in test.values if isinstance(v, date)]
        match test.op:
            case "eq" | "in":
                return any_of([self.on(d) for d in days])
            case "not_in":
                return ~any_of([self.on(d) for d in days])
            case "gt":
                return self.between(days[0] + _DAY, None)
            case "ge":
                return self.between(days[0], None)
            case "lt":
                return self.between(None, days[0] - _DAY)
            case "le":
                return self.between(None, days[0])
            case "between":
                return self.between(days[0], days[1])
        raise ValueError(f"no date test {test.op!r}")

    def days_before(self, as_of_day: date, comparison: Comparison) -> Column:
        """(as_of_day − the column's day) in whole days against integer thresholds: `n` days
        before the as-of is the day as_of_day − n, so bounds on n are bounds on the day."""

        def one(test: Test) -> Column:
            whole, lo, hi = integer_bounds(test, 1)
            if test.op in {"eq", "in"}:
                return any_of([self.on(as_of_day - timedelta(days=n)) for n in whole])
            if test.op == "not_in":
                return ~any_of([self.on(as_of_day - timedelta(days=n)) for n in whole])
            first = None if hi is None else as_of_day - timedelta(days=hi)
            last = None if lo is None else as_of_day - timedelta(days=lo)
            return self.between(first, last)

        return all_tests(comparison, one, self.column.isNotNull())


_DAY = timedelta(days=1)
