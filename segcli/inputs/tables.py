"""The normalized tables every reader produces."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from segcli.inputs.settings import Settings

if TYPE_CHECKING:
    from pathlib import Path

    import polars as pl

    from segcli.inputs.columns import Layout
    from segcli.inputs.scan import RawFile


@dataclass(frozen=True, slots=True)
class FileRead:
    """One input file as read: its role ("orders", "lines", ...), the file and its layout."""

    role: str
    raw: RawFile
    layout: Layout


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
    # The files behind the frames, for the careful checks of inputs.checks
    files: tuple[FileRead, ...] = field(default=(), compare=False, repr=False)
    # The customers whose ids the orders take by email (orders without a customer_id column
    # beside customers with ids; see inputs.identity), else None
    orders_by_email: pl.LazyFrame | None = field(default=None, compare=False, repr=False)
    # Every orders file is Parquet: a few of its columns are cheap to read again
    orders_parquet: bool = False
    # The orders files have an email column (else no order email can stand in for a customer's)
    order_emails: bool = True

    @property
    def engine(self) -> str:
        return "polars"

    @property
    def has_lines(self) -> bool:
        return self.lines is not None

    @property
    def has_reviews(self) -> bool:
        return self.reviews is not None


# Internal order columns (see inputs.assemble.finish_orders and inputs.identity): the identity as
# written (customer id, else email; an Int64 where the ids are integers and the orders carry no
# email column), whether it is the email, and the email as written.
RAW_KEY = "__segcli_raw_key"
FROM_EMAIL = "__segcli_key_from_email"
ORDER_EMAIL_RAW = "__segcli_email_raw"
# The customer id and email cells as written (the id an Int64 where the ids are integers), which
# the three above are made from: grouped by these, the backend makes them once per group.
ID_CELL = "__segcli_id_cell"
EMAIL_CELL = "__segcli_email_cell"
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
