"""Test files for definitions: YAML with positions → `DefinitionTest`, every problem collected.

A test file names one segment, an as-of, a few rows of each table written inline and the
members expected (docs/workflow.md). It is checked like a definition: every problem in every
file is reported at `file:line:col`, and nothing is evaluated until all of them are good. The
rows use the canonical columns of docs/inputs.md; their cells are checked here for the types
that readers would otherwise report against a temporary file the user never sees.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from segcli.errors import DefinitionError, Diagnostic, Span, did_you_mean
from segcli.inputs.columns import SPECS, ColumnKind
from segcli.spec.parse import definition_files, find_segment_file
from segcli.spec.values import Collector, parse_date, read_list, read_map, read_text
from segcli.spec.yamlpos import YMap, YNode, YScalar, YSeq, load_yaml

TABLES = ("orders", "lines", "customers", "reviews", "products")
KEYS = ("segment", "description", "as_of", "members", *TABLES)
REQUIRED_KEYS = ("segment", "as_of", "orders", "members")
_MONEY = re.compile(r"-?\d+(?:\.\d+)?")
_INTEGER = re.compile(r"-?\d+")
_BOOLEANS = ("true", "false", "yes", "no")
_KIND_TEXT = {
    "money": "a number like 500.00",
    "timestamp": "a date YYYY-MM-DD or an ISO datetime",
    "integer": "a whole number",
    "boolean": "true or false",
}


@dataclass(frozen=True, slots=True)
class TableRows:
    """One table's rows as text cells, in the order written; `columns` in first-seen order."""

    table: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    span: Span


@dataclass(frozen=True, slots=True)
class DefinitionTest:
    path: Path
    segment: str
    definition: Path  # the definition file the test is for
    as_of: date | datetime
    members: tuple[str, ...]  # identity keys as written
    tables: tuple[TableRows, ...]
    description: str = ""

    def rows(self, table: str) -> TableRows | None:
        return next((t for t in self.tables if t.table == table), None)


def list_test_files(paths: list[Path]) -> list[Path]:
    """The test files a command line names: files as given; a folder's `tests/` subfolder if it
    has one (a rules folder), else the folder's own `*.yaml` / `*.yml` files."""
    files: list[Path] = []
    for path in paths:
        if not path.is_dir():
            files.append(path)
            continue
        files += definition_files(path / "tests" if (path / "tests").is_dir() else path)
    return files


def load_tests(paths: list[Path]) -> list[DefinitionTest]:
    """Every test file checked; one DefinitionError with all problems of all files."""
    tests: list[DefinitionTest] = []
    diagnostics: list[Diagnostic] = []
    files = list_test_files(paths)
    if not files:
        where = ", ".join(str(p) for p in paths)
        diagnostics.append(Diagnostic("file-error", f"no test files (*.yaml) in {where}"))
    for path in files:
        test, problems = _load_file(path)
        diagnostics += problems
        tests += [test] if test is not None else []
    if diagnostics:
        raise DefinitionError(diagnostics)
    return tests


def _load_file(path: Path) -> tuple[DefinitionTest | None, list[Diagnostic]]:
    try:
        data = path.read_bytes()
        text = data.decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Diagnostic("file-error", f"cannot read {path} as UTF-8 text: {exc}")]
    root, problems = load_yaml(text, str(path))
    ctx = Collector()
    ctx.diagnostics += problems
    if root is None and not problems:
        ctx.error("missing-key", "empty test file", Span(str(path), 1, 1), _FORMAT_HINT)
    test = None if root is None else _read_test(root, path, ctx)
    if ctx.diagnostics or test is None:
        return None, sorted(dict.fromkeys(ctx.diagnostics), key=_position)
    return test, []


_FORMAT_HINT = "a test file has segment:, as_of:, orders: (a list of rows) and members: (a list)"


def _read_test(root: YNode, path: Path, ctx: Collector) -> DefinitionTest | None:
    top = read_map(root, "a test file", ctx)
    if top is None:
        return None
    values = {key.text: value for key, value in top.items}
    for key, _value in top.items:
        if key.text not in KEYS:
            hint = did_you_mean(key.text, KEYS) or f"the keys are: {', '.join(KEYS)}"
            ctx.error("unknown-key", f"unknown key '{key.text}' in a test file", key.span, hint)
    for required in REQUIRED_KEYS:
        if required not in values:
            ctx.error("missing-key", f"missing required key '{required}'", top.span, _FORMAT_HINT)
    segment = _read_segment(values.get("segment"), path, ctx)
    as_of = _read_as_of(values.get("as_of"), ctx)
    members = _read_members(values.get("members"), ctx)
    tables = tuple(
        rows
        for table in TABLES
        if table in values and (rows := _read_rows(table, values[table], ctx)) is not None
    )
    description = values.get("description")
    if segment is None or as_of is None or members is None:
        return None
    return DefinitionTest(
        path=path,
        segment=segment[0],
        definition=segment[1],
        as_of=as_of,
        members=members,
        tables=tables,
        description=(read_text(description, "description", ctx, allow_empty=True) or "")
        if description is not None
        else "",
    )


