"""Hand-written Polars queries for the five bench segments (the yardstick segcli is measured by).

Each is the fastest idiomatic lazy query we could write, run on the streaming engine, with the
semantics of docs/language.md on the bench data:
- identity is customer_id (every bench order carries one; orders with none would belong to nobody);
- orders after the as-of are never seen; money is compared in integer cents, exactly;
- spend is net (total − refunded); days_since_last_order counts calendar days (UTC);
- exported members need an email: the customers table's, else one on any order up to the as-of;
- text is compared as written: the generator writes canonical values (no stray case or spaces),
  so plain equality gives the same members as segcli's case-insensitive comparison.

As a script it prints the sorted member ids, one per line:
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


@dataclass(frozen=True, slots=True)
class Frames:
    orders: pl.LazyFrame  # customer_id, email, order_id, ordered_at, total_cents, refunded_cents
    lines: pl.LazyFrame  # order_id, sku, brand
    customers: pl.LazyFrame  # customer_id, email, registered_at, country


def cents(column: str) -> pl.Expr:
    return (pl.col(column) * 100).cast(pl.Int64).alias(f"{column}_cents")


def scan(folder: Path, fmt: str) -> Frames:
    """The three tables, lazily, with typed columns (CSV: text parsed with explicit formats)."""
    base = folder / fmt
    if fmt == "parquet":
        orders = pl.scan_parquet(base / "orders.parquet")
        return Frames(
            orders.with_columns(cents("total"), cents("refunded")),
            pl.scan_parquet(base / "order_lines.parquet"),
            pl.scan_parquet(base / "customers.parquet"),
        )
    when = {c: pl.col(c).str.strptime(pl.Datetime("us", "UTC"), CSV_TIME) for c in
            ("ordered_at", "registered_at")}  # fmt: skip
    money = {c: pl.col(c).cast(pl.Decimal(12, 2)) for c in ("total", "refunded")}
    orders = pl.scan_csv(base / "orders.csv", infer_schema=False)
    orders = orders.with_columns(when["ordered_at"], **money).with_columns(
        cents("total"), cents("refunded")
    )
    customers = pl.scan_csv(base / "customers.csv", infer_schema=False)
    return Frames(
        orders,
        pl.scan_csv(base / "order_lines.csv", infer_schema=False),
        customers.with_columns(when["registered_at"]),
    )


def seen(frames: Frames, as_of: datetime) -> pl.LazyFrame:
    return frames.orders.filter(pl.col("ordered_at") <= as_of, pl.col(KEY).is_not_null())


NET = pl.col("total_cents") - pl.col("refunded_cents").fill_null(0)
MAILABLE = pl.col("email").is_not_null().any().alias("mailable")


def mailable(per_customer: pl.LazyFrame, frames: Frames) -> pl.LazyFrame:
    """Members with an email: the customers table's, else (flag `mailable`) one on an order."""
    emails = frames.customers.select(KEY, "email")
    joined = per_customer.join(emails, on=KEY, how="left")
    return joined.filter(pl.col("email").is_not_null() | pl.col("mailable")).select(KEY)


def vip(frames: Frames, as_of: datetime) -> pl.LazyFrame:
    per = seen(frames, as_of).group_by(KEY).agg(n=pl.len(), spend=NET.sum(), mailable=MAILABLE)
    return mailable(per.filter(pl.col("n") > 2, pl.col("spend") > 50_000), frames)


def one_time_recent(frames: Frames, as_of: datetime) -> pl.LazyFrame:
    last = pl.col("ordered_at").max()
    per = seen(frames, as_of).group_by(KEY).agg(n=pl.len(), last=last, mailable=MAILABLE)
    recent = per.filter(pl.col("n") == 1, pl.col("last") > as_of - timedelta(days=90))
    return mailable(recent, frames)


def lapsed_big_spenders(frames: Frames, as_of: datetime) -> pl.LazyFrame:
    day = as_of.date() - timedelta(days=180)  # last order's date more than 180 days before
    cutoff = datetime(day.year, day.month, day.day, tzinfo=UTC)
    last = pl.col("ordered_at").max()
    per = seen(frames, as_of).group_by(KEY).agg(spend=NET.sum(), last=last, mailable=MAILABLE)
    return mailable(per.filter(pl.col("spend") > 100_000, pl.col("last") < cutoff), frames)


def brand_not_sku(frames: Frames, as_of: datetime) -> pl.LazyFrame:
    since = months_before(as_of, 6)
    lines = frames.lines.select("order_id", "sku", "brand").filter(
        (pl.col("brand") == BRAND) | (pl.col("sku") == SKU)
    )
    orders = seen(frames, as_of).select("order_id", KEY, "ordered_at")
    per = (
        lines.join(orders, on="order_id")
        .group_by(KEY)
        .agg(
            brand=((pl.col("brand") == BRAND) & (pl.col("ordered_at") > since)).any(),
            sku=(pl.col("sku") == SKU).any(),
        )
        .filter(pl.col("brand") & ~pl.col("sku"))
        .select(KEY)
    )
    return with_email(per, frames, as_of)


def with_email(candidates: pl.LazyFrame, frames: Frames, as_of: datetime) -> pl.LazyFrame:
    """Candidates with an email; orders are read only for those the customers table has none."""
    joined = candidates.join(frames.customers.select(KEY, "email"), on=KEY, how="left")
    direct = joined.filter(pl.col("email").is_not_null()).select(KEY)
    lacking = joined.filter(pl.col("email").is_null()).select(KEY)
    via_orders = (
        seen(frames, as_of)
        .filter(pl.col("email").is_not_null())
        .select(KEY)
        .join(lacking, on=KEY, how="semi")
        .unique()
    )
    return pl.concat([direct, via_orders])


def new_gb_ie_no_order(frames: Frames, as_of: datetime) -> pl.LazyFrame:
    registered = pl.col("registered_at")
    new = frames.customers.filter(
        registered > months_before(as_of, 12),
        registered <= as_of,
        pl.col("country").is_in(["GB", "IE"]),
        pl.col("email").is_not_null(),
    ).select(KEY)
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


def members(segment: str, frames: Frames, as_of: datetime) -> list[str]:
    """Sorted member ids of one segment (streaming engine)."""
    query = QUERIES[segment](frames, as_of).sort(KEY)
    return [str(k) for k in query.collect(engine="streaming")[KEY].to_list()]


def parse_as_of(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def main() -> None:
    parser = argparse.ArgumentParser(description="Hand-written Polars query for one segment.")
    parser.add_argument("segment", choices=sorted(QUERIES))
    parser.add_argument("--data", type=Path, required=True, help="bench/data/<scale>")
    parser.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    parser.add_argument("--as-of", default="2025-01-01")
    args = parser.parse_args()
    keys = members(args.segment, scan(args.data, args.format), parse_as_of(args.as_of))
    sys.stdout.write("".join(f"{k}\n" for k in keys))


if __name__ == "__main__":
    main()
