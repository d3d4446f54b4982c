"""How many passes a run takes: an estimate of one pass's peak memory against the budget.

The estimate reads no data: row counts from Parquet footers, file sizes for text files. Per row,
it charges what one pass holds at its peak on data like the benchmark's (the group-by states,
the join's table of orders and the pass's members, which passes divide) on top of what they do
not divide (the interpreter, Polars, the streaming engine's buffers, and the rendered records of
every member that the snapshots are cut from). A limit below what passes do not divide takes
many passes, and the peak stays above it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import polars as pl

from segcli.inputs.parquet_footer import row_group_rows
from segcli.inputs.settings import DEFAULT_MEMORY_LIMIT, MAX_PASSES

if TYPE_CHECKING:
    from segcli.inputs.sources import SourceFile
    from segcli.inputs.tables import Tables

# Bytes of the peak per row of each input, when the whole input is one pass: the per-customer
# states and tables that passes divide (calibrated on the benchmark's data at M and L)...
_BYTES_PER_ROW = {"orders": 18, "lines": 2, "customers": 60, "reviews": 8, "products": 0}
# ...and per order, what they do not: the records of every member, the allocator's cached pages
# (calibrated with the peaks at M and L in one and two passes).
_UNDIVIDED_PER_ORDER = 14
# Bytes per row of a text file (CSV, NDJSON), for a row count from its size.
_TEXT_ROW_BYTES = {"orders": 90, "lines": 60, "customers": 110, "reviews": 60, "products": 80}
# What passes do not divide, whatever the size: the interpreter and Polars, the streaming
# engine's buffers (one row group ahead per file: engine.one_row_group_at_a_time).
_FIXED = 500_000_000


def pass_count(tables: Tables) -> int:
    """The passes a run over `tables` takes: the fixed number the settings give, else the
    fewest that keep the estimated peak within the memory limit. One when the orders are
    matched to customers by email: every pass would read every order."""
    if tables.orders_by_email is not None:
        return 1
    if tables.settings.passes is not None:
        return tables.settings.passes
    limit = tables.settings.memory_limit or DEFAULT_MEMORY_LIMIT
    divided, undivided = estimate_bytes(tables)
    room = max(limit - _FIXED - undivided, limit // 4, 1)  # below: more passes gain little
    return max(1, min(MAX_PASSES, math.ceil(divided / room)))


def estimate_bytes(tables: Tables) -> tuple[int, int]:
    """The estimated parts of a one-pass run's peak that passes divide and that they do not
    (the fixed part aside)."""
    divided = undivided = 0
    for read in tables.files:
        rows = _rows(read.raw.source, read.role)
        divided += rows * _BYTES_PER_ROW.get(read.role, 0)
        undivided += rows * _UNDIVIDED_PER_ORDER if read.role == "orders" else 0
    return divided, undivided


def _rows(source: SourceFile, role: str) -> int:
    """Rows of one file: from a Parquet footer, else estimated from the file's size."""
    if source.format == "parquet":  # the count is in the footer, read (and kept) at open
        try:
            return sum(row_group_rows(source.path))
        except ValueError:  # no footer this reader reads (encrypted, say): Polars counts
            return int(pl.scan_parquet(source.path).select(pl.len()).collect().item())
    size = source.path.stat().st_size * (4 if source.gzipped else 1)
    return size // _TEXT_ROW_BYTES.get(role, 80)
