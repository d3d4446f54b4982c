"""Per-customer aggregates in two steps, so identity is normalized per group, not per row.

Rows are grouped by their identity as written (RAW_KEY, FROM_EMAIL); an IdentityResolver turns
each group's raw pair into customer_key (trimmed id, else trimmed lower-cased email); the groups
of one customer are then combined. Every aggregate segcli uses combines exactly this way (a sum of
sums, a min of mins, the earliest of the earliest), and a customer has few raw spellings, so
millions of orders cost one cheap group-by on the raw text plus a normalization per customer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, assert_never

import polars as pl

from segcli.inputs.identity import IdentityResolver
from segcli.inputs.tables import EMAIL_CELL, FROM_EMAIL, ID_CELL, ORDER_EMAIL_RAW, RAW_KEY
from segcli.plan import KEY

Combine = Literal["sum", "min", "max", "earliest"]


@dataclass(frozen=True, slots=True)
class Aggregate:
    """One per-customer column: `rows` aggregated per raw group, then `combine`d per customer.

    "earliest" keeps the value of the group with the smallest (`<name>_at`, value): pair it
    with an aggregate named `<name>_at` combined by "min" (see `earliest`)."""

    name: str
    rows: pl.Expr
    combine: Combine


def aggregate_by_customer(
    rows: pl.LazyFrame,
    aggregates: Sequence[Aggregate],
    keys: IdentityResolver,
    *,
    email: str | None = None,
    cells: pl.DataFrame | None = None,
) -> pl.LazyFrame:
    """customer_key and one column per aggregate; rows whose identity normalizes to nothing
    (no id, no email) belong to nobody and are dropped. `email`: also each customer's
    earliest order email as written, under that name, with its time as `<email>_at` (see
    `earliest`). `cells`: the collected `cell_groups` of these rows and aggregates: only the
    rows of the cells that need the email are read again, grouped by email too."""
    if email is not None:
        keyed = _keyed_cells(rows, aggregates, keys, email, cells)
        at = f"{email}_at"
        firsts = [Aggregate(email, pl.col(email), "earliest"), Aggregate(at, pl.col(at), "min")]
        return keyed.group_by(KEY).agg(_combine(a) for a in [*aggregates, *firsts])
    if _numbers(rows):  # the key is the id's text, and distinct ids have distinct texts
        per_id = rows.filter(pl.col(RAW_KEY).is_not_null()).group_by(RAW_KEY)  # one integer key
        keyed = per_id.agg(a.rows.alias(a.name) for a in aggregates)
        key = pl.col(RAW_KEY).cast(pl.String).alias(KEY)
        return keyed.select(key, *(a.name for a in aggregates))
    per_raw = rows.group_by(RAW_KEY, FROM_EMAIL).agg(a.rows.alias(a.name) for a in aggregates)
    keyed = keys.resolve(per_raw).filter(pl.col(KEY).is_not_null())
    return keyed.group_by(KEY).agg(_combine(a) for a in aggregates)


NEEDS_EMAIL = "__segcli_needs_email"


def cell_groups(
    rows: pl.LazyFrame,
    aggregates: Sequence[Aggregate],
    keys: IdentityResolver,
    with_email: pl.LazyFrame,
) -> pl.LazyFrame:
    """The rows grouped by their id cell as written: the cell, its customer_key, the
    aggregates, and NEEDS_EMAIL: whether the order emails of the cell's rows can matter, as
    its id is blank (its rows are identified by email) or its key is not one of `with_email`
    (a frame of unique customer_key: the customers whose own email is the export's). Where
    few cells need it, grouping the others by id alone costs much less than by id and email."""
    per_cell = rows.group_by(ID_CELL).agg(a.rows.alias(a.name) for a in aggregates)
    numbers = rows.collect_schema().get(ID_CELL) == pl.Int64
    no_email = pl.lit(None, pl.String)
    identity = keys.raw_identity(pl.col(ID_CELL), no_email, numbers=numbers, emails=True)
    keyed = keys.resolve(per_cell.with_columns(identity))
    hits = with_email.select(KEY, pl.lit(value=True).alias(_HIT))
    keyed = keyed.join(hits, on=KEY, how="left")
    needs = pl.col(FROM_EMAIL) | pl.col(_HIT).is_null()
    return keyed.select(ID_CELL, KEY, needs.alias(NEEDS_EMAIL), *(a.name for a in aggregates))


def _keyed_cells(
    rows: pl.LazyFrame,
    aggregates: Sequence[Aggregate],
    keys: IdentityResolver,
    email: str,
    cells: pl.DataFrame | None,
) -> pl.LazyFrame:
    """customer_key, the aggregates, `email` and `<email>_at` per group of rows with the same
    id and email cells as written: within a group the email is one cell, so its earliest time
    is the group's first order, and neither the identity nor the email is checked per row,
    only per group. With `cells`, the rows of the cells that need no email are not read again:
    each such cell is one group, with no email."""
    at = f"{email}_at"
    if cells is not None:
        needing = cells.filter(pl.col(NEEDS_EMAIL))[ID_CELL].drop_nulls()
        cell = pl.col(ID_CELL)
        rows = rows.filter(cell.is_in(needing.implode()) | cell.is_null())
    per_cells = rows.group_by(ID_CELL, EMAIL_CELL).agg(
        *(a.rows.alias(a.name) for a in aggregates), pl.col("ordered_at").min().alias(at)
    )
    schema = rows.collect_schema()
    numbers = schema.get(ID_CELL) == pl.Int64
    identity = keys.raw_identity(pl.col(ID_CELL), pl.col(EMAIL_CELL), numbers=numbers, emails=True)
    value = pl.col(ORDER_EMAIL_RAW)
    per_raw = per_cells.with_columns(identity).with_columns(
        value.alias(email), pl.when(value.is_not_null()).then(pl.col(at)).alias(at)
    )
    names = [KEY, *(a.name for a in aggregates), email, at]
    keyed = keys.resolve(per_raw).filter(pl.col(KEY).is_not_null()).select(names)
    if cells is None:
        return keyed
    others = (
        cells.lazy()
        .filter(~pl.col(NEEDS_EMAIL))
        .with_columns(
            pl.lit(None, pl.String).alias(email), pl.lit(None, schema["ordered_at"]).alias(at)
        )
    )
    return pl.concat([others.select(names), keyed])


def rows_of(
    rows: pl.LazyFrame, customers: pl.LazyFrame, nulls: tuple[str, ...] = ()
) -> pl.LazyFrame:
    """The rows that may belong to one of `customers` (a frame with unique customer_key): rows
    whose id as written is one of the keys, plus every row a normalization could map elsewhere
    (identified by email, or by an id with white space at an end), which the grouping then
    resolves. Exact; cheap when the customers are few (a hash probe per row, no group-by).
    One pass over `rows`: a concat of two filters of them makes Polars hold every row read.
    `nulls`: the settings' null markers (an id cell that is one is blank)."""
    plain = plain_cell(rows, nulls)
    return _with_hit(rows, customers).filter(~plain | pl.col(_HIT).is_not_null()).drop(_HIT)


_HIT = "__segcli_hit"


def _numbers(rows: pl.LazyFrame) -> bool:
    """Whether the raw ids are Int64 (see inputs.assemble.finish_orders): then every row's
    raw key is its id, and its key is the id's text."""
    return rows.collect_schema().get(RAW_KEY) == pl.Int64


def plain_id(rows: pl.LazyFrame) -> pl.Expr:
    """A row whose identity as written is its customer_key: an id with no white space at an
    end (an integer id always)."""
    if _numbers(rows):
        return ~pl.col(FROM_EMAIL)
    return ~pl.col(FROM_EMAIL) & ~pl.col(RAW_KEY).str.contains(r"^\s|\s$")


def plain_cell(rows: pl.LazyFrame, nulls: tuple[str, ...]) -> pl.Expr:
    """Exactly `plain_id` (`nulls`: the settings' null markers), from the id cell as written:
    one test of its text per row, where `plain_id` needs the identity made per row (two blank
    checks and a test of the raw key)."""
    cell = pl.col(ID_CELL)
    if rows.collect_schema().get(ID_CELL) == pl.Int64:
        return cell.is_not_null()
    plain = cell.is_not_null() & (cell.str.len_bytes() > 0) & ~cell.str.contains(r"^\s|\s$")
    markers = [v for v in nulls if v and v == v.strip()]  # as cells.is_blank has them
    return plain & ~cell.is_in(markers) if markers else plain


def _with_hit(rows: pl.LazyFrame, customers: pl.LazyFrame) -> pl.LazyFrame:
    """`rows` and _HIT: true where the id cell as written is a key of `customers`, else
    null."""
    key = pl.col(KEY)
    if rows.collect_schema().get(ID_CELL) == pl.Int64:  # keys that are an integer's text
        number = key.cast(pl.Int64, strict=False)  # (not "007"), as integers
        customers = customers.filter(number.cast(pl.String) == key)
        key = number
    ids = customers.select(key.alias(ID_CELL), pl.lit(value=True).alias(_HIT))
    return rows.join(ids, on=ID_CELL, how="left")


def _combine(aggregate: Aggregate) -> pl.Expr:
    column = pl.col(aggregate.name)
    match aggregate.combine:
        case "sum":
            return column.sum().alias(aggregate.name)
        case "min":
            return column.min().alias(aggregate.name)
        case "max":
            return column.max().alias(aggregate.name)
        case "earliest":
            at = pl.col(f"{aggregate.name}_at")
            return column.min_by(pl.when(at.is_not_null()).then(pl.struct(at, column)))
        case _:
            assert_never(aggregate.combine)


def earliest(name: str, value: pl.Expr, when: pl.Expr) -> list[Aggregate]:
    """`value` of the row with the smallest (when, value) among rows where value is not null
    (ties on `when` go to the smallest value): the value and its `<name>_at`."""
    present = value.is_not_null()
    by = pl.when(present).then(pl.struct(when, value))  # null keys are skipped
    return [
        Aggregate(name, value.min_by(by), "earliest"),
        Aggregate(f"{name}_at", pl.when(present).then(when).min(), "min"),
    ]
