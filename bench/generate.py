"""Generate the benchmark data: customers, orders, order_lines (and reviews) at scale S, M, L or 2L.

Canonical layout (docs/inputs.md), written as Parquet (typed: Datetime(us, UTC) timestamps,
Decimal(12, 2) money, booleans) and as CSV (ISO UTC text `2024-05-01T10:00:00Z`, money as
decimal text `125.40`) under bench/data/<scale>/{parquet,csv}/<table>.{parquet,csv}.

Deterministic (every value is a hash of a row key, see synth.py) and chunked: customers are
generated whole (2M rows at L), the order skeleton (customer, instant) too, but lines and the order
columns are built and written one chunk of orders at a time, as Parquet row groups and CSV appends.
Orders are sorted by ordered_at (order ids grow with time), so Parquet row-group statistics let a
recent-period query skip most of the file. Orders run to 2025-03-01, two months past the as-of
(2025-01-01) the benchmark uses, so the as-of cut-off matters.

Two shapes of the same data (`--shape`): "benchmark" (above: text ids `C0000001`/`O000000001`,
Decimal money, UTC timestamps, an email on orders, Parquet and CSV, in bench/data/<scale>) and
"warehouse", Parquet as a warehouse writes it (Int64 customer and order ids, Float64 money, naive
microsecond timestamps, no email on orders, Parquet only, in bench/data/<scale>-warehouse).

Run: `python bench/generate.py --scale S [--shape warehouse]` (skips when the files exist with the
same parameters).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synth import (
    COUNTRIES,
    CURRENCY,
    CUSTOMER_TAGS,
    CUSTOMER_TYPES,
    DISCOUNT_CODES,
    FIRST,
    LAST,
    PERCENT_OFF,
    SEED,
    index,
    lines_per_order,
    pick,
    product_index,
    products,
    uniform,
)
from writers import TableWriter, money, utc

DATA = Path(__file__).resolve().parent / "data"
VERSION = 4  # bump when the generated data changes
REGISTER_FROM = datetime(2019, 1, 1, tzinfo=UTC)
ORDERS_FROM = datetime(2022, 1, 1, tzinfo=UTC)
ORDERS_TO = datetime(2025, 3, 1, tzinfo=UTC)
AS_OF = "2025-01-01"
DAY_US = 86_400_000_000
TABLES = ("customers", "orders", "order_lines", "reviews")
SHAPES = ("benchmark", "warehouse")
STATUSES = {"refunded": 5, "cancelled": 3, "partially_refunded": 5, "paid": 87}


@dataclass(frozen=True, slots=True)
class Scale:
    name: str
    customers: int
    orders: int  # the target; the generated count is within about 1%
    chunk: int = 1_000_000  # orders per chunk


SCALES = {
    "S": Scale("S", 10_000, 100_000),
    "M": Scale("M", 1_000_000, 10_000_000),
    "L": Scale("L", 2_000_000, 30_000_000),
    "2L": Scale("2L", 4_000_000, 60_000_000),  # twice L: memory stays flat in the data's size
}


def _us(at: datetime) -> int:
    return int(at.timestamp() * 1_000_000)


def stamp(scale: Scale, shape: str) -> dict[str, object]:
    return {"version": VERSION, "seed": SEED, "shape": shape, **asdict(scale)}


def folder(scale: str, shape: str) -> Path:
    """Where a scale's data of one shape lives."""
    return DATA / (scale if shape == "benchmark" else f"{scale}-{shape}")


def formats(shape: str) -> tuple[str, ...]:
    return ("parquet", "csv") if shape == "benchmark" else ("parquet",)


def paths(scale: str, fmt: str, shape: str = "benchmark") -> dict[str, Path]:
    """Where each table of a scale lives, for one format ("parquet" or "csv")."""
    return {t: folder(scale, shape) / fmt / f"{t}.{fmt}" for t in TABLES}


def is_current(scale: Scale, shape: str) -> bool:
    marker = folder(scale.name, shape) / "params.json"
    files = [f for fmt in formats(shape) for f in paths(scale.name, fmt, shape).values()]
    if not marker.exists() or not all(f.exists() for f in files):
        return False
    return bool(json.loads(marker.read_text()) == stamp(scale, shape))


# ---- customers and how often they buy -------------------------------------------------------


