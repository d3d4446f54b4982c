"""Markdown for the benchmark tables."""

from __future__ import annotations

from collections.abc import Sequence

Cell = str | float | int | None


def cell(value: Cell) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}" if value < 10 else f"{value:.1f}"
    return str(value)


def seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}" if value < 10 else f"{value:.1f}"


def ratio(numerator: float | None, denominator: float | None, target: float | None = None) -> str:
    """`1.08×`, and `✓`/`✗` against a target when one is given."""
    if numerator is None or not denominator:
        return "–"
    value = numerator / denominator
    mark = "" if target is None else (" ✓" if value <= target else " ✗")
    return f"{value:.2f}×{mark}"


def megabytes(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f}"


def table(headers: Sequence[str], rows: Sequence[Sequence[Cell]]) -> str:
    """A GitHub-flavoured markdown table; first column left-aligned, the others right."""
    lines = ["| " + " | ".join(headers) + " |"]
    lines.append("|" + "|".join([":---", *["---:"] * (len(headers) - 1)]) + "|")
    lines.extend("| " + " | ".join(cell(v) for v in row) + " |" for row in rows)
    return "\n".join(lines)