def _read_segment(node: YNode | None, path: Path, ctx: Collector) -> tuple[str, Path] | None:
    """The segment's id and file: `<ref>.yaml` (or a file whose name: is ref) in the folder
    above the test's folder (rules/tests/ → rules/), else in the test's own folder."""
    if node is None:
        return None
    ref = read_text(node, "segment", ctx)
    if ref is None:
        return None
    for folder in (path.parent.parent, path.parent):
        found = find_segment_file(folder, ref)
        if found is not None and found.resolve() != path.resolve():
            return ref, found
    stems = [p.stem for p in sorted(path.parent.parent.glob("*.y*ml"))]
    hint = (
        did_you_mean(ref, stems) or f"segment: is a definition's file stem in {path.parent.parent}"
    )
    ctx.error("unknown-segment", f"no definition '{ref}' for this test", node.span, hint)
    return None


def _read_as_of(node: YNode | None, ctx: Collector) -> date | datetime | None:
    if node is None:
        return None
    raw = node.text.strip() if isinstance(node, YScalar) and not node.is_null else ""
    day = parse_date(raw)
    if day is not None:
        return day
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        expected = "a date YYYY-MM-DD or an ISO datetime with a UTC offset"
        ctx.wrong_type("as_of", expected, node, "e.g. as_of: 2025-01-01")
        return None
    return moment


def _read_members(node: YNode | None, ctx: Collector) -> tuple[str, ...] | None:
    if node is None:
        return None
    if isinstance(node, YSeq) and not node.items:
        return ()
    items = read_list(node, "members", ctx)
    if items is None:
        return None
    keys = [read_text(item, "a member (customer id or email)", ctx) for item in items]
    return tuple(k for k in keys if k is not None) if None not in keys else None


def _read_rows(table: str, node: YNode, ctx: Collector) -> TableRows | None:
    """A list of rows (mappings of canonical column → scalar); `[]` is a table with no rows."""
    spec = SPECS[table]
    if isinstance(node, YSeq) and not node.items:
        return TableRows(table, (), (), node.span)
    items = read_list(node, table, ctx)
    if items is None:
        return None
    cells: list[dict[str, str]] = []
    mark = ctx.mark()
    for item in items:
        row = read_map(item, f"a row of {table}", ctx)
        cells += [_read_row(table, row, spec, ctx)] if row is not None else []
    if ctx.failed_since(mark):
        return None
    columns = tuple(dict.fromkeys(column for row in cells for column in row))
    rows = tuple(tuple(row.get(column, "") for column in columns) for row in cells)
    return TableRows(table, columns, rows, node.span)


def _read_row(table: str, row: YMap, spec: dict[str, ColumnKind], ctx: Collector) -> dict[str, str]:
    cells: dict[str, str] = {}
    for key, value in row.items:
        if key.text not in spec:
            hint = did_you_mean(key.text, list(spec)) or f"the columns are: {', '.join(spec)}"
            ctx.error("unknown-column", f"{table}: unknown column '{key.text}'", key.span, hint)
            continue
        if not isinstance(value, YScalar):
            ctx.wrong_type(f"{table}.{key.text}", "one value", value)
            continue
        text = "" if value.is_null else value.text.strip()
        if text and not _fits(text, spec[key.text]):
            expected = _KIND_TEXT[spec[key.text]]
            ctx.wrong_type(f"{table}.{key.text}", expected, value)
            continue
        cells[key.text] = text
    return cells


def _fits(text: str, kind: ColumnKind) -> bool:
    match kind:
        case "money":
            return _MONEY.fullmatch(text) is not None
        case "integer":
            return _INTEGER.fullmatch(text) is not None
        case "boolean":
            return text.lower() in _BOOLEANS
        case "timestamp":
            return parse_date(text) is not None or _iso_datetime(text)
        case _:
            return True


def _iso_datetime(text: str) -> bool:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def _position(diagnostic: Diagnostic) -> tuple[str, int, int]:
    span = diagnostic.span
    return (span.file, span.line, span.col) if span is not None else ("", 0, 0)
