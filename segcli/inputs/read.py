"""open_tables: every supported layout in, the normalized lazy frames of docs/inputs.md out.

Opening reads headers only: an empty file, a duplicate column or a missing required column
fails here. Cell values and CSV structure are checked while a query reads them (inputs.checks).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from segcli.errors import InputError, UsageError
from segcli.inputs import assemble
from segcli.inputs.columns import Layout, resolve_columns
from segcli.inputs.scan import RawFile, scan_file
from segcli.inputs.settings import Settings, check_timezone
from segcli.inputs.shopify import is_shopify, shopify_layout
from segcli.inputs.sources import PathSpec, expand_paths
from segcli.inputs.tables import FileRead, Tables
from segcli.inputs.typed_columns import parse_file

PRESETS = ("shopify",)


@dataclass(frozen=True, slots=True)
class TableRead:
    """One table's files, their layouts and the parsed rows of all of them (lazy)."""

    table: str  # "orders", "line_items", "lines", "customers", "reviews", "products"
    files: tuple[tuple[RawFile, Layout], ...]
    rows: pl.LazyFrame

    @property
    def layout(self) -> str:
        return self.files[0][1].name

    def has_column(self, canon: str) -> bool:
        return any(canon in layout.columns for _raw, layout in self.files)


def open_tables(
    orders: PathSpec,
    *,
    lines: PathSpec | None = None,
    customers: PathSpec | None = None,
    reviews: PathSpec | None = None,
    products: PathSpec | None = None,
    settings: Settings | None = None,
    preset: str | None = None,
) -> Tables:
    """Read exports lazily into normalized Tables (see docs/inputs.md).

    Raises InputError (exit 3) for unreadable files and UsageError for a bad preset/time zone.
    """
    settings = settings or Settings()
    check_settings(settings, preset)
    order_read = read_table(orders, "orders", settings, preset)
    customer_read = read_table(customers, "customers", settings, preset) if customers else None
    line_read = read_table(lines, "lines", settings, None) if lines else None
    review_read = read_table(reviews, "reviews", settings, None) if reviews else None
    product_read = read_table(products, "products", settings, None) if products else None

    customer_frame = assemble.finish_customers(customer_read.rows) if customer_read else None
    order_rows, line_rows, customer_frame = _split_orders(order_read, line_read, customer_frame)
    products_rows = product_read.rows if product_read else None
    roles = {
        "orders": order_read,
        "lines": line_read,
        "customers": customer_read,
        "reviews": review_read,
        "products": product_read,
    }
    reads = [read for read in roles.values() if read]
    by_email = _id_lookup(order_read, customer_frame)
    order_emails = order_read.has_column("email")
    return Tables(
        orders=assemble.finish_orders(order_rows, settings, by_email, emails=order_emails),
        order_emails=order_emails,
        orders_by_email=by_email,
        lines=assemble.finish_lines(line_rows, products_rows) if line_rows is not None else None,
        customers=customer_frame,
        reviews=(
            assemble.finish_reviews(review_read.rows, _id_lookup(review_read, customer_frame))
            if review_read
            else None
        ),
        sources=tuple(raw.source.path for read in reads for raw, _layout in read.files),
        has_registration_date=bool(customer_read and customer_read.has_column("registered_at")),
        layout=order_read.layout,
        orders_parquet=all(raw.source.format == "parquet" for raw, _layout in order_read.files),
        settings=settings,
        files=tuple(
            FileRead(role, raw, layout)
            for role, read in roles.items()
            if read
            for raw, layout in read.files
        ),
    )


def _split_orders(
    order_read: TableRead, line_read: TableRead | None, customers: pl.LazyFrame | None
) -> tuple[pl.LazyFrame, pl.LazyFrame | None, pl.LazyFrame | None]:
    """Orders, lines and customers; a line-item orders file yields all three."""
    line_rows = line_read.rows if line_read else None
    if order_read.table != "line_items":
        return order_read.rows, line_rows, customers
    rows = order_read.rows
    orders = assemble.orders_from_line_items(rows, has_total=order_read.has_column("total"))
    if customers is None:
        customers = assemble.customers_from_line_items(rows)
    if line_rows is None:
        line_rows = assemble.lines_from_line_items(rows)
    return orders, line_rows, customers


def _id_lookup(read: TableRead, customers: pl.LazyFrame | None) -> pl.LazyFrame | None:
    """The customers to match rows to by email, only when the rows carry no customer_id column
    at all (e.g. a Shopify orders export beside a customers export with ids). Rows of a file
    that has the column keep the plain rule (customer_id, else email) and cost no join."""
    if customers is None or read.has_column("customer_id"):
        return None
    return customers


def check_settings(settings: Settings, preset: str | None) -> None:
    if preset is not None and preset not in PRESETS:
        raise UsageError(f"unknown preset '{preset}'; known presets: {', '.join(PRESETS)}")
    check_timezone(settings.timezone)


def read_table(spec: PathSpec, table: str, settings: Settings, preset: str | None) -> TableRead:
    """Scan, lay out and parse every file of one table; all must share one layout."""
    files = tuple(
        (raw, detect_layout(raw, table, settings, preset))
        for raw in (scan_file(s, settings) for s in expand_paths(spec, table))
    )
    kinds = {layout.table for _raw, layout in files}
    if len(kinds) > 1:
        names = ", ".join(f"{raw.source.name} ({layout.name})" for raw, layout in files)
        raise InputError(f"the {table} files do not share one layout: {names}")
    kind = files[0][1].table
    parsed = [assemble.complete(parse_file(raw, layout, settings), kind) for raw, layout in files]
    # Relaxed: a file's raw integer ids become text beside another's text ids (the same text).
    rows = parsed[0] if len(parsed) == 1 else pl.concat(parsed, how="vertical_relaxed")
    return TableRead(kind, files, rows)


def detect_layout(raw: RawFile, table: str, settings: Settings, preset: str | None) -> Layout:
    """The config's mapping if there is one, else Shopify (by header or preset), else canonical."""
    mapping = settings.mapping(table)
    if mapping is not None:
        kind = "line_items" if table == "orders" and mapping.rows == "line_items" else table
        columns = resolve_columns(raw, kind, mapping)
        also = (
            frozenset({"unit_price"}) if kind == "line_items" and "total" not in columns else None
        )
        return Layout(
            "mapping", kind, columns, mapping.status_from, also_required=also or frozenset()
        )
    if (preset == "shopify" and table in {"orders", "customers"}) or is_shopify(raw, table):
        return shopify_layout(raw, table)
    return Layout("canonical", table, resolve_columns(raw, table, None))
