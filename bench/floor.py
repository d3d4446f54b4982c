"""The floor of a run: scan the columns the rules need from each table, one group-by per table.

No join, no rule, no output: what any engine must at least do to answer the rules/ segments
(export columns included). A one-pass `segcli run` should cost at most 1.3× this.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import polars as pl

# Columns the rules/ folder and the export need, and the key each table is grouped by.
FLOOR_COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "orders": ("customer_id", ("order_id", "email", "ordered_at", "total", "refunded", "status",
                               "discount_code", "currency")),
    "order_lines": ("order_id", ("sku", "product_name", "brand", "category", "collection", "tags",
                                 "quantity")),
    "customers": ("customer_id", ("email", "first_name", "last_name", "name", "registered_at",
                                  "country", "postal_code", "customer_type", "accepts_marketing",
                                  "tags")),
    "reviews": ("customer_id", ("sku", "reviewed_at")),
}  # fmt: skip


def floor_query(folder: Path, fmt: str, table: str) -> pl.LazyFrame:
    key, columns = FLOOR_COLUMNS[table]
    path = folder / fmt / f"{table}.{fmt}"
    frame = pl.scan_parquet(path) if fmt == "parquet" else pl.scan_csv(path, infer_schema=False)
    return frame.group_by(key).agg(pl.len(), *[pl.col(c).max() for c in columns])


def floor_seconds(folder: Path, fmt: str, runs: int) -> float:
    """Median over runs (after one warm-up) of the sum over tables of scan + group-by."""
    totals = []
    for attempt in range(runs + 1):
        total = 0.0
        for table in FLOOR_COLUMNS:
            started = time.perf_counter()
            floor_query(folder, fmt, table).collect(engine="streaming")
            total += time.perf_counter() - started
        if attempt:
            totals.append(total)
    return statistics.median(totals)
