"""Opening the inputs on Spark: the canonical tables as lazy Spark frames, normalized the way
the single-machine reader normalizes them (segcli.inputs.assemble)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812

from segcli.backends.spark import cells
from segcli.backends.spark.read import (
    FIRST_ROW_WINS,
    ROW_ORDER,
    TableFiles,
    non_blank_rows,
    parsed,
    raw_cell,
    read_files,
)
from segcli.inputs.settings import Settings
from segcli.plan import KEY, MEMBER_ATTRIBUTES

if TYPE_CHECKING:
    from segcli.backends import InputRequest

ORDER_EMAIL_RAW = "__segcli_email_raw"  # an order's email as written, null when blank
_KEY_BY_EMAIL = "__segcli_key_by_email"
_PRODUCT_ATTRIBUTES = ("product_name", "brand", "category", "collection", "tags")


@dataclass(frozen=True, slots=True)
class SparkInputs:
    """The normalized tables as Spark frames (nothing read yet), and what segcli reports."""

    orders: DataFrame = field(compare=False, repr=False)
    lines: DataFrame | None = field(compare=False, repr=False)
    customers: DataFrame | None = field(compare=False, repr=False)  # one row per customer_key
    reviews: DataFrame | None = field(compare=False, repr=False)
    settings: Settings
    sources: tuple[Path, ...]
    has_registration_date: bool
    uris: tuple[str, ...] = ()  # inputs Spark resolves itself, not files of this machine

    @property
    def engine(self) -> str:
        return "spark"

    @property
    def has_lines(self) -> bool:
        return self.lines is not None

    @property
    def has_reviews(self) -> bool:
        return self.reviews is not None


def open_inputs(spark: SparkSession, request: InputRequest) -> SparkInputs:
    settings = request.settings  # checked by the engine before the session started
    order_files = read_files(spark, request.orders, "orders", settings)
    files = {"orders": order_files}
    for table, spec in (
        ("lines", request.lines),
        ("customers", request.customers),
        ("reviews", request.reviews),
        ("products", request.products),
    ):
        if spec is not None:
            files[table] = read_files(spark, spec, table, settings)
    rows = {table: _rows(read, settings) for table, read in files.items()}
    customer_rows = rows.get("customers")
    lines = rows.get("lines")
    reviews = rows.get("reviews")
    return SparkInputs(
        orders=_orders(rows["orders"], order_files, customer_rows, settings),
        lines=None if lines is None else _lines(lines, rows.get("products")),
        customers=None if customer_rows is None else _first_per_key(customer_rows),
        reviews=None if reviews is None else _reviews(reviews, files["reviews"], customer_rows),
        settings=settings,
        sources=tuple(path for read in files.values() for path in read.sources),
        has_registration_date="customers" in files
        and "registered_at" in files["customers"].columns,
        uris=tuple(uri for read in files.values() for uri in read.uris),
    )


def _rows(files: TableFiles, settings: Settings) -> DataFrame:
    """The table's parsed canonical columns, the identity cells as written and the row order."""
    columns = parsed(files, settings)
    extra: list[Column] = [F.col(ROW_ORDER)] if files.table in FIRST_ROW_WINS else []
    if files.table == "orders":
        extra += [raw_cell(files, "customer_id").alias("__raw_cid"),
                  raw_cell(files, "email").alias("__raw_email")]  # fmt: skip
    frame = files.frame.filter(non_blank_rows(files))
    return frame.select(*(c.alias(n) for n, c in columns.items()), *extra)


def _orders(
    rows: DataFrame, files: TableFiles, customers: DataFrame | None, settings: Settings
) -> DataFrame:
    """customer_key: the id, else the email, else (orders without a customer_id column beside
    customers with ids) the id of the customer with that email (segcli.inputs.assemble)."""
    blank_email = cells.is_blank(F.col("__raw_email"))
    frame = rows.withColumn(ORDER_EMAIL_RAW, F.when(~blank_email, F.col("__raw_email")))
    key = _keyed(frame, "customer_id" in files.columns, customers)
    currency = F.col("currency")
    if settings.currency:
        currency = F.coalesce(currency, F.lit(settings.currency))
    return key.select(
        "order_id",
        KEY,
        ORDER_EMAIL_RAW,
        "ordered_at",
        "total_cents",
        F.coalesce(F.col("refunded_cents"), F.lit(0).cast("long")).alias("refunded_cents"),
        "status",
        "discount_code",
        currency.alias("currency"),
    )


def _keyed(frame: DataFrame, has_ids: bool, customers: DataFrame | None) -> DataFrame:
    if customers is None or has_ids:
        return frame.withColumn(KEY, F.coalesce(F.col("customer_id"), F.col("email")))
    by_email = (
        customers.filter(F.col("customer_id").isNotNull() & F.col("email").isNotNull())
        .groupBy("email")
        .agg(F.min(F.coalesce(F.col("customer_id"), F.col("email"))).alias(_KEY_BY_EMAIL))
    )
    joined = frame.join(by_email, on="email", how="left")
    key = F.coalesce(F.col("customer_id"), F.col(_KEY_BY_EMAIL), F.col("email"))
    return joined.withColumn(KEY, key).drop(_KEY_BY_EMAIL)


def _first_per_key(customers: DataFrame) -> DataFrame:
    """One row per customer key: the first row wins, in the order of ROW_ORDER (file path,
    then row within the file)."""
    keyed = customers.withColumn(KEY, F.coalesce(F.col("customer_id"), F.col("email")))
    first = F.min_by(F.struct(*(F.col(a) for a in MEMBER_ATTRIBUTES)), F.col(ROW_ORDER))
    picked = keyed.filter(F.col(KEY).isNotNull()).groupBy(KEY).agg(first.alias("__first"))
    return picked.select(KEY, *(F.col("__first").getField(a).alias(a) for a in MEMBER_ATTRIBUTES))


def _lines(lines: DataFrame, products: DataFrame | None) -> DataFrame:
    """Lines with product attributes filled in where the line has none (line values win)."""
    if products is not None:
        first = F.min_by(F.struct(*(F.col(a) for a in _PRODUCT_ATTRIBUTES)), F.col(ROW_ORDER))
        catalog = products.filter(F.col("sku").isNotNull()).groupBy("sku").agg(first.alias("__p"))
        lines = lines.join(catalog, on="sku", how="left").select(
            *(c for c in lines.columns if c not in _PRODUCT_ATTRIBUTES),
            *(F.coalesce(F.col(a), F.col("__p").getField(a)).alias(a) for a in _PRODUCT_ATTRIBUTES),
        )
    quantity = F.coalesce(F.col("quantity"), F.lit(1).cast("long")).alias("quantity")
    return lines.select("order_id", "sku", *_PRODUCT_ATTRIBUTES, quantity)


def _reviews(rows: DataFrame, files: TableFiles, customers: DataFrame | None) -> DataFrame:
    keyed = _keyed(rows, "customer_id" in files.columns, customers)
    return keyed.select(KEY, "sku", "product_name", "reviewed_at")
