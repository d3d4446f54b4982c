"""Order-line features: lines joined to their (seen) orders, one group-by per customer."""

from __future__ import annotations

from typing import Literal

import polars as pl

from segcli.backends.polars.groups import (
    Aggregate,
    aggregate_by_customer,
)
from segcli.backends.polars.items import (
    Item,
    cell_query,
    lines_superset,
    with_item_flags,
)
from segcli.backends.polars.orders import (
    customers_gate,
    identity,
    order_column,
    order_where,
    scope,
)
from segcli.backends.polars.rules import (
    window_test,
)
from segcli.inputs.columns import ORDER_ID_CELL
from segcli.inputs.identity import IdentityResolver
from segcli.inputs.settings import Settings
from segcli.inputs.tables import FROM_EMAIL, RAW_KEY, Tables
from segcli.inputs.typed_columns import integer_ids
from segcli.plan import (
    FeaturePlan,
    LineAgg,
)


def line_features(
    plan: FeaturePlan,
    tables: Tables,
    exclude: tuple[str, ...],
    cells: pl.DataFrame | None,
    *,
    gated: bool = False,
    order: SortDirection = None,
    tested: pl.LazyFrame | None = None,
) -> pl.LazyFrame:
    """customer_key and the order-line features, as a query of its own: collected before the
    main one, the lines' join and the orders' group-by do not hold memory at the same time.
    `cells`: the collected `item_cell_query` (item tests then run once per distinct cell).
    `order`: the lines and the orders are both sorted by order id this way (`id_order`).
    `tested`: the `flagged_lines` of the lines, computed before (and kept) by the caller."""
    if tables.lines is None:
        raise ValueError("needs order lines")
    orders, _known, gate = scope(plan, tables, exclude, gated=gated)
    keys = identity(tables)
    merge = order if gate is None else None  # rows_of does not keep the orders' order
    on = join_column(tables)
    if tested is None:
        per_item = _parquet_lines(tables) and all(f.item for f in _line_aggs(plan))
        tested = flagged_lines(tables.lines, plan, tables.settings, cells, per_item=per_item, on=on)
        merge = None if per_item else merge  # the parts of a per-item read are not in order
    return aggregate_lines(tested, orders, plan, keys, merge, on=on)


def join_column(tables: Tables) -> str:
    """The column the lines are joined to their orders on: ORDER_ID_CELL, the number, when
    every orders and lines file holds its order ids as integers without nulls (Parquet
    statistics; no empty id then goes unreported), as equal numbers have equal texts and a
    join on numbers costs less than on their texts; else the order id."""
    files = [f for f in tables.files if f.role in {"orders", "lines"}]
    if {f.role for f in files} != {"orders", "lines"} or tables.lines is None:
        return "order_id"
    for read in files:
        column = read.layout.columns.get("order_id")
        if read.layout.table not in {"orders", "lines"} or column is None:
            return "order_id"
        if not integer_ids(read.raw.schema[column]) or column not in read.raw.null_free:
            return "order_id"
    frames = (tables.orders, tables.lines)
    present = all(ORDER_ID_CELL in frame.collect_schema().names() for frame in frames)
    return ORDER_ID_CELL if present else "order_id"


def _parquet_lines(tables: Tables) -> bool:
    """Whether the lines come from Parquet files alone (each read of which is cheap)."""
    reads = [f.raw.source.format for f in tables.files if f.role == "lines"]
    return bool(reads) and all(r == "parquet" for r in reads)


SortDirection = Literal["ascending", "descending"] | None


def id_order_query(plan: FeaturePlan, tables: Tables, *, gated: bool) -> pl.LazyFrame | None:
    """What to collect before `line_features` to know whether the lines and the orders are
    both sorted by order id (exports often are: one order after the other). Sorted, the join
    is a merge join with no hash table of every order, about half the memory of the line
    features (the check reads the id columns once more: cheap from Parquet, a parse from CSV).

    None when it would not pay: when every feature tests items, only the lines passing a test
    are joined and the hash table holds those (the smaller side), not every order; and when
    the customers gate narrows the orders, as rows_of does not keep their order."""
    if not plan.needs_lines or tables.lines is None:
        return None
    if all(f.item for f in plan.features(LineAgg) if isinstance(f, LineAgg)):
        return None
    if customers_gate(plan, tables, gated=gated) is not None:
        return None
    on = join_column(tables)  # the order of the column the join merges on
    checks = [
        frame.select(
            pl.col(on).is_sorted().alias(f"{name}_ascending"),
            pl.col(on).is_sorted(descending=True).alias(f"{name}_descending"),
        )
        for name, frame in (("lines", tables.lines), ("orders", tables.orders))
    ]
    return pl.concat(checks, how="horizontal")


def id_order(checked: pl.DataFrame) -> SortDirection:
    """The collected `id_order_query` as the order both files share, if any."""
    row = checked.row(0, named=True)
    if row["lines_ascending"] and row["orders_ascending"]:
        return "ascending"
    if row["lines_descending"] and row["orders_descending"]:
        return "descending"
    return None


def item_cell_query(plan: FeaturePlan, tables: Tables) -> pl.LazyFrame | None:
    """What to collect before the main query so item tests run per distinct cell, if any."""
    if not plan.needs_lines or tables.lines is None:
        return None
    features = [f for f in plan.features(LineAgg) if isinstance(f, LineAgg)]
    if _line_filter(features, tables.lines) is not None:
        return None  # few lines reach the tests: one more scan for the distinct cells costs more
    return cell_query(tables.lines, tuple(dict.fromkeys(f.item for f in features)))


def _line_filter(features: list[LineAgg], lines: pl.LazyFrame) -> pl.Expr | None:
    """The superset filter on the lines as written, when every feature tests items."""
    if not all(f.item for f in features):
        return None
    items = tuple(dict.fromkeys(f.item for f in features))
    return lines_superset(items, set(lines.collect_schema().names()))


