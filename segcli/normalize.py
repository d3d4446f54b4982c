"""`segcli normalize`: any export segcli reads → the canonical layout as typed Parquet tables,
with the settings that still apply to them (`segcli.yaml`) beside them, in a folder that appears
whole or not at all.

The tables are written from the normalized `Tables` every reader produces, so a Shopify export,
a mapped line-item file (UCI) and canonical CSV all come out the same way, and reading the folder
back gives the same members, keys and snapshot bytes as reading the exports:

- orders: `customer_id` is the *resolved* customer id (the order's own id, or the id of the
  customer with the same email when the orders carry emails only, as Shopify's do beside a 2023+
  customers export), null when the customer is known by email only; the reader then keys the
  order by that email, as it did. `email` is the order's email as written (null when blank): the
  reader trims and lower-cases it again, and the export's fallback email (the customer's earliest
  order's) breaks ties between orders of the same instant on the text as written.
- customers: every row, in file order (the first row of a customer wins on reading), ids and
  emails normalized; without a registration date in the source, no `registered_at` column (so a
  `registered` rule fails as it did instead of matching nobody).
- reviews: `customer_id` is the resolved customer key (the id, else the normalized email).
- order lines: the products' attributes are already filled in, so no products table is written.
- money: decimal(18, 2), which the reader takes as exact cents; timestamps: UTC instants.

All Polars queries of the command are in this module.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl
import yaml

from segcli.errors import UsageError
from segcli.inputs.checks import QueryRunner
from segcli.inputs.config import CONFIG_NAME
from segcli.inputs.tables import ORDER_EMAIL_RAW
from segcli.plan import KEY

if TYPE_CHECKING:
    from segcli.inputs.settings import Settings
    from segcli.inputs.tables import Tables

# Table (as Tables names it) -> file name in the output folder.
TABLE_FILES = {
    "orders": "orders.parquet",
    "lines": "order_lines.parquet",
    "customers": "customers.parquet",
    "reviews": "reviews.parquet",
}
WRITTEN = frozenset({*TABLE_FILES.values(), CONFIG_NAME})
# The reader takes a Parquet decimal with at most two decimals as exact cents; 18 digits hold
# every amount the text reader accepts (15 integer digits).
MONEY = pl.Decimal(18, 2)


@dataclass(frozen=True, slots=True)
class WrittenTable:
    table: str  # "orders", "lines", "customers", "reviews"
    path: Path
    rows: int


@dataclass(frozen=True, slots=True)
class NormalizeResult:
    out: Path
    tables: tuple[WrittenTable, ...]
    config: Path  # the settings that still apply, beside the tables
    seconds: float


def normalize_tables(tables: Tables, out: Path, *, replace: bool = False) -> NormalizeResult:
    """Write `tables` in the canonical layout into the folder `out`.

    Everything is written into a temporary folder beside `out` and renamed into place at the
    end: on any error (bad input: InputError) nothing is left. An existing `out` that is not
    empty is refused unless `replace`, and even then only when it holds nothing but what this
    command writes."""
    started = time.monotonic()
    check_target(out, replace=replace)
    staging = out.with_name(f".{out.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        staging.mkdir()  # the umask's permissions, as the folder will keep them
        written = _write_tables(tables, staging)
        _write_durably(staging / CONFIG_NAME, settings_text(tables.settings))
        _publish(staging, out, replace=replace)
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        reason = error.strerror or type(error).__name__
        raise UsageError(f"cannot write {out}: {reason}; nothing was written") from error
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    placed = tuple(WrittenTable(t.table, out / t.path.name, t.rows) for t in written)
    return NormalizeResult(out, placed, out / CONFIG_NAME, time.monotonic() - started)


def check_target(out: Path, *, replace: bool) -> None:
    """UsageError unless `out` can be (re)placed: absent or empty, or (`replace`) an earlier
    output of this command."""
    if not out.parent.is_dir():
        raise UsageError(f"{out.parent}: no such folder; create it, or choose another --out")
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: exists and is not a folder; choose another --out")
    present = sorted(p.name for p in out.iterdir()) if out.is_dir() else []
    if not present:
        return
    if not replace:
        raise UsageError(
            f"{out}: the folder is not empty; pass --replace to replace the tables in it, "
            "or choose another --out"
        )
    foreign = [name for name in present if name not in WRITTEN]
    if foreign:
        raise UsageError(
            f"{out}: holds files segcli normalize does not write ({', '.join(foreign[:3])}); "
            "refusing to replace it: choose another --out"
        )


def _publish(staging: Path, out: Path, *, replace: bool) -> None:
    check_target(out, replace=replace)  # again: the folder may have changed meanwhile
    if out.exists() and not any(out.iterdir()):
        out.rmdir()
    if not out.exists():
        staging.rename(out)
        _sync_folder(out.parent)
        return
    old = out.with_name(f".{out.name}.{uuid.uuid4().hex[:8]}.old")
    out.rename(old)
    staging.rename(out)
    _sync_folder(out.parent)
    shutil.rmtree(old, ignore_errors=True)


def _write_durably(path: Path, text: str) -> None:
    with path.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def _sync_folder(folder: Path) -> None:
    """The renames in `folder` survive a crash (the files were synced when written)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def settings_text(settings: Settings) -> str:
    """The `segcli.yaml` beside the tables: the settings that still apply after normalizing.

    The time zone (as-of dates, calendar periods, Date Registered) and the excluded statuses
    apply at every build; file formats, column mappings, derived statuses and the default
    currency were applied while normalizing and are left out."""
    values = {"timezone": settings.timezone, "exclude_statuses": list(settings.exclude_statuses)}
    body = yaml.safe_dump(values, sort_keys=False, allow_unicode=True, default_flow_style=None)
    return (
        "# Written by `segcli normalize`: the project settings that still apply to the tables\n"
        "# beside this file. A build over these tables finds it beside the orders.\n" + body
    )


