"""Valid definitions give the model (spec/parse.py): rules, comparisons, periods, options, and
every example in the field registry and the language docs."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from segcli.spec.fields import FIELDS, FieldSpec
from segcli.spec.model import (
    AllOf,
    AllTime,
    Attribute,
    Before,
    Comparison,
    DateRange,
    Definition,
    FieldTest,
    HasOrder,
    InSegment,
    LastYear,
    Metric,
    Not,
    Period,
    Purchased,
    Recency,
    Registered,
    Reviewed,
    Rolling,
    Rule,
    Scalar,
    Since,
    ThisYear,
)
from segcli.spec.model import Test as Cmp  # not `Test*`: pytest would collect it
from segcli.spec.parse import parse_definition

SOURCE = "rules/t.yaml"
DOCS = Path(__file__).resolve().parents[1] / "docs" / "language.md"


def rule_of(text: str) -> Rule:
    """The rule of a definition whose `rules:` is the given YAML."""
    body = textwrap.indent(textwrap.dedent(text).strip(), "  ")
    return parse_definition(f"name: t\nrules:\n{body}\n", SOURCE).rule


def eq(*values: Scalar) -> Comparison:
    return Comparison((Cmp("eq", values),))


def dec(text: str) -> Decimal:
    return Decimal(text)


def test_vip_example_gives_the_model() -> None:
    text = """\
        name: VIP customers
        description: More than two orders and over 500 spent, all time.
        as_of: 2024-06-01
        include_unidentified: false
        marketing_only: yes
        min_members: 10
        max_change_percent: 12.5
        rules:
          all:
            - order_count: {more_than: 2}
            - total_spend: {more_than: 500}
        """
    definition = parse_definition(textwrap.dedent(text), "rules/vip.yaml")
    assert definition == Definition(
        segment_id="vip",
        name="VIP customers",
        description="More than two orders and over 500 spent, all time.",
        as_of=date(2024, 6, 1),
        marketing_only=True,
        min_members=10,
        max_change_percent=dec("12.5"),
        rule=AllOf(
            (
                Metric("order_count", Comparison((Cmp("gt", (dec("2"),)),))),
                Metric("total_spend", Comparison((Cmp("gt", (dec("500"),)),))),
            )
        ),
        source_sha256=definition.source_sha256,
    )
    assert definition.rule.span is not None
    assert (definition.rule.span.line, definition.rule.span.col) == (9, 3)


MODELS: dict[str, tuple[str, Rule]] = {
    "scalar means equals; text normalized": ("country: ' GB '", Attribute("country", eq("gb"))),
    "a list means any of": (
        "country: [GB, IE, gb]",
        Attribute("country", Comparison((Cmp("in", ("gb", "ie")),))),
    ),
    "postal codes stay text": ("postal_code: 01234", Attribute("postal_code", eq("01234"))),
    "mapping: all keys hold": (
        "postal_code: {starts_with: SW1, not: [SW1A 1AA, SW1A 2AA]}",
        Attribute(
            "postal_code",
            Comparison((Cmp("starts_with", ("sw1",)), Cmp("not_in", ("sw1a 1aa", "sw1a 2aa")))),
        ),
    ),
    "metric with period and where": (
        "order_count: {exactly: 1, period: last 90 days, where: {discount_code: SUMMER10}}",
        Metric(
            "order_count",
            eq(dec("1")),
            Rolling(90, "days"),
            (FieldTest("discount_code", eq("summer10")),),
        ),
    ),
    "money is an exact decimal": (
        "total_spend: {at_least: 499.99}",
        Metric("total_spend", Comparison((Cmp("ge", (dec("499.99"),)),))),
    ),
    "has_order with where and period": (
        (
            "has_order: {where: {order_total: {between: [50, 100]}, status: {not: refunded}},"
            " period: last 1 month}"
        ),
        HasOrder(
            Rolling(1, "months"),
            (
                FieldTest("order_total", Comparison((Cmp("between", (dec("50"), dec("100"))),))),
                FieldTest("status", Comparison((Cmp("not_in", ("refunded",)),))),
            ),
        ),
    ),
    "has_order false": ("has_order: false", Not(HasOrder())),
    "never bought P": (
        "not: {purchased: {sku: P-1}}",
        Not(Purchased((FieldTest("sku", eq("p-1")),))),
    ),
    "one line item": (
        "purchased: {product: {contains: Mug}, brand: Acme, period: this year}",
        Purchased(
            (
                FieldTest("product", Comparison((Cmp("contains", ("mug",)),))),
                FieldTest("brand", eq("acme")),
            ),
            ThisYear(),
        ),
    ),
    "reviewed": ("reviewed: {sku: SKU-123}", Reviewed((FieldTest("sku", eq("sku-123")),))),
    "recency date": (
        "last_order_date: {less_than: 2024-01-01}",
        Recency("last_order_date", Comparison((Cmp("lt", (date(2024, 1, 1),)),))),
    ),
    "booleans accept yes/no": ("accepts_marketing: yes", Attribute("accepts_marketing", eq(True))),
    "in_segment": ("in_segment: vip", InSegment("vip")),
}


@pytest.mark.parametrize(("text", "expected"), MODELS.values(), ids=MODELS.keys())
def test_valid_rules_give_the_model(text: str, expected: Rule) -> None:
    assert rule_of(text) == expected


def test_country_no_is_the_text_no_not_a_boolean() -> None:
    rule = rule_of("country: NO")
    assert rule == Attribute("country", eq("no"))
    assert isinstance(rule, Attribute)
    assert rule.comparison.tests[0].values == ("no",)


PERIODS: dict[str, Period] = {
    "all time": AllTime(),
    "ALL  Time": AllTime(),
    "last 90 days": Rolling(90, "days"),
    "last 1 week": Rolling(1, "weeks"),
    "last 6 months": Rolling(6, "months"),
    "last 2 years": Rolling(2, "years"),
    "this year": ThisYear(),
    "last year": LastYear(),
    "{from: 2024-01-01, to: 2024-06-30}": DateRange(date(2024, 1, 1), date(2024, 6, 30)),
    "{since: 2024-01-01}": Since(date(2024, 1, 1)),
    "{before: '2024-01-01'}": Before(date(2024, 1, 1)),
}


@pytest.mark.parametrize(("text", "expected"), PERIODS.items(), ids=PERIODS.keys())
def test_periods(text: str, expected: Period) -> None:
    assert rule_of(f"registered: {text}") == Registered(expected)


def test_as_of_datetime_keeps_its_offset() -> None:
    text = "name: t\nas_of: 2024-06-01T10:00:00+02:00\nrules: {has_order: true}\n"
    definition = parse_definition(text)
    assert definition.as_of == datetime(2024, 6, 1, 10, tzinfo=timezone(timedelta(hours=2)))
    assert definition.segment_id == "t"


@pytest.mark.parametrize("spec", FIELDS, ids=[f.name for f in FIELDS])
def test_every_registry_example_parses(spec: FieldSpec) -> None:
    rule = rule_of(spec.example)
    assert rule.span is not None


def test_every_yaml_example_in_the_language_doc_parses() -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.DOTALL)
    assert len(blocks) >= 2
    for block in blocks:
        if block.startswith("name:"):
            parse_definition(block, str(DOCS))
        else:
            rule_of("all:\n" + textwrap.indent(block, "  "))


def test_spec_does_not_import_polars() -> None:
    code = "import sys, segcli.spec.parse, segcli.spec.schema; print('polars' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