def flagged_lines(
    lines: pl.LazyFrame,
    plan: FeaturePlan,
    settings: Settings,
    cells: pl.DataFrame | None,
    *,
    per_item: bool = False,
    on: str = "order_id",
) -> pl.LazyFrame:
    """The lines as the features read them, before they meet their orders: order_id, the
    quantity where a feature sums it, and one flag per distinct item test (`_item_names`).

    Each distinct item test is computed once, on the lines; when every feature has an item
    test, only lines passing at least one are kept: the others count towards no feature. A
    query of its own, so that a run in passes computes it once (the lines carry no customer,
    so no pass's hash narrows them). `per_item`: the lines are read once per item (see
    `_tested_per_item`; its parts are not in the files' order). `on`: the column both tables
    identify the order by (the order id, or ORDER_ID_CELL: see `join_column`)."""
    features = _line_aggs(plan)
    items = _item_names(features)
    line_columns = [on] + (["quantity"] if any(f.measure == "quantity" for f in features) else [])
    split = _tested_per_item(lines, items, line_columns, settings) if per_item else None
    if split is not None:
        return split
    narrow = _line_filter(features, lines)
    if narrow is not None:
        lines = lines.filter(narrow)  # pushed into the scan, before the cells are parsed
    lines, item_tests = with_item_flags(lines, items, settings, cells)
    tested = lines.select(*line_columns, *item_tests)
    if all(f.item for f in features):
        tested = tested.filter(pl.any_horizontal(list(items.values())))
    return tested


def aggregate_lines(
    tested: pl.LazyFrame,
    orders: pl.LazyFrame,
    plan: FeaturePlan,
    keys: IdentityResolver,
    order: SortDirection = None,
    *,
    on: str = "order_id",
) -> pl.LazyFrame:
    """The `flagged_lines` joined to their (seen) orders, then one group-by per customer."""
    return group_lines(joined_lines(tested, orders, plan, order, on=on), plan, keys)


def joined_lines(
    tested: pl.LazyFrame,
    orders: pl.LazyFrame,
    plan: FeaturePlan,
    order: SortDirection = None,
    carry: tuple[str, ...] = (),
    *,
    on: str = "order_id",
) -> pl.LazyFrame:
    """The `flagged_lines` joined to their (seen) orders: a row per line, with its order's
    identity, the columns the features' order tests read and the orders' columns `carry`.
    When every feature has an order test, only the orders passing at least one are joined."""
    features = _line_aggs(plan)
    where_columns = dict.fromkeys(order_column(w.field) for f in features for w in f.where)
    seen = orders.select(on, RAW_KEY, FROM_EMAIL, "ordered_at", *where_columns, *carry)
    if all(_bounded(f) for f in features):
        seen = seen.filter(pl.any_horizontal([_order_test(f) for f in features]))
    if order is not None:  # filters keep the files' order
        descending = order == "descending"
        tested = tested.set_sorted(on, descending=descending)
        seen = seen.set_sorted(on, descending=descending)
    return tested.join(seen, on=on, how="inner")


def group_lines(joined: pl.LazyFrame, plan: FeaturePlan, keys: IdentityResolver) -> pl.LazyFrame:
    """customer_key and the line features, from the `joined_lines`."""
    features = _line_aggs(plan)
    items = _item_names(features)
    aggregates = []
    for feature in features:
        keep = _order_test(feature) & pl.col(items[feature.item])
        value = (
            keep.sum()
            if feature.measure == "lines"
            else pl.when(keep).then(pl.col("quantity")).otherwise(0).sum()
        )
        aggregates.append(Aggregate(plan.name(feature), value.cast(pl.Int64), "sum"))
    return aggregate_by_customer(joined, aggregates, keys)


def _order_test(feature: LineAgg) -> pl.Expr:
    return window_test("ordered_at", feature.window) & order_where(feature.where)


def _line_aggs(plan: FeaturePlan) -> list[LineAgg]:
    return [f for f in plan.features(LineAgg) if isinstance(f, LineAgg)]


def _item_names(features: list[LineAgg]) -> dict[Item, str]:
    """The flag column of each distinct item test, in the features' order."""
    return {item: f"__item{i}" for i, item in enumerate(dict.fromkeys(f.item for f in features))}


def _bounded(feature: LineAgg) -> bool:
    """Whether the feature reads only some orders: a window with a bound, or an order test."""
    return bool(feature.where) or feature.window.start is not None or feature.window.end is not None


MAX_ITEM_READS = 4


def _tested_per_item(
    lines: pl.LazyFrame, items: dict[Item, str], line_columns: list[str], settings: Settings
) -> pl.LazyFrame | None:
    """The lines passing each item, read once per item and concatenated, each part flagged
    for its own item only (a line passing two items is in two parts, and each feature counts
    the part of its item): or None when some item has no superset filter, or there are many.

    A superset filter on one column is evaluated on the Parquet dictionary pages, and only
    the rows it keeps are decoded; an `or` of filters on two columns is evaluated on every
    decoded row, which costs several times more than reading the lines once per item."""
    if len(items) > MAX_ITEM_READS:
        return None
    columns = set(lines.collect_schema().names())
    parts = []
    for item, name in items.items():
        narrow = lines_superset((item,), columns)
        if narrow is None:
            return None
        flagged, (test,) = with_item_flags(lines.filter(narrow), {item: name}, settings, None)
        flags = [test if n == name else pl.lit(value=False).alias(n) for n in items.values()]
        parts.append(flagged.select(*line_columns, *flags).filter(pl.col(name)))
    return pl.concat(parts) if len(parts) > 1 else None
