"""Everything that talks to people: diagnostics with excerpt and caret, summaries, tables.

Only the CLI imports this module. Messages, summaries and progress go to stderr; what a command
was asked to show (a preview, a why, an inspect report) goes to stdout. Tables are fitted to the
width of the terminal (80 columns through a pipe, or $COLUMNS): a cell never wraps; columns that
do not fit are dropped and long cells cut, and a line on stderr says so.
"""

from __future__ import annotations

import io
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from segcli.errors import Diagnostic
from segcli.inputs.csvfile import csv_reader

if TYPE_CHECKING:
    from collections.abc import Sequence

    from segcli.api import CustomerSegments
    from segcli.deftests import SuiteReport, Verdict
    from segcli.grid import GridCounts, GroupChange
    from segcli.history import History
    from segcli.nightly import RunReport, SegmentOutcome
    from segcli.reasons import DiffReasons
    from segcli.spec.grid import Grid
    from segcli.why import Line


@cache
def stderr() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def _excerpt(diagnostic: Diagnostic) -> list[str]:
    span = diagnostic.span
    if span is None or span.line < 1:
        return []
    try:
        lines = Path(span.file).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    if span.line > len(lines):
        return []
    text = lines[span.line - 1]
    gutter = f"{span.line:>4} | "
    return [f"{gutter}{text}", " " * (len(gutter) + max(span.col - 1, 0)) + "^"]


def working(message: str) -> AbstractContextManager[object]:
    """A spinner on a terminal while long work runs; nothing when stderr is a file or a pipe."""
    console = stderr()
    if console.is_terminal:
        return console.status(escape(message))
    return nullcontext()


def print_diagnostics(diagnostics: list[Diagnostic]) -> None:
    console = stderr()
    for diagnostic in diagnostics:
        where = f"{diagnostic.span}: " if diagnostic.span else ""
        console.print(
            f"{escape(where)}[bold red]error[/]{escape(f'[{diagnostic.code}]')} "
            f"{escape(diagnostic.message)}"
        )
        for line in _excerpt(diagnostic):
            console.print(f"[dim]{escape(line)}[/]")
        if diagnostic.hint:
            console.print(f"  [cyan]hint:[/] {escape(diagnostic.hint)}")
    count = len(diagnostics)
    console.print(f"{count} problem{'s' if count != 1 else ''} found; no data was read.")


def print_error(message: str) -> None:
    stderr().print(f"[bold red]error:[/] {escape(message)}")


def print_info(message: str) -> None:
    stderr().print(escape(message))


STATUS_STYLE = {
    "written": "green",
    "replaced": "yellow",
    "completed": "green",
    "unchanged": "dim",
    "kept": "dim",
    "failed": "bold red",
    "guarded": "bold red",
}


def print_outcome(outcome: SegmentOutcome) -> None:
    style = STATUS_STYLE.get(outcome.status, "")
    members = "" if outcome.members is None else f"{outcome.members} members"
    change = "" if outcome.change is None else f" ({outcome.change:+d})"
    if outcome.moved_out:
        change += f" ({outcome.moved_out} moved to higher-priority segments)"
    message = f"  {outcome.message}" if outcome.status in ("failed", "guarded") else ""
    stderr().print(
        f"[{style}]{outcome.status:<9}[/] {escape(outcome.segment):<28} {members}{change}"
        f"{escape(message)}"
    )


def print_run_summary(report: RunReport) -> None:
    counts: dict[str, int] = {}
    for outcome in report.segments:
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    parts = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    stderr().print(
        f"{len(report.segments)} segments as of {report.as_of}: {parts} "
        f"[{report.seconds:.2f} s] → exit {int(report.exit_code)}"
    )


# The export columns a preview keeps first when the terminal is narrow: who to mail and why.
PREVIEW_PRIORITY = ("Email Address", "Name", "Lifetime Spend", "Country", "Customer ID")


