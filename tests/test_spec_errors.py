"""Definition errors (exact code, message, position, hint), in one file and across files.

Valid definitions and the model they give are in test_spec_parse.py, the JSON Schema in
test_spec_schema.py.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from segcli.errors import DefinitionError, Diagnostic
from segcli.spec.model import Attribute, Comparison, InSegment
from segcli.spec.model import Test as Cmp  # not `Test*`: pytest would collect it
from segcli.spec.parse import load_definitions, load_with_dependencies, parse_definition

SOURCE = "rules/t.yaml"
BOMB = "".join(
    f"{name}: &{name} [{', '.join([prev] * 9)}]\n"
    for name, prev in zip("abcdefg", ['"lol"', "*a", "*b", "*c", "*d", "*e", "*f"], strict=True)
)


def problems(text: str) -> list[Diagnostic]:
    with pytest.raises(DefinitionError) as info:
        parse_definition(textwrap.dedent(text), SOURCE)
    return info.value.diagnostics


# ---- one test per error class: (code, message, line, col, hint) -----------------------------

PERIOD_HINT = (
    "a period is one of: all time, last N days|weeks|months|years, this year, last year, "
    "{from: YYYY-MM-DD, to: YYYY-MM-DD}, {since: YYYY-MM-DD}, {before: YYYY-MM-DD}"
)
HINT = "\n  hint: "
TAG_HINT = HINT + "segcli reads plain YAML values only; remove the tag"
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
