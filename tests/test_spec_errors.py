"""Definition errors (exact code, message, position, hint), valid definitions → model, schema."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from segcli.errors import DefinitionError, Diagnostic
from segcli.spec.fields import COMPARISON_KEYS, FIELDS, OPTION_KEYS, FieldSpec
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
from segcli.spec.parse import load_definitions, load_with_dependencies, parse_definition
from segcli.spec.schema import json_schema

SOURCE = "rules/t.yaml"
DOCS = Path(__file__).resolve().parents[1] / "docs" / "language.md"
BOMB = "".join(
    f"{name}: &{name} [{', '.join([prev] * 9)}]\n"
    for name, prev in zip("abcdefg", ['"lol"', "*a", "*b", "*c", "*d", "*e", "*f"], strict=True)
)


def problems(text: str) -> list[Diagnostic]:
    with pytest.raises(DefinitionError) as info:
        parse_definition(textwrap.dedent(text), SOURCE)
    return info.value.diagnostics


def rule_of(text: str) -> Rule:
    """The rule of a definition whose `rules:` is the given YAML."""
    body = textwrap.indent(textwrap.dedent(text).strip(), "  ")
    return parse_definition(f"name: t\nrules:\n{body}\n", SOURCE).rule


def eq(*values: Scalar) -> Comparison:
    return Comparison((Cmp("eq", values),))


def dec(text: str) -> Decimal:
    return Decimal(text)


# ---- one test per error class: (code, message, line, col, hint) -----------------------------

PERIOD_HINT = (
    "a period is one of: all time, last N days|weeks|months|years, this year, last year, "
    "{from: YYYY-MM-DD, to: YYYY-MM-DD}, {since: YYYY-MM-DD}, {before: YYYY-MM-DD}"
)
HINT = "\n  hint: "
TAG_HINT = HINT + "definitions use plain YAML values only; remove the tag"
ERRORS = {  # name: (definition, the diagnostic as printed less the file name)
    "typo'd field": (
        "name: VIP\nrules:\n  all:\n    - order_cnt: {more_than: 2}\n",
        "4:7: error[unknown-field] unknown field 'order_cnt'"
        + HINT
        + "did you mean 'order_count'?",
    ),
    "wrong type": (
        "name: VIP\nrules:\n  order_count: {more_than: many}\n",
        "3:28: error[wrong-type] order_count more_than: expected a whole number, got 'many'",
    ),
    "unknown period": (
        "name: t\nrules:\n  total_spend: {at_least: 5, period: last 3 fortnights}\n",
        "3:38: error[unknown-period] unknown period 'last 3 fortnights'" + HINT + PERIOD_HINT,
    ),
    "duplicate key": (
        "name: a\nrules: {country: GB}\nname: b\n",
        "3:1: error[duplicate-key] duplicate key 'name' (first at line 1)"
        + HINT
        + "a mapping holds each key once; remove or rename one of them",
    ),
    "yaml syntax": (
        "name: VIP: customers\nrules: {country: GB}\n",
        "1:10: error[yaml-syntax] invalid YAML: mapping values are not allowed here"
        + HINT
        + "put quotes around a value that contains ': '",
    ),
    "unknown option": (
        "name: t\nmarketing_onyl: true\nrules: {country: GB}\n",
        "2:1: error[unknown-option] unknown option 'marketing_onyl'"
        + HINT
        + "did you mean 'marketing_only'?",
    ),
    "between reversed": (
        "name: t\nrules:\n  has_order: {where: {order_total: {between: [100, 50]}}}\n",
        "3:46: error[bad-comparison] order_total between: lo 100 is greater than hi 50"
        + HINT
        + "write [50, 100]",
    ),
    "between with one value": (
        "name: t\nrules:\n  total_spend: {between: [100]}\n",
        "3:26: error[bad-comparison] total_spend between: needs exactly 2 values [lo, hi], "
        "got 1 value" + HINT + "e.g. {between: [50, 100]}",
    ),
    "contains on a number": (
        "name: t\nrules:\n  order_count: {contains: 5}\n",
        "3:17: error[bad-comparison] contains applies to text fields only; order_count is an "
        "integer field"
        + HINT
        + "use exactly, more_than, at_least, less_than, at_most, between or not",
    ),
    "python tag": (
        "name: t\nrules: !!python/object/apply:os.system ['true']\n",
        "2:8: error[bad-tag] YAML tag '!!python/object/apply:os.system' is not allowed" + TAG_HINT,
    ),
    "local tag": (
        "name: t\nrules: {country: !upper gb}\n",
        "2:18: error[bad-tag] YAML tag '!upper' is not allowed" + TAG_HINT,
    ),
    "alias bomb": (
        BOMB + "name: t\nrules: {country: GB}\n",
        "5:1: error[yaml-limit] YAML aliases expand to more than 10000 values",
    ),
    "recursive alias": (
        "name: t\nrules: &r {not: *r}\n",
        "2:8: error[yaml-limit] recursive YAML alias: a node contains itself",
    ),
    "missing name": (
        "rules: {country: GB}\n",
        "1:1: error[missing-key] missing required key 'name'"
        + HINT
        + "a definition needs name: free text",
    ),
    "missing rules": (
        "name: t\n",
        "1:1: error[missing-key] missing required key 'rules'"
        + HINT
        + "a definition needs rules: exactly one rule",
    ),
    "two keys in one rule": (
        "name: t\nrules:\n  all:\n    - country: GB\n      order_count: 1\n",
        "4:7: error[bad-rule] a rule has exactly one key, got 2: country, order_count"
        + HINT
        + "to require several conditions, list each as its own item under all:",
    ),
    "empty group": (
        "name: t\nrules: {any: []}\n",
        "2:14: error[empty-list] any: needs at least one rule",
    ),
    "unknown comparison": (
        "name: t\nrules: {total_spend: {more_then: 5}}\n",
        "2:23: error[unknown-comparison] total_spend: unknown comparison 'more_then'"
        + HINT
        + "did you mean 'more_than'?",
    ),
    "negative count": (
        "name: t\nrules: {order_count: -1}\n",
        "2:22: error[bad-value] order_count: must not be negative, got -1",
    ),
    "period ends before it starts": (
        "name: t\nrules: {registered: {from: 2024-05-01, to: 2024-01-01}}\n",
        "2:21: error[bad-period] period from 2024-05-01 is after to 2024-01-01"
        + HINT
        + "swap the two dates",
    ),
    "purchased without an item field": (
        "name: t\nrules: {purchased: {period: last 2 weeks}}\n",
        "2:20: error[missing-key] purchased: needs at least one item field (sku, product, brand, "
        "category, collection, tag)"
        + HINT
        + "e.g. purchased: {brand: Acme, period: last 6 months}",
    ),
    "order field outside where": (
        "name: t\nrules: {discount_code: SUMMER10}\n",
        "2:9: error[unknown-field] unknown field 'discount_code'"
        + HINT
        + "discount_code is an order field: use it under where:, "
        "e.g. has_order: {where: {discount_code: ...}}",
    ),
    "merge key": (
        "name: t\n<<: {description: x}\nrules: {country: GB}\n",
        "2:1: error[unsupported-yaml] YAML merge keys (<<) are not supported"
        + HINT
        + "write the keys out in full",
    ),
    "missing ids file": (
        "name: t\nrules:\n  customer_id: {file: no-such-ids.txt}\n",
        "3:17: error[file-error] customer_id: cannot read ids file 'no-such-ids.txt': "
        "No such file or directory"
        + HINT
        + "the path is relative to the definition's folder (/nonexistent)",
    ),
}


@pytest.mark.parametrize(("text", "expected"), ERRORS.values(), ids=ERRORS.keys())
def test_definition_error(text: str, expected: str) -> None:
    with pytest.raises(DefinitionError) as info:
        parse_definition(text, SOURCE, base_dir=Path("/nonexistent"))
    assert [str(d) for d in info.value.diagnostics] == [f"{SOURCE}:{expected}"]
    assert info.value.exit_code == 2


def test_error_renders_as_file_line_col() -> None:
    [diagnostic] = problems("name: t\nrules: {order_cnt: 1}\n")
    expected = "rules/t.yaml:2:9: error[unknown-field] unknown field 'order_cnt'\n"
    assert str(diagnostic) == expected + "  hint: did you mean 'order_count'?"


def test_several_errors_in_one_file_are_all_reported_in_order() -> None:
    found = problems(
        """\
        name: t
        bogus: 1
        rules:
          all:
            - order_cnt: 2
            - total_spend: {more_than: abc, period: last 3 fortnights}
            - country: {contains: 5, between: [b, a]}
        """
    )
    assert [(d.code, d.span.line if d.span else 0) for d in found] == [
        ("unknown-option", 2),
        ("unknown-field", 5),
        ("wrong-type", 6),
        ("unknown-period", 6),
        ("bad-comparison", 7),
    ]


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_errors_across_two_files_are_all_reported(tmp_path: Path) -> None:
    a = write(tmp_path, "a.yaml", "name: A\nrules: {order_cnt: 1}\n")
    b = write(tmp_path, "b.yaml", "name: B\nrules: {country: GB}\nmarketing: true\n")
    with pytest.raises(DefinitionError) as info:
        load_definitions([a, b])
    assert [(str(d.span), d.code) for d in info.value.diagnostics] == [
        (f"{a}:2:9", "unknown-field"),
        (f"{b}:3:1", "unknown-option"),
    ]


def test_unknown_segment_is_reported_at_the_in_segment_key(tmp_path: Path) -> None:
    path = write(tmp_path, "x.yaml", "name: X\nrules:\n  not:\n    in_segment: vipp\n")
    write(tmp_path, "vip.yaml", "name: VIP\nrules: {order_count: {more_than: 2}}\n")
    with pytest.raises(DefinitionError) as info:
        load_with_dependencies(path)
    [d] = info.value.diagnostics
    assert (d.code, d.message, str(d.span), d.hint) == (
        "unknown-segment",
        "unknown segment 'vipp'",
        f"{path}:4:5",
        "expected vipp.yaml beside this file, or a definition with name: vipp",
    )


def test_segment_cycle_names_the_cycle(tmp_path: Path) -> None:
    a = write(tmp_path, "a.yaml", "name: A\nrules: {in_segment: b}\n")
    write(tmp_path, "b.yaml", "name: B\nrules:\n  any:\n    - country: GB\n    - in_segment: a\n")
    with pytest.raises(DefinitionError) as info:
        load_with_dependencies(a)
    [d] = info.value.diagnostics
    assert (d.code, d.message, str(d.span)) == (
        "segment-cycle",
        "segment cycle: a -> b -> a",
        f"{a}:2:9",
    )
    (tmp_path / "segcli.yaml").write_text("timezone: UTC\n", encoding="utf-8")  # not a segment
    with pytest.raises(DefinitionError, match=r"segment cycle: a -> b -> a") as info:
        load_definitions([tmp_path])
    assert [d.code for d in info.value.diagnostics] == ["segment-cycle"]


def test_dependencies_are_found_by_stem_and_by_name(tmp_path: Path) -> None:
    target = write(
        tmp_path,
        "x.yaml",
        "name: X\nrules:\n  all:\n    - in_segment: vip\n    - in_segment: Big Spenders\n",
    )
    write(tmp_path, "vip.yaml", "name: VIP\nrules: {order_count: {more_than: 2}}\n")
    write(tmp_path, "big.yml", "name: big spenders\nrules: {total_spend: {at_least: 1000}}\n")
    write(tmp_path, "broken.yaml", "name: [\n")  # not referenced: never read as a dependency
    definition, dependencies = load_with_dependencies(target)
    assert definition.segment_id == "x"
    assert [d.segment_id for d in dependencies] == ["vip", "big"]
    assert definition.source == target
    assert len(definition.source_sha256) == 64


def test_a_broken_dependency_reports_its_own_error_only(tmp_path: Path) -> None:
    target = write(tmp_path, "x.yaml", "name: X\nrules: {in_segment: vip}\n")
    vip = write(tmp_path, "vip.yaml", "name: VIP\nrules: {order_cnt: 3}\n")
    with pytest.raises(DefinitionError) as info:
        load_with_dependencies(target)
    assert [(str(d.span), d.code) for d in info.value.diagnostics] == [
        (f"{vip}:2:9", "unknown-field")
    ]


def test_loading_one_file_does_not_require_its_dependencies_loaded(tmp_path: Path) -> None:
    write(tmp_path, "vip.yaml", "name: VIP\nrules: {order_count: {more_than: 2}}\n")
    x = write(tmp_path, "x.yaml", "name: X\nrules: {in_segment: vip}\n")
    [definition] = load_definitions([x])
    assert definition.rule == InSegment("vip")


def test_customer_ids_from_a_file_beside_the_definition(tmp_path: Path) -> None:
    (tmp_path / "ids.txt").write_text("C001\n\n# a comment\n  c002 \nC001\n", encoding="utf-8")
    path = write(tmp_path, "list.yaml", "name: L\nrules: {customer_id: {file: ids.txt}}\n")
    [definition] = load_definitions([path])
    assert definition.rule == Attribute("customer_id", Comparison((Cmp("in", ("c001", "c002")),)))


# ---- valid definitions → model ----------------------------------------------------------------


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


# ---- JSON Schema ------------------------------------------------------------------------------


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