def print_preview(name: str, members: int, as_of: datetime, data: bytes) -> None:
    """A count and the first rows as a table (on stdout: this is what was asked for)."""
    reader = csv_reader(io.StringIO(data.decode("utf-8")))
    header, *rows = list(reader)
    console = Console(highlight=False)
    console.print(Text(f"{name}: {members} members as of {as_of.isoformat()}"), soft_wrap=True)
    fitted = fit_table(header, rows, console.width, PREVIEW_PRIORITY)
    console.print(fitted.table)
    _say_fitted(fitted, console.width, "`segcli build … -o -` writes every column in full")
    if members > len(rows):
        stderr().print(f"… and {members - len(rows)} more")


def print_check(path: Path, status: str, problems: tuple[str, ...]) -> None:
    style = {"ok": "green", "mismatch": "bold red", "incomplete": "yellow"}.get(status, "")
    detail = f"  {'; '.join(problems)}" if problems else ""
    stderr().print(f"[{style}]{status:<10}[/] {escape(str(path))}{escape(detail)}")


def print_why(segment: str, member: bool, lines: list[Line]) -> None:
    console = Console(highlight=False, soft_wrap=True)
    verdict = "[green]is a member[/]" if member else "[red]is not a member[/]"
    console.print(f"{escape(segment)}: the customer {verdict}")
    for line in lines:
        mark = "[green]✓[/]" if line.held else "[red]✗[/]"
        value = f"  [dim]{escape(line.value)}[/]" if line.value else ""
        console.print(f"{'  ' * (line.depth + 1)}{mark} {escape(line.text)}{value}")


TEST_STYLE = {"passed": "green", "failed": "bold red", "error": "bold red"}


def print_test_report(report: SuiteReport) -> None:
    """The pass/fail table, then for each failure who is missing and who is extra, with the
    rule values that decided it (on stdout: this is what was asked for)."""
    console = Console(highlight=False, soft_wrap=True)
    rows = [("result", "test", "segment", "as of", "expected", "members")]
    for result in report.results:
        as_of = result.as_of.isoformat() if result.as_of else "-"
        members = "-" if result.error else str(len(result.actual))
        rows.append(
            (result.status, str(result.path), result.segment, as_of, str(len(result.expected)),
             members)
        )  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for index, row in enumerate(rows):
        cells = [escape(cell.ljust(width)) for cell, width in zip(row, widths, strict=True)]
        style = "bold" if index == 0 else TEST_STYLE[row[0]]
        console.print(f"[{style}]{cells[0]}[/]  " + "  ".join(cells[1:]).rstrip())
    for result in report.results:
        if result.status != "passed":
            _print_test_failure(console, result)


def _print_test_failure(console: Console, result: Verdict) -> None:
    console.print(f"\n[bold red]{result.status}[/] {escape(str(result.path))}")
    if result.error:
        console.print(f"  {escape(result.error)}")
        return
    for difference in result.differences:
        what = (
            "missing (expected, not a member)"
            if difference.missing
            else "extra (a member, not expected)"
        )
        console.print(f"  {escape(difference.customer)}: {what}")
        if difference.note:
            console.print(f"    [dim]{escape(difference.note)}[/]")
        for line in difference.lines:
            mark = "[green]✓[/]" if line.held else "[red]✗[/]"
            value = f"  [dim]{escape(line.value)}[/]" if line.value else ""
            console.print(f"{'  ' * (line.depth + 2)}{mark} {escape(line.text)}{value}")


def print_test_summary(report: SuiteReport) -> None:
    counts = ", ".join(
        f"{report.count(status)} {status}"
        for status in ("passed", "failed", "error")
        if report.count(status) or status == "passed"
    )
    total = len(report.results)
    stderr().print(
        f"{total} test{'s' if total != 1 else ''}: {counts} → exit {int(report.exit_code)}"
    )


def print_findings(findings: Sequence[Diagnostic]) -> None:
    """Findings of `validate --orders`: errors and warnings with excerpt and caret."""
    console = stderr()
    for finding in findings:
        style = "bold red" if finding.level == "error" else "yellow"
        where = f"{finding.span}: " if finding.span else ""
        console.print(
            f"{escape(where)}[{style}]{finding.level}[/]{escape(f'[{finding.code}]')} "
            f"{escape(finding.message)}"
        )
        excerpt = Diagnostic(finding.code, finding.message, finding.span)
        for line in _excerpt(excerpt):
            console.print(f"[dim]{escape(line)}[/]")
        if finding.hint:
            console.print(f"  [cyan]hint:[/] {escape(finding.hint)}")
    errors = sum(1 for f in findings if f.level == "error")
    warnings = len(findings) - errors
    console.print(f"against the data: {errors} error(s), {warnings} warning(s)")


