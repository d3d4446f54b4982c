"""Everything that talks to people: diagnostics with excerpt and caret, summaries, tables.

Only the CLI imports this module. All output here goes to stderr.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from segcli.errors import Diagnostic


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


def print_diagnostics(diagnostics: list[Diagnostic]) -> None:
    console = stderr()
    for diagnostic in diagnostics:
        where = f"{diagnostic.span}: " if diagnostic.span else ""
        console.print(
            f"{escape(where)}[bold red]error[/][{escape(diagnostic.code)}] "
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
