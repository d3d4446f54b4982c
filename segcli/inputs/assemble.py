"""From parsed rows to the normalized frames of docs/inputs.md: grouping line items into orders,
deriving customers, resolving identity and joining products onto lines. Everything stays lazy.
"""

from __future__ import annotations

import polars as pl

from segcli.inputs.columns import (
    ATTRIBUTES_ON_ORDERS,
    PARSED_NAME,
    RAW_COLUMNS,
    RAW_IDENTITY,
    RAW_ITEM,
    RAW_ORDER_ID,
    SPECS,
)
from segcli.inputs.identity import IdentityResolver, with_customer_key
from segcli.inputs.settings import Settings
from segcli.inputs.tables import (
    CUSTOMER_COLUMNS,
    EMAIL_CELL,
    FROM_EMAIL,
    ID_CELL,
    LINE_COLUMNS,
    ORDER_COLUMNS,
    ORDER_EMAIL_RAW,
    RAW_KEY,
    REVIEW_COLUMNS,
    polars_schema,
)
from segcli.inputs.typed_columns import PARSED_DTYPES


def parsed_schema(table: str) -> dict[str, pl.DataType]:
    """Column -> dtype of a table's parsed rows (money columns already in cents)."""
    return {
        PARSED_NAME.get(name, name): PARSED_DTYPES.get(kind, pl.String())
        for name, kind in SPECS[table].items()
    }


def complete(frame: pl.LazyFrame, table: str) -> pl.LazyFrame:
    """Every parsed column of `table`, in a fixed order; absent ones are typed nulls."""
    present = set(frame.collect_schema().names())
    return frame.select(
        *(
            pl.col(name) if name in present else pl.lit(None, dtype).alias(name)
            for name, dtype in parsed_schema(table).items()
        ),
        *(pl.col(raw) for raw in RAW_COLUMNS if raw in present),
    )


def _first(name: str) -> pl.Expr:
    return pl.col(name).drop_nulls().first()


def _latest(name: str) -> pl.Expr:
    return pl.col(name).sort_by("ordered_at").drop_nulls().last()


def orders_from_line_items(rows: pl.LazyFrame, *, has_total: bool) -> pl.LazyFrame:
    """One order per order_id. Order fields come from the first row that has them (Shopify
    writes them on an order's first row only); without a total column, the total is the exact
    sum of quantity x unit price over the order's lines (negative quantities included)."""
    if has_total:
        total = _first("total_cents")
    else:
        total = (pl.col("quantity").fill_null(1) * pl.col("unit_price_cents")).sum()
    return rows.group_by("order_id", maintain_order=True).agg(
        _first("customer_id"),
        _first("email"),
        pl.col("ordered_at").min(),
        total.alias("total_cents"),
        _first("refunded_cents"),
        _first("status"),
        _first("discount_code"),
        _first("currency"),
    )


def lines_from_line_items(rows: pl.LazyFrame) -> pl.LazyFrame:
    return rows.select(
        pl.col("order_id"),
        *(pl.col(name) for name in ("sku", "product_name", "brand", "category", "collection")),
        pl.col("tags"),
        pl.col("quantity"),
        pl.col("unit_price_cents"),
    )


def customers_from_line_items(rows: pl.LazyFrame) -> pl.LazyFrame:
    """One customer per identity, each attribute from the customer's latest order that has it."""
    keyed = rows.with_columns(customer_key=pl.coalesce("customer_id", "email"))
    grouped = keyed.filter(pl.col("customer_key").is_not_null()).group_by(
        "customer_key", maintain_order=True
    )
    return grouped.agg(
        _first("customer_id"), _latest("email"), *(_latest(a) for a in ATTRIBUTES_ON_ORDERS)
    ).pipe(finish_customers)