def canonical_queries(tables: Tables) -> dict[str, pl.LazyFrame]:
    """The canonical tables to write, by table, as queries over the normalized ones."""
    queries = {"orders": orders_query(tables.orders)}
    if tables.lines is not None:
        queries["lines"] = lines_query(tables.lines)
    if tables.customers is not None:
        queries["customers"] = customers_query(
            tables.customers, registered=tables.has_registration_date
        )
    if tables.reviews is not None:
        queries["reviews"] = reviews_query(tables.reviews)
    return queries


def _money(cents: str, name: str) -> pl.Expr:
    """Integer cents as a decimal amount: a product of decimals is exact (a quotient keeps the
    dividend's scale, so cents / 100 would cut the cents off)."""
    amount = pl.col(cents).cast(pl.Decimal(38, 0)) * pl.lit(Decimal("0.01"), pl.Decimal(3, 2))
    return amount.cast(MONEY).alias(name)


def orders_query(orders: pl.LazyFrame) -> pl.LazyFrame:
    """customer_id: the resolved key, except where it is the order's own normalized email (a
    customer known by email only): left empty there, the reader keys the order by that email
    again. email: as written (see the module docstring)."""
    key, email = pl.col(KEY), pl.col("email")
    by_id = key.is_not_null() & (email.is_null() | (key != email))
    return orders.select(
        "order_id",
        pl.when(by_id).then(key).otherwise(None).alias("customer_id"),
        pl.col(ORDER_EMAIL_RAW).alias("email"),
        "ordered_at",
        _money("total_cents", "total"),
        _money("refunded_cents", "refunded"),
        "status",
        "discount_code",
        "currency",
    )


def lines_query(lines: pl.LazyFrame) -> pl.LazyFrame:
    items = ("sku", "product_name", "brand", "category", "collection", "tags")
    return lines.select("order_id", *items, "quantity", _money("unit_price_cents", "unit_price"))


def customers_query(customers: pl.LazyFrame, *, registered: bool) -> pl.LazyFrame:
    """Every row in file order; customer_key is coalesce(customer_id, email) again on reading."""
    names = [name for name in customers.collect_schema().names() if name != KEY]
    if not registered:
        names.remove("registered_at")
    return customers.select(names)


def reviews_query(reviews: pl.LazyFrame) -> pl.LazyFrame:
    """Reviews count only through their customer key, so it is all the identity they keep."""
    return reviews.select(pl.col(KEY).alias("customer_id"), "sku", "product_name", "reviewed_at")


def _write_tables(tables: Tables, folder: Path) -> list[WrittenTable]:
    """Stream each table into its Parquet file, one table after the other: run together, the
    queries hold their buffers at the same time. A line-item file (Shopify, UCI) is then parsed
    once per table it gives, which costs time only."""
    written = []
    runner = QueryRunner(tables)  # every CSV file's structure is checked once, beside the first
    for table, query in canonical_queries(tables).items():
        path = folder / TABLE_FILES[table]
        sink = query.sink_parquet(path, lazy=True, statistics=True, sync_on_close="all")
        runner.collect_all([sink])
        rows = pl.scan_parquet(path).select(pl.len()).collect().item()
        written.append(WrittenTable(table, path, rows))
    return written
