"""The normalized tables every reader produces, and the project settings that shape reading."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    import polars as pl

    from segcli.inputs.assemble import KeyRule
    from segcli.inputs.read import InputChecks


@dataclass(frozen=True, slots=True)
class MoneyFormat:
    """How money is written in text files: `1.234,50 €` is sign "€", thousands ".", decimal ","."""

    currency_sign: str = ""  # stripped wherever it appears in a money cell, e.g. "£", "$", "€"
    thousands_separator: str = ""  # e.g. "," or "." or " "; empty = none allowed
    decimal_separator: str = "."  # "." or ","


@dataclass(frozen=True, slots=True)
class StatusRule:
    """Derive an order status: `{column: InvoiceNo, starts_with: C, status: cancelled}`."""

    column: str
    status: str
    starts_with: str | None = None
    equals: str | None = None


@dataclass(frozen=True, slots=True)
class TableMapping:
    """How one table's files map onto the canonical columns (from the project config file)."""

    columns: tuple[tuple[str, str], ...] = ()  # (canonical name, column in the file)
    rows: str = "orders"  # orders table only: "orders" (one row per order) or "line_items"
    status_from: tuple[StatusRule, ...] = ()

    def column_map(self) -> dict[str, str]:
        return dict(self.columns)


@dataclass(frozen=True, slots=True)
class Settings:
    """Project settings (from the project config file; defaults when there is none)."""

    timezone: str = "UTC"
    exclude_statuses: tuple[str, ...] = ()  # lower-cased order statuses left out of every metric
    source: Path | None = None  # the config file these came from, if any
    encoding: str = "utf-8"  # text encoding of CSV files, e.g. "cp1252", "latin-1"
    null_values: tuple[str, ...] = ()  # cells meaning "no value" besides the empty cell, e.g. "NA"
    money: MoneyFormat = field(default_factory=MoneyFormat)
    date_format: str | None = None  # strftime format for non-ISO timestamps, e.g. "%m/%d/%Y %H:%M"
    currency: str | None = None  # currency of orders whose data names none, e.g. "GBP"
    delimiter: str | None = None  # CSV delimiter; None = sniffed from the header line
    tables: tuple[tuple[str, TableMapping], ...] = ()  # table name -> mapping
    check_structure: bool = True  # check every CSV row's field count (beside the query)

    def mapping(self, table: str) -> TableMapping | None:
        return dict(self.tables).get(table)


@dataclass(frozen=True, slots=True)
class Tables:
    """Normalized lazy tables; column names and types as in docs/inputs.md ("In memory")."""

    orders: pl.LazyFrame
    lines: pl.LazyFrame | None = None
    customers: pl.LazyFrame | None = None
    reviews: pl.LazyFrame | None = None
    sources: tuple[Path, ...] = ()  # every file read, in a stable order (for manifests)
    has_registration_date: bool = True  # False when the customers data carries no registration date
    layout: str = "canonical"  # e.g. "canonical", "shopify", "mapping"
    settings: Settings = field(default_factory=Settings)
    # CSV structure checks and the careful re-read after a failure (see inputs.read.collect)
    checks: InputChecks | None = field(default=None, compare=False, repr=False)
    # How the orders' raw identity pair becomes customer_key (None: the plain rule)
    order_keys: KeyRule | None = field(default=None, compare=False, repr=False)
    # Every orders file is Parquet: a few of its columns are cheap to read again
    orders_parquet: bool = False


# Internal order columns (see segcli.inputs.assemble.finish_orders and KeyRule): the identity
# as written (customer id, else email), whether it is the email, and the email as written.
RAW_KEY = "__segcli_raw_key"
FROM_EMAIL = "__segcli_key_from_email"
ORDER_EMAIL_RAW = "__segcli_email_raw"
ORDER_COLUMNS: dict[str, str] = {
    "order_id": "str",
    "customer_key": "str",
    "email": "str",
    "ordered_at": "datetime",
    "total_cents": "i64",
    "refunded_cents": "i64",
    "status": "str",
    "discount_code": "str",
    "currency": "str",
}
LINE_COLUMNS: dict[str, str] = {
    "order_id": "str",
    "sku": "str",
    "product_name": "str",
    "brand": "str",
    "category": "str",
    "collection": "str",
    "tags": "str",
    "quantity": "i64",
    "unit_price_cents": "i64",
}
CUSTOMER_COLUMNS: dict[str, str] = {
    "customer_key": "str",
    "customer_id": "str",
    "email": "str",
    "first_name": "str",
    "last_name": "str",
    "name": "str",
    "registered_at": "datetime",
    "country": "str",
    "postal_code": "str",
    "customer_type": "str",
    "accepts_marketing": "bool",
    "tags": "str",
}
REVIEW_COLUMNS: dict[str, str] = {
    "customer_key": "str",
    "sku": "str",
    "product_name": "str",
    "reviewed_at": "datetime",
}


def polars_schema(columns: dict[str, str]) -> dict[str, pl.DataType]:
    """The Polars dtypes of a normalized table."""
    import polars as pl  # noqa: PLC0415  (Polars loads only when data is read)

    kinds: dict[str, pl.DataType] = {
        "str": pl.String(),
        "i64": pl.Int64(),
        "bool": pl.Boolean(),
        "datetime": pl.Datetime("us", "UTC"),
    }
    return {name: kinds[kind] for name, kind in columns.items()}