def customers_frame(scale: Scale) -> pl.DataFrame:
    """One row per customer with the export attributes and the buying plan (n_orders, window)."""
    i = pl.col("i")
    frame = pl.select(i=pl.int_range(0, scale.customers, dtype=pl.Int64))
    span = _us(ORDERS_TO) - _us(REGISTER_FROM)
    frame = frame.with_columns(
        first_name=pick(uniform(i, 10), FIRST),
        last_name=pick(uniform(i, 11), LAST),
        registered_us=_us(REGISTER_FROM) + (span * uniform(i, 12) ** 0.6).cast(pl.Int64),
        country=pick(uniform(i, 13), list(COUNTRIES), list(COUNTRIES.values())),
        customer_type=pick(uniform(i, 14), list(CUSTOMER_TYPES), list(CUSTOMER_TYPES.values())),
        accepts_marketing=uniform(i, 15) < 0.6,
        tags=pick(uniform(i, 16), CUSTOMER_TAGS),
        has_email=uniform(i, 17) >= 0.05,  # 5% unidentified: cannot be mailed
        name_style=uniform(i, 18),
    )
    return frame.with_columns(
        customer_id=pl.format("C{}", (i + 1).cast(pl.String).str.zfill(7)),
        email=pl.when("has_email").then(
            pl.format("{}.{}{}@example.com", "first_name", "last_name", i + 1).str.to_lowercase()
        ),
        name=pl.when(pl.col("name_style") < 0.12)
        .then(None)
        .otherwise(pl.format("{} {}", "first_name", "last_name")),
        postal_code=_postal_code(i),
        tags=pl.when(pl.col("tags") == "").then(None).otherwise("tags"),
    )


def _postal_code(i: pl.Expr) -> pl.Expr:
    """GB: an outward code of a few UK areas + an inward code; elsewhere 5 digits (zeros kept)."""
    area = pick(uniform(i, 19), ["SW1A", "SW19", "EC1V", "M4", "B33", "LS6", "EH3", "G12", "N1"])
    inward = pl.format("{}{}", (i % 9) + 1, pick(uniform(i, 23), ["AB", "DX", "GU", "PQ", "ZT"]))
    digits = (i % 99_991).cast(pl.String).str.zfill(5)
    return (
        pl.when(pl.col("country") == "GB").then(pl.format("{} {}", area, inward)).otherwise(digits)
    )


def order_counts(frame: pl.DataFrame, tail_scale: float) -> pl.Expr:
    """25% never buy, 45% once, 30% repeat with a long (Lomax) tail, capped at 2000."""
    u, v = uniform(pl.col("i"), 20), uniform(pl.col("i"), 21)
    active = pl.max_horizontal(pl.col("registered_us"), pl.lit(_us(ORDERS_FROM))) < _us(ORDERS_TO)
    repeat = 2 + (tail_scale * ((1.0 - v) ** (-1 / 2.5) - 1)).floor().clip(0, 1998)
    del frame
    return (
        pl.when(~active | (u < 0.25))
        .then(0)
        .when(u < 0.70)
        .then(1)
        .otherwise(repeat)
        .cast(pl.Int64)
    )


def with_buying_plan(frame: pl.DataFrame, target_orders: int) -> pl.DataFrame:
    """n_orders calibrated (bisection on the tail's scale) to about target_orders in total."""
    low, high = 0.0, 10_000.0
    for _ in range(40):
        mid = (low + high) / 2
        total = frame.select(order_counts(frame, mid).sum()).item()
        low, high = (mid, high) if total < target_orders else (low, mid)
    start = pl.max_horizontal(pl.col("registered_us"), pl.lit(_us(ORDERS_FROM)))
    lapse = pl.when(pl.col("n_orders") > 1).then(0.3 + 0.7 * uniform(pl.col("i"), 22)).otherwise(1)
    return frame.with_columns(n_orders=order_counts(frame, (low + high) / 2)).with_columns(
        start_us=start,
        span_us=((_us(ORDERS_TO) - start) * lapse).cast(pl.Int64),  # some stop buying early
    )


def order_skeleton(plan: pl.DataFrame) -> pl.DataFrame:
    """(order_no, customer index, ordered_at in µs) for every order, sorted by time."""
    exploded = (
        plan.filter(pl.col("n_orders") > 0)
        .select("i", "start_us", "span_us", k=pl.int_ranges(0, "n_orders"))
        .explode("k")
        .with_row_index("draw")
    )
    at = pl.col("start_us") + (pl.col("span_us") * uniform(pl.col("draw"), 30)).cast(pl.Int64)
    at = at // 1_000_000 * 1_000_000  # whole seconds, like real exports
    return (
        exploded.select("i", ordered_us=at)
        .sort("ordered_us", "i", maintain_order=True)
        .with_row_index("order_no")
    )


