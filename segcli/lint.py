"""`segcli validate --orders …`: definitions checked against the data they will run on.

- error `unknown-value`: a text value a rule compares against (brand, sku, product, category,
  collection, item tag, discount code, country, customer type, customer tag) that never occurs
  in the data, with the closest values that do. Equals/any-of/not values must occur as a whole
  value; `contains` / `starts_with` must match some value. Case and outer spaces do not count,
  as in evaluation.
- warning `holds-for-nobody` / `holds-for-everyone`: the segment's rules (before its options)
  hold for no customer, or for every customer of the data.
- warning `period-before-data`: a period over orders starts before the first order in the
  data, so customers look newer or smaller there than they are.

The counts come from one `api.members_table` pass over all the segments.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from segcli.backends import Inputs
from segcli.errors import Diagnostic, Span, UsageError
from segcli.inputs.tables import Tables
from segcli.periods import resolve_period
from segcli.plan import segment_column
from segcli.spec.model import (
    AllOf,
    AnyOf,
    Attribute,
    Comparison,
    Definition,
    HasOrder,
    Metric,
    NoneOf,
    Not,
    Purchased,
    Reviewed,
    Rule,
    Test,
)

# field → (table, column, separator of a multi-valued cell, where it is described)
Source = tuple[str, str, str | None, str]
ATTRIBUTE_SOURCES: dict[str, Source] = {
    "country": ("customers", "country", None, "the customers"),
    "customer_type": ("customers", "customer_type", None, "the customers"),
    "customer_tag": ("customers", "tags", ",", "the customers' tags"),
}
ORDER_SOURCES: dict[str, Source] = {
    "discount_code": ("orders", "discount_code", " + ", "the orders' discount codes"),
}
ITEM_SOURCES: dict[str, Source] = {
    "sku": ("lines", "sku", None, "the order lines"),
    "product": ("lines", "product_name", None, "the order lines' product names"),
    "brand": ("lines", "brand", None, "the order lines"),
    "category": ("lines", "category", None, "the order lines"),
    "collection": ("lines", "collection", None, "the order lines"),
    "tag": ("lines", "tags", ",", "the order lines' tags"),
}
REVIEW_SOURCES: dict[str, Source] = {
    "sku": ("reviews", "sku", None, "the reviews"),
    "product": ("reviews", "product_name", None, "the reviews' product names"),
}
EVERYONE = "__segcli_lint_everyone"


@dataclass(frozen=True, slots=True)
class TextCheck:
    """One text comparison of a rule, and where its values must occur."""

    field: str
    comparison: Comparison
    source: Source
    span: Span | None


@dataclass(frozen=True, slots=True)
class LintReport:
    findings: tuple[Diagnostic, ...]
    members: dict[str, int]  # segment id → customers for whom its rules hold
    customers: int  # every customer of the data

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.level == "error")


def lint_definitions(
    definitions: Sequence[Definition],
    library: Sequence[Definition],
    inputs: Inputs,
    as_of: datetime,
) -> LintReport:
    """Every finding for every definition, over one read of the distinct values and one pass."""
    tables = _polars(inputs)
    checks = {d.segment_id: list(text_checks(d.rule, tables)) for d in definitions}
    wanted = sorted({c.source for cs in checks.values() for c in cs})
    values, first_order = distinct_values(tables, wanted)
    findings: list[Diagnostic] = []
    for definition in definitions:
        findings += [f for c in checks[definition.segment_id] if (f := _check(c, values))]
        findings += _early_periods(definition, as_of, tables.settings.timezone, first_order)
    counts, everyone = _counts(definitions, library, tables, as_of)
    for definition in definitions:
        findings += _extremes(definition, counts[definition.segment_id], everyone)
    findings.sort(key=lambda f: (f.span.file, f.span.line, f.span.col) if f.span else ("", 0, 0))
    return LintReport(tuple(findings), counts, everyone)


def text_checks(rule: Rule, tables: Tables) -> Iterator[TextCheck]:
    """The text comparisons of a rule (not following in_segment: each file answers for its
    own rules), for the tables the data has."""
    match rule:
        case AllOf(rules=rules) | AnyOf(rules=rules) | NoneOf(rules=rules):
            for sub in rules:
                yield from text_checks(sub, tables)
        case Not(rule=sub):
            yield from text_checks(sub, tables)
        case Attribute(field=name) if name in ATTRIBUTE_SOURCES and tables.customers is not None:
            yield TextCheck(name, rule.comparison, ATTRIBUTE_SOURCES[name], rule.span)
        case Metric(where=where) | HasOrder(where=where):
            for test in where:
                if test.field in ORDER_SOURCES:
                    source = ORDER_SOURCES[test.field]
                    yield TextCheck(test.field, test.comparison, source, rule.span)
        case Purchased(item=item) if tables.lines is not None:
            for test in item:
                yield TextCheck(test.field, test.comparison, ITEM_SOURCES[test.field], rule.span)
        case Reviewed(item=item) if tables.reviews is not None:
            for test in item:
                yield TextCheck(test.field, test.comparison, REVIEW_SOURCES[test.field], rule.span)
        case _:
            return


def _check(check: TextCheck, values: dict[Source, dict[str, str]]) -> Diagnostic | None:
    """The first value of the comparison that matches nothing in the data, as an error."""
    occurring = values.get(check.source, {})
    for test in check.comparison.tests:
        for value in (str(v) for v in test.values):
            if _matches(test, value, occurring):
                continue
            where = check.source[3]
            close = difflib.get_close_matches(value, list(occurring), n=3, cutoff=0.6)
            hint = (
                "did you mean " + " or ".join(f"'{occurring[c]}'" for c in close) + "?"
                if close
                else None
            )
            how = {"contains": "contains", "starts_with": "starts with"}.get(test.op, "is")
            message = f"{check.field}: no value in {where} {how} '{value}'"
            return Diagnostic("unknown-value", message, check.span, hint, level="error")
    return None


def _matches(test: Test, value: str, occurring: dict[str, str]) -> bool:
    match test.op:
        case "contains":
            return any(value in known for known in occurring)
        case "starts_with":
            return any(known.startswith(value) for known in occurring)
        case "eq" | "in" | "not_in":
            return value in occurring
        case _:
            return True


def _early_periods(
    definition: Definition, as_of: datetime, timezone: str, first_order: datetime | None
) -> list[Diagnostic]:
    if first_order is None:
        return []
    findings = []
    for rule in _period_rules(definition.rule):
        start = resolve_period(rule.period, as_of, timezone).start
        if start is not None and start < first_order:
            message = (
                f"the period starts {start.isoformat()}, before the first order in the data "
                f"({first_order.isoformat()}): the data may not cover all of it"
            )
            findings.append(Diagnostic("period-before-data", message, rule.span, level="warning"))
    return findings


def _period_rules(rule: Rule) -> Iterator[Metric | HasOrder | Purchased | Reviewed]:
    match rule:
        case AllOf(rules=rules) | AnyOf(rules=rules) | NoneOf(rules=rules):
            for sub in rules:
                yield from _period_rules(sub)
        case Not(rule=sub):
            yield from _period_rules(sub)
        case Metric() | HasOrder() | Purchased() | Reviewed():
            yield rule
        case _:
            return


def _counts(
    definitions: Sequence[Definition],
    library: Sequence[Definition],
    tables: Tables,
    as_of: datetime,
) -> tuple[dict[str, int], int]:
    """Customers for whom each segment's rules hold (options left aside), and all customers:
    one pass, with a segment that holds for everyone (has an email, or has none)."""
    from segcli.api import members_table  # noqa: PLC0415

    has_email = Attribute("has_email", Comparison((Test("eq", (True,)),)))
    everyone = Definition(
        EVERYONE, EVERYONE, AnyOf((has_email, Not(has_email))), include_unidentified=True
    )
    rules_only = [replace(d, include_unidentified=True, marketing_only=False) for d in definitions]
    table = members_table([*rules_only, everyone], tables, as_of, library)
    counts = {d.segment_id: int(table[segment_column(d)].sum()) for d in definitions}
    return counts, table.height


def _extremes(definition: Definition, members: int, everyone: int) -> list[Diagnostic]:
    span = _rule_span(definition.rule)
    if members == 0:
        message = f"{definition.segment_id}: the rules hold for no customer in the data"
        return [Diagnostic("holds-for-nobody", message, span, level="warning")]
    if members == everyone:
        message = (
            f"{definition.segment_id}: the rules hold for every customer in the data ({everyone})"
        )
        return [Diagnostic("holds-for-everyone", message, span, level="warning")]
    return []


def _polars(inputs: Inputs) -> Tables:
    """The values occurring in the data are read from the Polars engine's tables."""
    if not isinstance(inputs, Tables):
        raise UsageError(f"validate --orders reads with the polars engine, not {inputs.engine}")
    return inputs


