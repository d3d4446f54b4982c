"""Everything that talks to people: diagnostics with excerpt and caret, summaries, tables.

Only the CLI imports this module. All output here goes to stderr.
"""

from __future__ import annotations

import csv
import io
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from segcli.errors import Diagnostic

if TYPE_CHECKING:
    from segcli.grid import GridCounts, GroupChange
    from segcli.nightly import RunReport, SegmentOutcome
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


def print_preview(name: str, members: int, as_of: datetime, data: bytes) -> None:
    """A count and the first rows as a table (on stdout: this is what was asked for)."""
    reader = csv.reader(io.StringIO(data.decode("utf-8")))
    header, *rows = list(reader)
    table = Table(
        title=f"{name}: {members} members as of {as_of.isoformat()}", title_justify="left"
    )
    for column in header:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(escape(cell) for cell in row))
    Console(highlight=False).print(table)
    if members > len(rows):
        stderr().print(f"… and {members - len(rows)} more")


def print_check(path: Path, status: str, problems: tuple[str, ...]) -> None:
    style = {"ok": "green", "mismatch": "bold red", "incomplete": "yellow"}.get(status, "")
    detail = f"  {'; '.join(problems)}" if problems else ""
    stderr().print(f"[{style}]{status:<10}[/] {escape(str(path))}{escape(detail)}")


def print_why(segment: str, member: bool, lines: list[Line]) -> None:
    console = Console(highlight=False)
    verdict = "[green]is a member[/]" if member else "[red]is not a member[/]"
    console.print(f"{escape(segment)}: the customer {verdict}")
    for line in lines:
        mark = "[green]✓[/]" if line.held else "[red]✗[/]"
        value = f"  [dim]{escape(line.value)}[/]" if line.value else ""
        console.print(f"{'  ' * (line.depth + 1)}{mark} {escape(line.text)}{value}")


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