# ---- one chunk of orders: its lines, its order rows, its reviews ------------------------------


def make_lines(skeleton: pl.DataFrame, catalog: pl.DataFrame) -> pl.DataFrame:
    """The chunk's line items (product attributes joined from the catalog), with cents."""
    order_no = pl.col("order_no")
    key = order_no * 16 + pl.col("pos")
    draw = uniform(key, 42)
    return (
        skeleton.with_columns(pos=pl.int_ranges(0, lines_per_order(uniform(order_no, 40))))
        .explode("pos")
        .with_columns(
            product=product_index(uniform(key, 41)),
            quantity=(1 + (draw < 0.2).cast(pl.Int64) + (draw < 0.05).cast(pl.Int64)),
            review_draw=uniform(key, 43),
            review_days=index(uniform(key, 44), 38) + 3,
        )
        .join(catalog, on="product", how="left", maintain_order="left")
    )


def make_orders(skeleton: pl.DataFrame, lines: pl.DataFrame, people: pl.DataFrame) -> pl.DataFrame:
    """Order rows: totals from the lines less discounts plus shipping; statuses and refunds."""
    order_no = pl.col("order_no")
    subtotal = lines.group_by("order_no").agg(
        subtotal=(pl.col("quantity") * pl.col("price_cents")).sum()
    )
    code = pl.when(uniform(order_no, 50) < 0.15).then(
        pick(uniform(order_no, 51), list(DISCOUNT_CODES), list(DISCOUNT_CODES.values()))
    )
    frame = skeleton.join(subtotal, on="order_no", how="left", maintain_order="left").with_columns(
        discount_code=code,
        email=people["email"].gather(skeleton["i"]),
        country=people["country"].gather(skeleton["i"]),
        status_draw=uniform(order_no, 52),
        guest=uniform(order_no, 54) < 0.3,
    )
    return (
        frame.with_columns(total_cents=_order_total())
        .with_columns(
            order_id=_order_id(order_no),
            customer_id=_customer_id(pl.col("i")),
            email=pl.coalesce(
                "email",
                pl.when("guest").then(pl.format("c{}@guest.example.net", pl.col("i") + 1)),
            ),
            status=pick(pl.col("status_draw"), list(STATUSES), list(STATUSES.values())),
            currency=pl.col("country").replace_strict(CURRENCY, default="EUR"),
        )
        .with_columns(refunded_cents=_refunded(order_no))
    )


