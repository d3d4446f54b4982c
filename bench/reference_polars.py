"""Hand-written Polars queries for the five bench segments (the yardstick segcli is measured by).

Each is the fastest idiomatic lazy query we could write for this data, run on the streaming
engine: one fused group-by per segment, the export columns joined from customers, sorted and
written as the same snapshot CSV as `segcli build --with-id` (run.py compares the bytes). It
relies on what the generated data guarantees, which segcli may not:
- identity is customer_id (every bench order carries one; orders with none would belong to nobody);
- text is canonical (no stray case or spaces, nothing a spreadsheet would read as a formula, no
  comma or quote in an exported cell), so plain equality and plain CSV writing suffice;
- every buyer is in the customers table, each with a name or a first and a last name;
- a customer's orders carry at most one distinct email (their own, or one guest email), so the
  smallest is the earliest; warehouse-shaped orders carry none, and nothing falls back to them;
- orders after the as-of are never seen; money is integer cents (Float64 money rounded to the
  cent), spend is net (total − refunded) and never negative; days_since_last_order counts UTC
  calendar days; naive timestamps are UTC.

As a script it writes the snapshot CSV to stdout:
`python bench/reference_polars.py vip --data bench/data/S --format parquet --as-of 2025-01-01`
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

KEY = "customer_id"
CSV_TIME = "%Y-%m-%dT%H:%M:%SZ"
BRAND, SKU = "Brandwell", "SKU-1001"
SPEND, ORDER_EMAIL = "spend", "order_email"


@dataclass(frozen=True, slots=True)
class Frames:
    orders: pl.LazyFrame  # customer_id, [email], order_id, ordered_at, total_cents, refunded_cents
    lines: pl.LazyFrame  # order_id, sku, brand
    customers: pl.LazyFrame  # customer_id, email, names, registered_at, country, postal_code
    order_emails: bool  # the orders have an email column
    naive: bool  # timestamps are naive (UTC by convention)

    def at(self, instant: datetime) -> datetime:
        """`instant` as the timestamps are written (a naive column compares to naive values)."""
        return instant.replace(tzinfo=None) if self.naive else instant


def cents(column: str, dtype: pl.DataType) -> pl.Expr:
    scaled = pl.col(column) * 100
    exact = scaled.round() if dtype.is_float() else scaled
    return exact.cast(pl.Int64).alias(f"{column}_cents")


def scan(folder: Path, fmt: str) -> Frames:
    """The three tables, lazily, with typed columns (CSV: text parsed with explicit formats)."""
    base = folder / fmt
    if fmt == "parquet":
        orders = pl.scan_parquet(base / "orders.parquet")
        schema = orders.collect_schema()
        money = [cents(c, schema[c]) for c in ("total", "refunded")]
        at = schema["ordered_at"]
        return Frames(
            orders.with_columns(money),
            pl.scan_parquet(base / "order_lines.parquet"),
            pl.scan_parquet(base / "customers.parquet"),
            order_emails="email" in schema,
            naive=isinstance(at, pl.Datetime) and at.time_zone is None,
        )
    when = {c: pl.col(c).str.strptime(pl.Datetime("us", "UTC"), CSV_TIME) for c in
            ("ordered_at", "registered_at")}  # fmt: skip
    decimal = {c: pl.col(c).cast(pl.Decimal(12, 2)) for c in ("total", "refunded")}
    orders = pl.scan_csv(base / "orders.csv", infer_schema=False)
    orders = orders.with_columns(when["ordered_at"], **decimal).with_columns(
        cents("total", pl.Decimal(12, 2)), cents("refunded", pl.Decimal(12, 2))
    )
    customers = pl.scan_csv(base / "customers.csv", infer_schema=False)
    return Frames(
        orders,
        pl.scan_csv(base / "order_lines.csv", infer_schema=False),
        customers.with_columns(when["registered_at"]),
        order_emails=True,
        naive=False,
    )


def seen(frames: Frames, as_of: datetime) -> pl.LazyFrame:
    return frames.orders.filter(pl.col("ordered_at") <= frames.at(as_of), pl.col(KEY).is_not_null())


NET = pl.col("total_cents") - pl.col("refunded_cents").fill_null(0)


def per_customer(frames: Frames, as_of: datetime, **aggregates: pl.Expr) -> pl.LazyFrame:
    """The one group-by of a segment: its aggregates, net spend and the order email."""
    email = {ORDER_EMAIL: pl.col("email").min()} if frames.order_emails else {}
    return seen(frames, as_of).group_by(KEY).agg(**aggregates, **email, **{SPEND: NET.sum()})


def export(members: pl.LazyFrame, frames: Frames) -> pl.LazyFrame:
    """`members` (customer_id, spend, [order_email]) → the export rows of those with an email,
    sorted by the id as text."""
    people = frames.customers.select(KEY, "email", "name", "first_name", "last_name",
                                     "registered_at", "country", "postal_code")  # fmt: skip
    rows = members.join(people, on=KEY)
    email = pl.col("email")
    if ORDER_EMAIL in members.collect_schema():
        email = pl.coalesce(email, ORDER_EMAIL)
    spend = pl.col(SPEND)
    return (
        rows.with_columns(email.alias("email"))
        .filter(pl.col("email").is_not_null())
        .select(
            pl.col(KEY).cast(pl.String).alias("Customer ID"),
            pl.coalesce("name", pl.format("{} {}", "first_name", "last_name")).alias("Name"),
            pl.col("first_name").alias("First Name"),
            pl.col("last_name").alias("Last Name"),
            pl.col("email").alias("Email Address"),
            pl.col("registered_at").dt.date().alias("Date Registered"),
            pl.col("country").alias("Country"),
            pl.col("postal_code").alias("Postal Code"),
            pl.format("{}.{}", spend // 100, (spend % 100).cast(pl.String).str.zfill(2)).alias(
                "Lifetime Spend"
            ),
        )
        .sort("Customer ID")
    )


def vip(frames: Frames, as_of: datetime) -> pl.LazyFrame:
    per = per_customer(frames, as_of, n=pl.len())
    return per.filter(pl.col("n") > 2, pl.col(SPEND) > 50_000)


def one_time_recent(frames: Frames, as_of: datetime) -> pl.LazyFrame:
    per = per_customer(frames, as_of, n=pl.len(), last=pl.col("ordered_at").max())
    return per.filter(pl.col("n") == 1, pl.col("last") > frames.at(as_of - timedelta(days=90)))


def lapsed_big_spenders(frames: Frames, as_of: datetime) -> pl.LazyFrame:
    day = as_of.date() - timedelta(days=180)  # last order's date more than 180 days before
    cutoff = frames.at(datetime(day.year, day.month, day.day, tzinfo=UTC))
    per = per_customer(frames, as_of, last=pl.col("ordered_at").max())
    return per.filter(pl.col(SPEND) > 100_000, pl.col("last") < cutoff)


def brand_not_sku(frames: Frames, as_of: datetime) -> pl.LazyFrame:
    since = frames.at(months_before(as_of, 6))
    lines = frames.lines.select("order_id", "sku", "brand").filter(
        (pl.col("brand") == BRAND) | (pl.col("sku") == SKU)
    )
    orders = seen(frames, as_of).select("order_id", KEY, "ordered_at")
    candidates = (
        lines.join(orders, on="order_id")
        .group_by(KEY)
        .agg(
            brand=((pl.col("brand") == BRAND) & (pl.col("ordered_at") > since)).any(),
            sku=(pl.col("sku") == SKU).any(),
        )
        .filter(pl.col("brand") & ~pl.col("sku"))
        .select(KEY)
    )
    email = {ORDER_EMAIL: pl.col("email").min()} if frames.order_emails else {}
    theirs = seen(frames, as_of).join(candidates, on=KEY, how="semi")
    return theirs.group_by(KEY).agg(**email, **{SPEND: NET.sum()})


def new_gb_ie_no_order(frames: Frames, as_of: datetime) -> pl.LazyFrame:
    registered = pl.col("registered_at")
    new = frames.customers.filter(
        registered > frames.at(months_before(as_of, 12)),
        registered <= frames.at(as_of),
        pl.col("country").is_in(["GB", "IE"]),
        pl.col("email").is_not_null(),
    ).select(KEY, pl.lit(0, dtype=pl.Int64).alias(SPEND))
    return new.join(seen(frames, as_of).select(KEY), on=KEY, how="anti")


def months_before(instant: datetime, months: int) -> datetime:
    """Calendar months back, the day clamped to the month's end (as segcli's periods)."""
    shifted = pl.select(pl.lit(instant).dt.offset_by(f"-{months}mo")).item()
    assert isinstance(shifted, datetime)
    return shifted


QUERIES: dict[str, Callable[[Frames, datetime], pl.LazyFrame]] = {
    "vip": vip,
    "one_time_recent": one_time_recent,
    "lapsed_big_spenders": lapsed_big_spenders,
    "brand_not_sku": brand_not_sku,
    "new_gb_ie_no_order": new_gb_ie_no_order,
}


def snapshot(segment: str, frames: Frames, as_of: datetime) -> pl.DataFrame:
    """The export rows of one segment, sorted (streaming engine)."""
    return export(QUERIES[segment](frames, as_of), frames).collect(engine="streaming")


def members(segment: str, frames: Frames, as_of: datetime) -> list[str]:
    """Sorted member ids of one segment, with the query that writes its snapshot."""
    return snapshot(segment, frames, as_of)["Customer ID"].to_list()


def parse_as_of(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def main() -> None:
    parser = argparse.ArgumentParser(description="Hand-written Polars query for one segment.")
    parser.add_argument("segment", choices=sorted(QUERIES))
    parser.add_argument("--data", type=Path, required=True, help="bench/data/<scale>")
    parser.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    parser.add_argument("--as-of", default="2025-01-01")
    args = parser.parse_args()
    rows = snapshot(args.segment, scan(args.data, args.format), parse_as_of(args.as_of))
    rows.write_csv(sys.stdout.buffer)


if __name__ == "__main__":
    main()
