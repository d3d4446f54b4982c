"""`segcli inspect`: what segcli sees in some files: layout, mapping, counts, ranges, warnings.

The report is plain JSON-able data in the user's words (their files' column names); `render.py`
turns it into tables for a terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl

from segcli.errors import InputError
from segcli.inputs.checks import collect
from segcli.inputs.columns import REQUIRED, SPECS, Layout
from segcli.inputs.read import detect_layout, open_tables
from segcli.inputs.scan import RawFile, scan_file
from segcli.inputs.settings import Settings
from segcli.inputs.shopify import is_shopify
from segcli.inputs.sources import PathSpec, expand_paths
from segcli.inputs.tables import Tables

if TYPE_CHECKING:
    from collections.abc import Sequence

_GUESS_ORDER = ("orders", "lines", "customers", "reviews", "products")


def inspect_files(
    paths: PathSpec, settings: Settings | None = None, preset: str | None = None
) -> dict[str, Any]:
    """A JSON-able report. Each file's table is guessed from its header (or the config)."""
    settings = settings or Settings()
    roles: dict[str, list[str]] = {}
    files = []
    for source in expand_paths(paths, "input"):
        raw = scan_file(source, settings)
        table = guess_table(raw, settings, preset)
        layout = detect_layout(raw, table, settings, preset)
        read_as = _read_as(raw.columns, layout)
        files.append(
            {
                "path": source.name,
                "format": source.format + (" (gzip)" if source.gzipped else ""),
                "table": table,
                "layout": layout.name,
                "delimiter": raw.dialect.delimiter if raw.dialect else None,
                "mapping": dict(layout.columns),
                "columns": read_as,
                "unused_columns": [c for c, canonical in read_as if canonical is None],
            }
        )
        roles.setdefault(table, []).append(source.name)
    report: dict[str, Any] = {"files": files, "tables": {}, "warnings": []}
    if "orders" not in roles:
        report["warnings"].append("no orders file: segments need one")
        return report
    tables = open_tables(
        roles["orders"],
        **{t: roles[t] for t in ("lines", "customers", "reviews", "products") if t in roles},
        settings=settings,
        preset=preset,
    )
    _summarize(tables, report)
    return report


def _read_as(columns: Sequence[str], layout: Layout) -> list[list[str | None]]:
    """Each file column, in file order, with the canonical name(s) segcli reads it as (or None).

    A column that a status rule looks at (Shopify's `Cancelled at`) is read as the status too."""
    names: dict[str, list[str]] = {}
    for canonical, column in layout.columns.items():
        names.setdefault(column, []).append(canonical)
    for rule in layout.status_from:
        if "status" not in names.get(rule.column, []):
            names.setdefault(rule.column, []).append("status")
    return [[c, ", ".join(names[c]) if c in names else None] for c in columns]


def guess_table(raw: RawFile, settings: Settings, preset: str | None) -> str:
    """The table a file feeds: the config's mapping, Shopify's header, else canonical columns."""
    for table in _GUESS_ORDER:
        mapping = settings.mapping(table)
        if mapping is not None and all(c in raw.columns for _k, c in mapping.columns):
            return table
    if preset == "shopify" or is_shopify(raw, "orders"):
        return "customers" if is_shopify(raw, "customers") else "orders"
    if is_shopify(raw, "customers"):
        return "customers"
    names = {c.strip().lower() for c in raw.columns}
    for table in _GUESS_ORDER:
        groups = REQUIRED[table]
        if all(any(c in names for c in group) for group in groups) and table in SPECS:
            return table
    raise InputError(
        f"{raw.source.name}: line 1 (header): cannot tell which table this file is "
        f"(columns: {', '.join(raw.columns[:20])}); name the canonical columns "
        "(docs/inputs.md) or map them in segcli.yaml"
    )


def _nulls(frame: pl.LazyFrame) -> list[pl.Expr]:
    return [pl.col(c).null_count().alias(f"nulls.{c}") for c in frame.collect_schema().names()]


def _empty_cells(row: dict[str, Any], table: str, report: dict[str, Any]) -> dict[str, int]:
    """Empty cells per column of the user's file, in the file's own column names.

    The normalized frames hold derived columns (`customer_key`, money in cents) and cells kept as
    written (`__…`) that no file has; each null count is reported under the file column it comes
    from, and a column that no file has is left out. A table without a file of its own (Shopify
    lines and customers) comes from the orders file."""
    files = [f for f in report["files"] if f["table"] == table] or [
        f for f in report["files"] if f["table"] == "orders"
    ]
    source: dict[str, str] = {}
    for info in files:
        for canonical, column in info["mapping"].items():
            source.setdefault(canonical, column)
    empty: dict[str, int] = {}
    for key, count in row.items():
        canonical = key.removeprefix("nulls.").removesuffix("_cents")
        if key.startswith("nulls.") and canonical in source:
            empty[source[canonical]] = count
    return empty


def _summarize(tables: Tables, report: dict[str, Any]) -> None:
    orders = tables.orders
    stats = collect(
        orders.select(
            pl.len().alias("orders"),
            pl.col("customer_key").n_unique().alias("customers_with_orders"),
            (pl.col("customer_key").is_null()).sum().alias("orders_without_identity"),
            pl.col("ordered_at").min().alias("first"),
            pl.col("ordered_at").max().alias("last"),
            pl.col("currency").drop_nulls().unique().sort().implode().alias("currencies"),
            *_nulls(orders),
        ),
        tables,
    )
    row = stats.row(0, named=True)
    has_null_key = row["orders_without_identity"] > 0
    summary: dict[str, Any] = {
        "orders": row["orders"],
        "distinct_customers": row["customers_with_orders"] - int(has_null_key),
        "date_range": [_iso(row["first"]), _iso(row["last"])],
        "currencies": list(row["currencies"]),
        "orders_without_customer": row["orders_without_identity"],
        "empty_cells": _empty_cells(row, "orders", report),
        "layout": tables.layout,
    }
    report["tables"]["orders"] = summary
    warnings: list[str] = report["warnings"]
    if len(summary["currencies"]) > 1:
        warnings.append(f"several currencies: {', '.join(summary['currencies'])}; spend adds them")
    if has_null_key:
        warnings.append(f"{row['orders_without_identity']} orders without customer id or email")
    if tables.lines is not None:
        _summarize_lines(tables, tables.lines, report)
    if tables.customers is not None:
        customers = tables.customers
        crow = collect(customers.select(pl.len().alias("rows"), *_nulls(customers)), tables).row(
            0, named=True
        )
        report["tables"]["customers"] = {
            "rows": crow["rows"],
            "empty_cells": _empty_cells(crow, "customers", report),
            "has_registration_date": tables.has_registration_date,
        }


def _summarize_lines(tables: Tables, lines: pl.LazyFrame, report: dict[str, Any]) -> None:
    row = collect(lines.select(pl.len().alias("rows"), *_nulls(lines)), tables).row(0, named=True)
    lonely = tables.orders.join(lines.select("order_id").unique(), on="order_id", how="anti")
    without = collect(lonely.select(pl.len()), tables).item()
    report["tables"]["lines"] = {
        "rows": row["rows"],
        "empty_cells": _empty_cells(row, "lines", report),
        "orders_without_lines": without,
    }
    if without:
        report["warnings"].append(f"{without} orders have no line items")


def _iso(value: object) -> str | None:
    return value.isoformat() if hasattr(value, "isoformat") else None