def _order_total() -> pl.Expr:
    code, sub = pl.col("discount_code").fill_null(""), pl.col("subtotal")
    percent = pl.lit(0, dtype=pl.Int64)
    for word, off in PERCENT_OFF.items():
        percent = pl.when(code.str.contains(word, literal=True)).then(off).otherwise(percent)
    welcome = pl.when(code.str.contains("WELCOME5", literal=True)).then(500).otherwise(0)
    freeship = code.str.contains("FREESHIP", literal=True)
    shipping = pl.when((sub < 5000) & ~freeship).then(395).otherwise(0)
    return pl.max_horizontal(sub - (sub * percent + 50) // 100 - welcome + shipping, 1)


def _refunded(order_no: pl.Expr) -> pl.Expr:
    status, total = pl.col("status"), pl.col("total_cents")
    part = (total * (0.1 + 0.5 * uniform(order_no, 53))).floor().cast(pl.Int64)
    return (
        pl.when(status.is_in(["refunded", "cancelled"]))
        .then(total)
        .when(status == "partially_refunded")
        .then(part)
    )


def _order_id(order_no: pl.Expr) -> pl.Expr:
    return pl.format("O{}", (order_no + 1).cast(pl.String).str.zfill(9))


def _customer_id(i: pl.Expr) -> pl.Expr:
    return pl.format("C{}", (i + 1).cast(pl.String).str.zfill(7))


# ---- the typed tables as written ---------------------------------------------------------------


def customers_out(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(
        "customer_id", "email", "first_name", "last_name", "name",
        utc("registered_us").alias("registered_at"), "country", "postal_code", "customer_type",
        "accepts_marketing", "tags",
    )  # fmt: skip


def orders_out(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(
        "order_id", "customer_id", "email", utc("ordered_us").alias("ordered_at"),
        money("total_cents").alias("total"), money("refunded_cents").alias("refunded"),
        "status", "discount_code", "currency",
    )  # fmt: skip


def lines_out(lines: pl.DataFrame) -> pl.DataFrame:
    return lines.select(
        _order_id(pl.col("order_no")).alias("order_id"), "sku", "product_name", "brand",
        "category", "collection", "tags", "quantity", money("price_cents").alias("unit_price"),
    )  # fmt: skip


def reviews_out(lines: pl.DataFrame) -> pl.DataFrame:
    """About 2% of lines are reviewed 3-40 days later (never after the data ends)."""
    at = pl.col("ordered_us") + pl.col("review_days") * DAY_US
    return lines.filter((pl.col("review_draw") < 0.02) & (at < _us(ORDERS_TO))).select(
        _customer_id(pl.col("i")).alias("customer_id"),
        "sku",
        pl.from_epoch(at, time_unit="us").dt.replace_time_zone("UTC").alias("reviewed_at"),
        "product_name",
    )


def warehouse(frame: pl.DataFrame) -> pl.DataFrame:
    """A typed table as a warehouse writes it: Int64 ids (the number in `C0000042`, `O…`),
    Float64 money, naive UTC timestamps, and orders without an email column."""
    if "order_id" in frame.columns and "ordered_at" in frame.columns:
        frame = frame.drop("email")
    ids = [pl.col(c).str.slice(1).cast(pl.Int64) for c in ("customer_id", "order_id")
           if c in frame.columns]  # fmt: skip
    return frame.with_columns(
        *ids,
        pl.col(pl.Decimal).cast(pl.Float64),
        pl.col(pl.Datetime("us", "UTC")).dt.replace_time_zone(None),
    )


# ---- driver ------------------------------------------------------------------------------------


def write_scale(scale: Scale, shape: str = "benchmark") -> None:
    """Generate every table of a scale (every format of the shape), then the params stamp."""
    started = time.monotonic()
    root = folder(scale.name, shape)
    shutil.rmtree(root, ignore_errors=True)
    pq_paths = paths(scale.name, "parquet", shape)
    csv_paths = paths(scale.name, "csv", shape) if "csv" in formats(shape) else None
    typed = warehouse if shape == "warehouse" else (lambda frame: frame)
    people = with_buying_plan(customers_frame(scale), scale.orders)
    with TableWriter(
        pq_paths["customers"], csv_paths["customers"] if csv_paths else None, 250_000
    ) as out:
        for offset in range(0, people.height, scale.chunk):
            out.write(typed(customers_out(people.slice(offset, scale.chunk))))
    skeleton = order_skeleton(people)
    writers = [TableWriter(pq_paths[t], csv_paths[t] if csv_paths else None, g) for t, g in
               (("orders", 250_000), ("order_lines", 500_000), ("reviews", 250_000))]  # fmt: skip
    catalog = products()
    for offset in range(0, skeleton.height, scale.chunk):
        chunk = skeleton.slice(offset, scale.chunk)
        lines = make_lines(chunk, catalog)
        writers[0].write(typed(orders_out(make_orders(chunk, lines, people))))
        writers[1].write(typed(lines_out(lines)))
        writers[2].write(typed(reviews_out(lines)))
        print(f"  {scale.name}: {offset + chunk.height:,} / {skeleton.height:,} orders", flush=True)
    for writer in writers:
        writer.__exit__(None, None, None)
    (root / "params.json").write_text(json.dumps(stamp(scale, shape), indent=1))
    counts = ", ".join(f"{t} {w.rows:,}" for t, w in zip(TABLES[1:], writers, strict=True))
    print(f"generated {scale.name} ({shape}): customers {people.height:,}, {counts} "
          f"in {time.monotonic() - started:.1f} s → {root}")  # fmt: skip


def ensure(scale_name: str, shape: str = "benchmark") -> Path:
    """Generate a scale unless its files exist with matching parameters; returns its folder."""
    scale = SCALES[scale_name]
    if not is_current(scale, shape):
        write_scale(scale, shape)
    return folder(scale.name, shape)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--scale", choices=sorted(SCALES), default="S")
    parser.add_argument("--shape", choices=SHAPES, default="benchmark")
    parser.add_argument("--force", action="store_true", help="regenerate even if current")
    args = parser.parse_args()
    if args.force:
        shutil.rmtree(folder(args.scale, args.shape), ignore_errors=True)
    print(ensure(args.scale, args.shape))


if __name__ == "__main__":
    main()