def _rule_span(rule: Rule) -> Span | None:
    return rule.span


def distinct_values(
    tables: Tables, sources: Sequence[Source]
) -> tuple[dict[Source, dict[str, str]], datetime | None]:
    """The distinct values of each source (lower-cased → as first written) and the first
    order's time, in one read of the inputs."""
    import polars as pl  # noqa: PLC0415

    from segcli.inputs.checks import QueryRunner  # noqa: PLC0415

    frames = {"orders": tables.orders, "lines": tables.lines, "customers": tables.customers}
    frames["reviews"] = tables.reviews
    queries = [tables.orders.select(pl.col("ordered_at").min())]
    for table, column, separator, _where in sources:
        frame = frames[table]
        assert frame is not None  # text_checks yields only sources of tables the data has
        cell = pl.col(column).cast(pl.String)
        parts = (cell.str.split(separator).explode() if separator else cell).str.strip_chars()
        queries.append(frame.select(parts.alias("value")).unique().drop_nulls())
    first, *found = QueryRunner(tables).collect_all(queries)
    values: dict[Source, dict[str, str]] = {}
    for source, distinct in zip(sources, found, strict=True):
        texts = sorted(v for v in distinct["value"].to_list() if v)
        values[source] = {}
        for text in texts:
            values[source].setdefault(text.lower(), text)
    earliest = first["ordered_at"][0]
    return values, earliest if isinstance(earliest, datetime) else None
