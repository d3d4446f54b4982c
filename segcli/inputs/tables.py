"""The normalized tables every reader produces, and the project settings that shape reading."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl


@dataclass(frozen=True, slots=True)
class Settings:
    """Project settings (from the project config file; defaults when there is none)."""

    timezone: str = "UTC"
    exclude_statuses: tuple[str, ...] = ()  # lower-cased order statuses left out of every metric
    source: Path | None = None  # the config file these came from, if any


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
