"""Canonical columns per table, which file column feeds each, and parsing one file's columns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from segcli.errors import InputError

if TYPE_CHECKING:
    from segcli.inputs.scan import RawFile
    from segcli.inputs.settings import StatusRule, TableMapping

ColumnKind = Literal[
    "id", "text", "email", "status", "currency", "money", "timestamp", "integer", "boolean"
]

ORDER_SPEC: dict[str, ColumnKind] = {
    "order_id": "id",
    "customer_id": "id",
    "email": "email",
    "ordered_at": "timestamp",
    "total": "money",
    "refunded": "money",
    "status": "status",
    "discount_code": "text",
    "currency": "currency",
}
LINE_SPEC: dict[str, ColumnKind] = {
    "order_id": "id",
    "sku": "id",
    "product_name": "text",
    "brand": "text",
    "category": "text",
    "collection": "text",
    "tags": "text",
    "quantity": "integer",
    "unit_price": "money",
}
CUSTOMER_SPEC: dict[str, ColumnKind] = {
    "customer_id": "id",
    "email": "email",
    "first_name": "text",
    "last_name": "text",
    "name": "text",
    "registered_at": "timestamp",
    "country": "text",
    "postal_code": "id",
    "customer_type": "text",
    "accepts_marketing": "boolean",
    "tags": "text",
}
# A line-item file (Shopify orders, UCI): order, line and customer attributes on every row.
ATTRIBUTES_ON_ORDERS: tuple[str, ...] = (
    "first_name",
    "last_name",
    "name",
    "country",
    "postal_code",
    "customer_type",
    "accepts_marketing",
)
LINE_ITEM_SPEC: dict[str, ColumnKind] = {
    **ORDER_SPEC,
    **LINE_SPEC,
    **{name: CUSTOMER_SPEC[name] for name in ATTRIBUTES_ON_ORDERS},
}
REVIEW_SPEC: dict[str, ColumnKind] = {
    "customer_id": "id",
    "email": "email",
    "sku": "id",
    "product_name": "text",
    "reviewed_at": "timestamp",
}
PRODUCT_SPEC: dict[str, ColumnKind] = {
    name: LINE_SPEC[name] for name in LINE_SPEC if name != "order_id"
}
del PRODUCT_SPEC["quantity"], PRODUCT_SPEC["unit_price"]

SPECS: dict[str, dict[str, ColumnKind]] = {
    "orders": ORDER_SPEC,
    "line_items": LINE_ITEM_SPEC,
    "lines": LINE_SPEC,
    "customers": CUSTOMER_SPEC,
    "reviews": REVIEW_SPEC,
    "products": PRODUCT_SPEC,
}
# Each inner tuple: at least one of these columns must be in the file.
REQUIRED: dict[str, tuple[tuple[str, ...], ...]] = {
    "orders": (("order_id",), ("customer_id", "email"), ("ordered_at",), ("total",)),
    "line_items": (("order_id",), ("customer_id", "email"), ("ordered_at",)),
    "lines": (("order_id",), ("sku",)),
    "customers": (("customer_id", "email"),),
    "reviews": (("customer_id", "email"), ("reviewed_at",)),
    "products": (("sku",),),
}
# Cells that must hold a value on every (non-blank) row.
REQUIRED_VALUES: dict[str, frozenset[str]] = {
    "orders": frozenset({"order_id", "ordered_at", "total"}),
    "line_items": frozenset({"order_id", "ordered_at"}),
    "lines": frozenset({"order_id"}),
    "reviews": frozenset({"reviewed_at"}),
}
PERSONAL = frozenset({"email", "first_name", "last_name", "name"})
# Orders only: the identity cells as written, beside their normalized columns (raw -> canon).
RAW_IDENTITY = {"__raw_customer_id": "customer_id", "__raw_email": "email"}
# Lines only: item text cells as written (raw -> canon). A test on them is pushed into the scan
# (on Parquet, to the dictionary pages) as a cheap superset filter before any parsing.
RAW_ITEM = {f"__raw_{name}": name for name in ("sku", "product_name", "brand", "category",
                                               "collection", "tags")}  # fmt: skip
# Orders and lines: the order id as written where the file's column holds integers (an Int64,
# else null): equal numbers have equal texts, so the line features join on the number.
ORDER_ID_CELL = "__raw_order_id"
RAW_ORDER_ID = {ORDER_ID_CELL: "order_id"}
RAW_COLUMNS = {**RAW_IDENTITY, **RAW_ITEM, **RAW_ORDER_ID}
PARSED_NAME = {
    "total": "total_cents",
    "refunded": "refunded_cents",
    "unit_price": "unit_price_cents",
}


@dataclass(frozen=True, slots=True)
class Layout:
    """How one file maps onto a table: its layout name and canonical column <- file column."""

    name: str  # "canonical", "mapping", "shopify"
    table: str  # a key of SPECS
    columns: dict[str, str]
    status_from: tuple[StatusRule, ...] = ()
    excel_text: bool = False  # ids/zips may carry Excel's leading apostrophe ('04616)
    also_required: frozenset[str] = frozenset()  # cells required beyond REQUIRED_VALUES


def resolve_columns(raw: RawFile, table: str, mapping: TableMapping | None) -> dict[str, str]:
    """Canonical column -> file column: canonical names (any case), then the config's mapping."""
    spec = SPECS[table]
    by_key = {name.strip().lower(): name for name in raw.columns}
    columns = {canon: by_key[canon] for canon in spec if canon in by_key}
    for canon, column in mapping.columns if mapping else ():
        if column not in raw.columns:
            raise InputError(
                f"{raw.source.name}: line 1 (header): column '{column}' (mapped to "
                f"{table}.{canon} in segcli.yaml) is not in the file; "
                f"present: {listing(raw.columns)}"
            )
        columns[canon] = column
    return columns


def check_required(raw: RawFile, layout: Layout) -> None:
    missing = [g for g in REQUIRED[layout.table] if not any(c in layout.columns for c in g)]
    if not missing:
        return
    table = "orders" if layout.table == "line_items" else layout.table
    names = ", ".join(" or ".join(repr(c) for c in group) for group in missing)
    needed = ", ".join(" or ".join(group) for group in REQUIRED[layout.table])
    raise InputError(
        f"{raw.source.name}: line 1 (header): missing required column {names} for the {table} "
        f"table (needed: {needed}; present: {listing(raw.columns)}); rename the column or "
        f"map it under `{table}: columns:` in segcli.yaml"
    )


def listing(names: tuple[str, ...], limit: int = 25) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f", … ({len(names)} columns)" if len(names) > limit else "") or "(none)"