def print_customer_segments(answer: CustomerSegments) -> None:
    """The segments the customer is in, each with its rule values; then the others by name
    (on stdout: this is what was asked for)."""
    console = Console(highlight=False, soft_wrap=True)
    member_of = [s for s in answer.segments if s.member]
    console.print(
        f"in {len(member_of)} of {len(answer.segments)} segments as of {answer.as_of.isoformat()}"
    )
    for segment in member_of:
        console.print(f"[green]✓[/] {escape(segment.segment)}  [dim]{escape(segment.name)}[/]")
        for line in segment.lines:
            mark = "[green]✓[/]" if line.held else "[red]✗[/]"
            value = f"  [dim]{escape(line.value)}[/]" if line.value else ""
            console.print(f"{'  ' * (line.depth + 2)}{mark} {escape(line.text)}{value}")
    others = [s.segment for s in answer.segments if not s.member]
    if others:
        console.print(f"[red]✗[/] not in: {escape(', '.join(others))}")
    for segment_id, message in answer.unanswered:
        stderr().print(f"[yellow]not answered[/] {escape(segment_id)}: {escape(message)}")


def print_reasons(reasons: DiffReasons, limit: int) -> None:
    """The reasons by count, then each changed customer's flipped rules (on stdout)."""
    console = Console(highlight=False, soft_wrap=True)
    if reasons.definition_changed:
        console.print("[yellow]the definition changed between the two snapshots[/]")
    if not reasons.definition_current:
        stderr().print(
            "note: the definition given is not the one the newer snapshot was built from; "
            "the reasons use the definition given"
        )
    for way, reason, count in reasons.summary():
        console.print(f"{count:,} {way}: {escape(reason)}")
    for change in reasons.changes[:limit]:
        way = "entered" if change.entered else "left"
        console.print(f"  {escape(change.customer)} {way}: {escape(change.reason)}")
        for flip in change.flips:
            console.print(f"    {escape(str(flip))}")
    if len(reasons.changes) > limit:
        stderr().print(f"… and {len(reasons.changes) - limit} more (--limit, or --json for all)")


# ---- tables that fit the width ----------------------------------------------------------------

MIN_COLUMN = 8  # a cut column still shows this many characters (all of a shorter one)


@dataclass(frozen=True)
class FittedTable:
    """A table whose cells each fit on one line, and what was left out to make it fit."""

    table: Table
    hidden: tuple[str, ...]  # headers of the columns that did not fit
    cut: bool  # some header or cell is shortened with an ellipsis


def fit_table(
    header: Sequence[str], rows: Sequence[Sequence[str]], width: int, priority: Sequence[str] = ()
) -> FittedTable:
    """Columns in `priority` order first, then left to right, while they fit `width`.

    Only priority columns are cut to fit (all columns when there is no priority): a cut email
    address is worse than a column left out and named on stderr."""
    cells = [[" ".join(cell.split()) for cell in row] for row in rows]
    natural = [max([cell_len(h), *(cell_len(r[i]) for r in cells)]) for i, h in enumerate(header)]
    order = sorted(
        range(len(header)),
        key=lambda i: priority.index(header[i]) if header[i] in priority else len(priority) + i,
    )
    cuttable = {i for i, h in enumerate(header) if h in priority or not priority}
    widths = _widths(natural, order, width, cuttable)
    table = Table()
    shown = sorted(widths)
    for i in shown:
        table.add_column(Text(header[i]), width=widths[i], no_wrap=True, overflow="ellipsis")
    for row in cells:
        table.add_row(*(Text(row[i]) for i in shown))
    return FittedTable(
        table=table,
        hidden=tuple(h for i, h in enumerate(header) if i not in widths),
        cut=any(widths[i] < natural[i] for i in shown),
    )


