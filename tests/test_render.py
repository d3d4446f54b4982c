"""Tables fit the terminal: one line per row, every line within the width, and a word on stderr
when columns are left out or cells cut; `segcli inspect` speaks in the user's column names."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from segcli.render import fit_table

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data"
DATA = ROOT.parent / "shared" / "data"
SHOPIFY_ORDERS = DATA / "shopify_enavant_orders_export_1.pseudonymized.csv"
SHOPIFY_CUSTOMERS = DATA / "shopify_enavant_customers_export_1.pseudonymized.csv"
DATA_ARGS = [
    str(SAMPLE / "orders.parquet"),
    "--lines",
    str(SAMPLE / "order_lines.parquet"),
    "--customers",
    str(SAMPLE / "customers.parquet"),
    "--as-of",
    "2025-01-01",
]


def segcli(*args: str, columns: int | None) -> subprocess.CompletedProcess[str]:
    """Run segcli with stdout and stderr as pipes, with or without $COLUMNS."""
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    if columns is not None:
        env["COLUMNS"] = str(columns)
    result = subprocess.run(
        [sys.executable, "-m", "segcli", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    return result


def body_rows(text: str) -> list[list[list[str]]]:
    """The body rows of every table in a text, each row split into its cells."""
    tables: list[list[list[str]]] = []
    for line in text.splitlines():
        if line.startswith("┡"):
            tables.append([])
        elif line.startswith("│"):
            tables[-1].append([cell.strip() for cell in line.strip("│").split("│")])
    return tables


def shows(cell: str, value: str) -> bool:
    """A cell shows a value whole, or its start followed by an ellipsis."""
    return cell == value or (cell.endswith("…") and value.startswith(cell[:-1]))


@pytest.mark.parametrize("width", [60, None], ids=["COLUMNS=60", "pipe"])
def test_preview_keeps_each_row_on_one_line(width: int | None) -> None:
    limit = width or 80
    preview = segcli("preview", "rules/vip.yaml", *DATA_ARGS, "-n", "5", columns=width)
    exported = segcli("build", "rules/vip.yaml", *DATA_ARGS, "-o", "-", columns=None)
    header, *rows = list(csv.reader(io.StringIO(exported.stdout)))
    lines = preview.stdout.splitlines()
    assert all(len(line) <= limit for line in lines[1:]), preview.stdout
    [table] = body_rows(preview.stdout)
    assert len(table) == 5, preview.stdout  # one line per member, never a wrapped cell
    head = next(line for line in lines if line.startswith("┃"))
    shown = [cell.strip() for cell in head.strip("┃").split("┃")]
    hidden = [h for h in header if not any(shows(s, h) for s in shown)]
    for cells, row in zip(table, rows[:5], strict=True):
        values = [v for h, v in zip(header, row, strict=True) if h not in hidden]
        assert all(shows(c, v) for c, v in zip(cells, values, strict=True)), (cells, row)
    assert "Email Address" in shown
    if hidden:
        assert (
            f"to fit {limit} characters, columns not shown: {', '.join(hidden)}" in preview.stderr
        )


def test_a_wide_terminal_shows_every_column_whole() -> None:
    preview = segcli("preview", "rules/vip.yaml", *DATA_ARGS, "-n", "3", columns=200)
    assert "to fit" not in preview.stderr
    assert "…" not in preview.stdout
    head = next(line for line in preview.stdout.splitlines() if line.startswith("┃"))
    assert "Postal Code" in head
    assert "Lifetime Spend" in head


@pytest.mark.skipif(not SHOPIFY_ORDERS.exists(), reason="../shared/data is not here")
@pytest.mark.parametrize("width", [60, None], ids=["COLUMNS=60", "pipe"])
def test_inspect_fits_and_names_the_users_columns(width: int | None) -> None:
    limit = width or 80
    result = segcli("inspect", str(SHOPIFY_ORDERS), str(SHOPIFY_CUSTOMERS), columns=width)
    assert "__" not in result.stdout + result.stderr
    assert "customer_key" not in result.stdout
    tables = body_rows(result.stdout)
    with SHOPIFY_ORDERS.open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    files, orders_columns, *_ = tables
    assert len(files) == 2  # one line per file
    assert len(orders_columns) == len(header)  # one line per column of the file
    for cells, column in zip(orders_columns, header, strict=True):
        assert shows(cells[0], column)
    table_lines = [line for line in result.stdout.splitlines() if line[:1] in "┏┃┡│└"]
    assert all(len(line) <= limit for line in table_lines)
    assert ["empty cells in Email", "19"] in tables[3]  # the orders table, in the file's words
    if any("…" in line for line in table_lines):
        assert f"to fit {limit} characters" in result.stderr


def test_fit_table_cuts_and_drops_columns_to_fit() -> None:
    # width 20: room 19, no column wider than max(8, 19 // 2 - 3) = 8 while others wait;
    # 'a' takes 8 (+3), 'b' 5 (+3): 19, nothing left for 'c'.
    fitted = fit_table(["a", "b", "c"], [["x" * 20, "y" * 5, "z" * 4]], 20)
    assert fitted.hidden == ("c",)
    assert fitted.cut
    console = Console(width=20, record=True)
    console.print(fitted.table)
    assert console.export_text().splitlines()[3] == "│ xxxxxxx… │ yyyyy │"


def test_fit_table_puts_a_line_break_in_a_cell_on_one_line() -> None:
    fitted = fit_table(["note"], [["two\nlines"]], 40)
    console = Console(width=40, record=True)
    console.print(fitted.table)
    assert console.export_text().splitlines()[3] == "│ two lines │"
    assert not fitted.cut
    assert fitted.hidden == ()


def test_fit_table_keeps_priority_columns_and_cuts_only_them() -> None:
    # width 30: room 29, cap max(8, 29 // 2 - 3) = 11. 'email' (priority) 11 + 3 -> 15 left;
    # 'name' 11 + 3 -> 1 left; 'note' (4 + 3, not a priority column) is dropped, not cut; the
    # last character of room widens 'email' to 12: 11 e's and an ellipsis.
    fitted = fit_table(
        ["name", "email", "note"],
        [["n" * 12, "e" * 16, "t" * 3]],
        30,
        priority=("email", "name"),
    )
    assert fitted.hidden == ("note",)
    console = Console(width=30, record=True)
    console.print(fitted.table)
    assert console.export_text().splitlines()[3] == "│ nnnnnnnnnn… │ eeeeeeeeeee… │"
