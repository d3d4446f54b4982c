"""Running tests for definitions: each test's rows through the same plan and pass as `build`.

A test's inline rows are written as canonical CSV files in a temporary folder and read by the
ordinary readers, so a test exercises exactly what a build over real exports does (money
parsing, time zones, identity). Its members are the keys a snapshot of the segment would hold.
For every difference, the rule values that decided it come from `segcli why`'s machinery.
"""

from __future__ import annotations

import csv
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from segcli import api
from segcli.backends import Inputs
from segcli.deftests.files import TABLES, DefinitionTest, load_tests
from segcli.errors import DefinitionError, Diagnostic, ExitCode, SegcliError
from segcli.inputs.settings import Settings
from segcli.spec.model import Definition
from segcli.why import Line, explain_customer

# The header of a table written with no rows (`orders: []`), and of the lines and reviews a
# test leaves out: no rows there means nobody bought or reviewed anything.
EMPTY_HEADER = {
    "orders": ("order_id", "email", "ordered_at", "total"),
    "lines": ("order_id", "sku"),
    "customers": ("customer_id", "email"),
    "reviews": ("email", "sku", "reviewed_at"),
    "products": ("sku",),
}
ALWAYS_WRITTEN = ("orders", "lines", "reviews")
OPTIONS_NOTE = (
    "the rules hold, but the segment's options leave the customer out "
    "(no email address, or marketing_only without consent)"
)

Status = Literal["passed", "failed", "error"]


@dataclass(frozen=True, slots=True)
class Difference:
    """A customer expected and not a member (`missing`), or a member not expected."""

    customer: str
    missing: bool
    lines: tuple[Line, ...]  # the rule values (`segcli why`); empty when not in the data
    note: str = ""


@dataclass(frozen=True, slots=True)
class Verdict:
    path: Path
    segment: str
    as_of: datetime | None
    expected: tuple[str, ...]
    actual: tuple[str, ...] = ()
    differences: tuple[Difference, ...] = ()
    error: str = ""

    @property
    def status(self) -> Status:
        if self.error:
            return "error"
        return "failed" if self.differences else "passed"


@dataclass(frozen=True, slots=True)
class SuiteReport:
    results: tuple[Verdict, ...]

    @property
    def exit_code(self) -> ExitCode:
        """2 when a test could not run (a bad test file), else 1 when any failed, else 0."""
        statuses = {r.status for r in self.results}
        if "error" in statuses:
            return ExitCode.BAD_DEFINITION
        return ExitCode.SEGMENTS_FAILED if "failed" in statuses else ExitCode.OK

    def count(self, status: Status) -> int:
        return sum(1 for r in self.results if r.status == status)

    def as_json(self) -> dict[str, object]:
        return {
            "exit_code": int(self.exit_code),
            "passed": self.count("passed"),
            "failed": self.count("failed"),
            "errors": self.count("error"),
            "tests": [_result_json(r) for r in self.results],
        }


def _result_json(result: Verdict) -> dict[str, object]:
    return {
        "test": str(result.path),
        "segment": result.segment,
        "as_of": result.as_of.isoformat() if result.as_of else None,
        "status": result.status,
        "expected": list(result.expected),
        "actual": list(result.actual),
        "missing": [_difference_json(d) for d in result.differences if d.missing],
        "extra": [_difference_json(d) for d in result.differences if not d.missing],
        "error": result.error,
    }


def _difference_json(difference: Difference) -> dict[str, object]:
    return {
        "customer": difference.customer,
        "note": difference.note,
        "rules": [
            {"depth": line.depth, "held": line.held, "rule": line.text, "value": line.value}
            for line in difference.lines
        ],
    }


def run_tests(paths: list[Path]) -> SuiteReport:
    """Run every test of the files or folders (a rules folder: its `tests/` subfolder).

    Bad test files and bad definitions raise one DefinitionError before any test runs."""
    tests = load_tests(paths)
    loaded = _load_definitions(tests)
    results = [run_test(test, *loaded[test.definition.resolve()]) for test in tests]
    return SuiteReport(tuple(results))