def _widths(natural: list[int], order: list[int], width: int, cuttable: set[int]) -> dict[int, int]:
    """Column index -> width. A column costs its width plus 3 (padding and rule), the table 1.

    Whole columns first, in order, none wider than about half the table; then, in the room left,
    a cuttable column that did not fit whole; then any room left widens the capped ones."""
    room = width - 1
    cap = max(MIN_COLUMN, room // 2 - 3)
    widths: dict[int, int] = {}
    for i in order:
        if min(natural[i], cap) + 3 <= room:
            widths[i] = min(natural[i], cap)
            room -= widths[i] + 3
    for i in order:
        if i not in widths and i in cuttable and min(natural[i], MIN_COLUMN) + 3 <= room:
            widths[i] = min(natural[i], room - 3)
            room -= widths[i] + 3
    for i in order:
        if i in widths:
            extra = max(min(natural[i] - widths[i], room), 0)
            widths[i] += extra
            room -= extra
    if not widths and order:
        widths[order[0]] = max(width - 4, 1)
    return widths


def _say_fitted(fitted: FittedTable, width: int, remedy: str) -> None:
    """One line on stderr when a table lost columns or cut cells to fit."""
    changes = []
    if fitted.hidden:
        changes.append(f"columns not shown: {', '.join(fitted.hidden)}")
    if fitted.cut:
        changes.append("long cells cut (…)")
    if changes:
        stderr().print(escape(f"to fit {width} characters, {'; '.join(changes)}; {remedy}"))


# ---- segcli inspect ---------------------------------------------------------------------------

LABELS = {
    "orders": "orders",
    "distinct_customers": "customers with orders",
    "orders_without_customer": "orders without id or email",
    "currencies": "currencies",
    "layout": "layout",
    "rows": "rows",
    "orders_without_lines": "orders without line items",
    "has_registration_date": "registration dates",
}


def print_inspect(report: dict[str, Any]) -> None:
    """The inspect report as tables fitted to the width (on stdout: this is what was asked for)."""
    console = Console(highlight=False)
    width = console.width
    files = [[Path(f["path"]).name, f["table"], f["layout"], f["format"]] for f in report["files"]]
    parts = [("files", fit_table(["file", "table", "layout", "format"], files, width))]
    for info in report["files"]:
        columns = [[c, read_as or "not used"] for c, read_as in info["columns"]]
        title = f"columns of {Path(info['path']).name} ({info['table']})"
        parts.append((title, fit_table(["column in the file", "read as"], columns, width)))
    for name, summary in report["tables"].items():
        parts.append((name, fit_table(["measure", "value"], _measures(summary), width)))
    for title, fitted in parts:
        console.print(Text(title, style="bold"), soft_wrap=True)
        console.print(fitted.table)
    for warning in report["warnings"]:
        console.print(Text.assemble(("warning: ", "yellow"), warning), soft_wrap=True)
    hidden = tuple(dict.fromkeys(h for _t, f in parts for h in f.hidden))
    cut = any(f.cut for _t, f in parts)
    _say_fitted(FittedTable(Table(), hidden, cut), width, "`segcli inspect --json` has it all")


def _measures(summary: dict[str, Any]) -> list[list[str]]:
    """A table summary's figures as (label, value) rows, then its empty cells per column."""
    rows = []
    for key, value in summary.items():
        if key == "date_range":
            rows += [["first order", str(value[0])], ["last order", str(value[1])]]
        elif key == "currencies":
            rows.append([LABELS[key], ", ".join(value) or "none named"])
        elif key == "has_registration_date":
            rows.append([LABELS[key], "yes" if value else "none in the file"])
        elif key != "empty_cells":
            rows.append([LABELS.get(key, key.replace("_", " ")), str(value)])
    empty = summary.get("empty_cells", {})
    rows += [[f"empty cells in {column}", str(n)] for column, n in empty.items() if n]
    return rows


def print_grid(counts: GridCounts, changes: list[GroupChange] | None = None) -> None:
    """The grid (rows: the y bins, highest on top; a cell's colour is its largest group's),
    then one line per group with its count, share and change, and a warning per drop."""
    from segcli.grid import share  # noqa: PLC0415 - render imports no library module eagerly

    grid, total = counts.grid, counts.total
    colors = {g.group_id: g.color for g in grid.groups}
    cells = counts.by_cell()
    table = Table(title=f"{grid.name} as of {counts.as_of.date()}", show_lines=True)
    table.add_column(f"{grid.y.label} ↓ / {grid.x.label} →", justify="right")
    for label in grid.x.labels():
        table.add_column(label, justify="center")
    for y in reversed(range(len(grid.y.edges))):
        row = [grid.y.labels()[y]]
        for x in range(len(grid.x.edges)):
            parts = cells.get((x, y), {})
            number = sum(parts.values())
            main = max(parts, key=lambda g: parts[g], default=None)
            style = f"on {colors[main]}" if main in colors else ""
            text = f"{number}\n{share(number, total)} %" if number else "·"
            row.append(f"[black {style}]{text}[/]" if style else text)
        table.add_row(*row)
    console = stderr()
    console.print(table)
    _print_groups(counts, changes)


def _print_groups(counts: GridCounts, changes: list[GroupChange] | None) -> None:
    from segcli.grid import share  # noqa: PLC0415

    grid, total = counts.grid, counts.total
    names = {g.group_id: g for g in grid.groups}
    by_change = {c.group: c for c in changes or []}
    table = Table(box=None)
    for column in ("group", "customers", "share"):
        table.add_column(column, justify="left" if column == "group" else "right")
    if changes is not None:
        table.add_column("before", justify="right")
        table.add_column("change", justify="right")
    for group, customers in counts.by_group().items():
        color = names[group].color if group in names else "default"
        name = names[group].name if group in names else "No group"
        row = [f"[{color}]■[/] {escape(name)}", str(customers), f"{share(customers, total)} %"]
        if group in by_change:
            change = by_change[group]
            percent = "" if change.percent is None else f" ({change.percent:+} %)"
            row += [str(change.before), f"{change.change:+}{percent}"]
        table.add_row(*row)
    stderr().print(table)
    off = sum(c.customers for c in counts.cells if c.x is None or c.y is None)
    stderr().print(f"{total} customers; {off} off the grid (no orders, or below its first bins)")
    for change in changes or []:
        if change.dropped and change.group in names:
            stderr().print(
                f"[bold red]warning:[/] {escape(names[change.group].name)} dropped from "
                f"{change.before} to {change.customers} ({change.percent} %)"
            )


def print_grid_list(grids: list[Grid]) -> None:
    for grid in grids:
        stderr().print(f"[bold]{grid.grid_id}[/]  {escape(grid.name)}: {escape(grid.description)}")
        stderr().print(f"  x: {grid.x.field} {', '.join(grid.x.labels())}")
        stderr().print(f"  y: {grid.y.field} {', '.join(grid.y.labels())}")
        groups = ", ".join(f"[{g.color}]■[/] {g.group_id}" for g in grid.groups)
        stderr().print(f"  groups: {groups}")


def print_history(history: History, *, to_stderr: bool = False) -> None:
    """One row per date: members, entered and left since the date before (empty at the first
    date); on stdout, unless the machine output takes it (`to_stderr`)."""
    console = stderr() if to_stderr else Console(highlight=False, soft_wrap=True)
    every = {"day": "daily", "week": "weekly", "month": "monthly"}.get(history.every, "")
    console.print(Text(f"{history.segment_id}: {history.name} ({every}, {history.timezone})"))
    table = Table(box=None)
    for column in ("date", "members", "entered", "left"):
        table.add_column(column, justify="left" if column == "date" else "right")
    for point in history.points:
        entered = "" if point.entered is None else _signed(point.entered, "+")
        left = "" if point.left is None else _signed(point.left, "-")
        table.add_row(point.day.isoformat(), str(point.members), entered, left)
    console.print(table)


def print_history_progress(done: int, total: int) -> None:
    """After each query of a history that takes several (see backends.polars.history)."""
    if total > 1:
        stderr().print(f"history: {done} of {total} queries done")


def _signed(count: int, sign: str) -> str:
    return f"{sign}{count}" if count else "0"