def finish_customers(frame: pl.LazyFrame) -> pl.LazyFrame:
    present = set(frame.collect_schema().names())
    columns = []
    for name, dtype in polars_schema(CUSTOMER_COLUMNS).items():
        if name == "customer_key":
            columns.append(pl.coalesce("customer_id", "email").alias(name))
        elif name in present:
            columns.append(pl.col(name).cast(dtype))
        else:
            columns.append(pl.lit(None, dtype).alias(name))
    return frame.select(columns)


def finish_orders(
    orders: pl.LazyFrame,
    settings: Settings,
    by_email: pl.LazyFrame | None,
    *,
    emails: bool = True,
) -> pl.LazyFrame:
    """Normalized orders, plus the raw identity pair an IdentityResolver turns into
    customer_key once per group (RAW_KEY, FROM_EMAIL), the order's email as written, null
    when blank, and the cells these are made from (ID_CELL, EMAIL_CELL). `by_email`:
    customers whose ids the orders take by email (see inputs.identity). `emails`: the orders
    have an email column; without one, integer ids (an Int64 raw id) are the raw key as they
    are, with no text made or checked per order."""
    keys = IdentityResolver(settings, by_email)
    schema = orders.collect_schema()
    raw_cid, raw_email = (
        pl.col(raw) if raw in schema else pl.col(canon) for raw, canon in RAW_IDENTITY.items()
    )
    numbers = schema.get(next(iter(RAW_IDENTITY))) == pl.Int64
    identity = keys.raw_identity(raw_cid, raw_email, numbers=numbers, emails=emails)
    orders = orders.with_columns(
        *identity, raw_cid.alias(ID_CELL), raw_email.cast(pl.String).alias(EMAIL_CELL)
    )
    keyed = with_customer_key(orders, by_email)
    currency = settings.currency
    fills = {
        "refunded_cents": pl.col("refunded_cents").fill_null(0),
        "currency": pl.col("currency").fill_null(currency) if currency else pl.col("currency"),
    }
    return keyed.select(
        *(
            fills.get(name, pl.col(name)).cast(dtype).alias(name)
            for name, dtype in polars_schema(ORDER_COLUMNS).items()
        ),
        RAW_KEY,
        FROM_EMAIL,
        ORDER_EMAIL_RAW,
        ID_CELL,
        EMAIL_CELL,
        *(c for c in RAW_ORDER_ID if c in schema),
    )


def finish_lines(lines: pl.LazyFrame, products: pl.LazyFrame | None) -> pl.LazyFrame:
    """Normalized lines; product attributes fill in where the line has none (line values win).

    Without products, the item cells as written (RAW_ITEM) are kept too; with products they
    are not: a line's value may then come from the catalog."""
    attributes = ("product_name", "brand", "category", "collection", "tags")
    present = set(lines.collect_schema().names())
    raw = [name for name in RAW_ITEM if name in present and products is None]
    raw += [name for name in RAW_ORDER_ID if name in present]
    if products is not None:
        catalog = products.filter(pl.col("sku").is_not_null()).unique(
            subset=["sku"], keep="first", maintain_order=True
        )
        catalog = catalog.select("sku", *(pl.col(a).alias(f"__product_{a}") for a in attributes))
        lines = lines.join(catalog, on="sku", how="left", maintain_order="left")
        lines = lines.with_columns(pl.coalesce(a, f"__product_{a}").alias(a) for a in attributes)
    fills = {"quantity": pl.col("quantity").fill_null(1)}
    return lines.select(
        *(
            fills.get(name, pl.col(name)).cast(dtype).alias(name)
            for name, dtype in polars_schema(LINE_COLUMNS).items()
        ),
        *raw,
    )


def finish_reviews(reviews: pl.LazyFrame, customers: pl.LazyFrame | None) -> pl.LazyFrame:
    keyed = with_customer_key(reviews, customers)
    return keyed.select(
        pl.col(name).cast(dtype).alias(name)
        for name, dtype in polars_schema(REVIEW_COLUMNS).items()
    )