def _load_definitions(
    tests: list[DefinitionTest],
) -> dict[Path, tuple[Definition, list[Definition]]]:
    loaded: dict[Path, tuple[Definition, list[Definition]]] = {}
    diagnostics: list[Diagnostic] = []
    for test in tests:
        key = test.definition.resolve()
        if key in loaded:
            continue
        try:
            loaded[key] = api.load_with_dependencies(test.definition)
        except DefinitionError as error:
            diagnostics += [d for d in error.diagnostics if d not in diagnostics]
    if diagnostics:
        raise DefinitionError(diagnostics)
    return loaded


def run_test(test: DefinitionTest, definition: Definition, library: list[Definition]) -> Verdict:
    """One test: its rows written as CSV, read and evaluated as `build` would."""
    settings = project_settings(test.definition)
    with tempfile.TemporaryDirectory(prefix="segcli-test-") as folder:
        paths = write_tables(test, Path(folder))
        try:
            tables = api.open_tables(
                paths["orders"],
                lines=paths.get("lines"),
                customers=paths.get("customers"),
                reviews=paths.get("reviews"),
                products=paths.get("products"),
                settings=settings,
            )
            as_of = api.effective_as_of(definition, test.as_of, settings)
            actual = api.member_keys(definition, tables, as_of, library=library)
            differences = _differences(test, definition, library, tables, as_of, actual)
        except SegcliError as error:
            message = _in_test_terms(str(error), paths, test)
            return Verdict(test.path, definition.segment_id, None, test.members, error=message)
    return Verdict(
        test.path, definition.segment_id, as_of, test.members, tuple(actual), tuple(differences)
    )


def project_settings(definition: Path) -> Settings:
    """What the project config beside the definition says about evaluating it (time zone,
    excluded statuses, default currency); how its files are laid out does not apply to rows
    written in a test."""
    from segcli.inputs.config import find_config, load_settings  # noqa: PLC0415

    path = find_config(definition)
    if path is None:
        return Settings()
    found = load_settings(path)
    return Settings(
        timezone=found.timezone, exclude_statuses=found.exclude_statuses, currency=found.currency
    )


def write_tables(test: DefinitionTest, folder: Path) -> dict[str, Path]:
    """`<table>.csv` for every table the test writes, and header-only lines and reviews."""
    paths: dict[str, Path] = {}
    for table in TABLES:
        rows = test.rows(table)
        if rows is None and table not in ALWAYS_WRITTEN:
            continue
        columns = rows.columns if rows is not None and rows.columns else EMPTY_HEADER[table]
        path = folder / f"{table}.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(columns)
            writer.writerows(rows.rows if rows is not None else ())
        paths[table] = path
    return paths


def _differences(
    test: DefinitionTest,
    definition: Definition,
    library: list[Definition],
    tables: Inputs,
    as_of: datetime,
    actual: list[str],
) -> list[Difference]:
    expected = {key.strip().casefold(): key.strip() for key in test.members}
    got = {key.casefold(): key for key in actual}
    missing = [(expected[k], True) for k in expected if k not in got]
    extra = [(got[k], False) for k in sorted(got) if k not in expected]
    return [
        _difference(customer, missing=is_missing, found=found)
        for customer, is_missing in missing + extra
        for found in [explain_customer(definition, library, tables, as_of, customer)]
    ]


def _difference(
    customer: str, *, missing: bool, found: tuple[bool, list[Line]] | None
) -> Difference:
    if found is None:
        return Difference(customer, missing, (), "not in the test's data")
    member, lines = found
    note = OPTIONS_NOTE if missing and not member and lines and lines[0].held else ""
    return Difference(customer, missing, tuple(lines), note)


def _in_test_terms(message: str, paths: dict[str, Path], test: DefinitionTest) -> str:
    """A reader's message names a temporary file: name the test file's table instead."""
    for table, path in paths.items():
        message = message.replace(str(path), f"{test.path} ({table})")
    return message.replace("(--lines)", "(lines:)").replace("(--reviews)", "(reviews:)")
