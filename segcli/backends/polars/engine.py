"""The Polars engine: the single-machine readers' tables in, the members table out.

A run is at most five queries over the data, one after the other, each collected before the
next is built from it, so no two hold memory at the same time: the distinct item cells, whether
the lines and orders share an order-id order, the line features, the orders per customer id
as written, and the main per-customer query (see customers.build_members_table). Where the
data is larger than the memory budget, the last three run once per pass over a hash of the
customers (passes.py, budget.py); the lines are then joined to their orders once and split by
pass (`_split_lines`), where the files' shared order makes that join cheap in memory.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from segcli.backends.polars.budget import pass_count
from segcli.backends.polars.customers import (
    build_customer_table,
    build_members_table,
    order_cells_query,
)
from segcli.backends.polars.grid import grid_cells
from segcli.backends.polars.history import Progress, membership_over_time
from segcli.backends.polars.lines import (
    SortDirection,
    flagged_lines,
    group_lines,
    id_order,
    id_order_query,
    item_cell_query,
    join_column,
    joined_lines,
    line_features,
)
from segcli.backends.polars.no_orders import without_buyers
from segcli.backends.polars.orders import identity, scope
from segcli.backends.polars.passes import Pass
from segcli.backends.polars.rules import compile_rule
from segcli.errors import UsageError
from segcli.inputs.checks import QueryRunner
from segcli.inputs.read import open_tables
from segcli.inputs.tables import Tables
from segcli.manifest import SHA256, InputFile, describe_inputs
from segcli.plan import EXPORT_COLUMNS, KEY, FeaturePlan, segment_column

if TYPE_CHECKING:
    from segcli.backends import InputRequest, Inputs, PassStore
    from segcli.spec.grid import Grid
    from segcli.spec.model import Rule


class PolarsEngine:
    name = "polars"
    fingerprint = SHA256  # files on one machine: hashing every byte is affordable

    def open_inputs(self, request: InputRequest) -> Tables:
        return open_tables(
            request.orders,
            lines=request.lines,
            customers=request.customers,
            reviews=request.reviews,
            products=request.products,
            settings=request.settings,
            preset=request.preset,
        )

    def members_table(self, plan: FeaturePlan, inputs: Inputs) -> pl.DataFrame:
        """The members table, in as many passes over the customers as the memory budget asks
        (see passes.py), the parts concatenated."""
        with tempfile.TemporaryDirectory(prefix="segcli-") as scratch:
            parts = _Parts(Path(scratch))
            self.store_members(plan, inputs, parts)
            return parts.table()

    def store_members(self, plan: FeaturePlan, inputs: Inputs, store: PassStore) -> int:
        """Each pass's part given to `store` as it is finished, none held here: the memory a
        pass takes is the pass's share of the run (see budget.py)."""
        tables = _tables(inputs)
        runner = QueryRunner(tables)
        count = pass_count(tables)
        shared: _Shared | None = None  # computed once, by the first pass that runs
        with one_row_group_at_a_time():
            for index in range(count):
                if store.done(index, count):
                    continue
                if shared is None:
                    several = store if count > 1 else None
                    shared = _shared_queries(plan, tables, runner, several, count)
                part = Pass(index, count)
                store.save(index, count, _members_in(plan, tables, runner, part, shared))
        return count

    def customer_values(
        self, plan: FeaturePlan, inputs: Inputs, customers: Sequence[str], rules: Sequence[Rule]
    ) -> list[dict[str, object]]:
        tables = _tables(inputs)
        table = build_customer_table(plan, tables, tables.settings.exclude_statuses)
        wanted = pl.Series([c.strip().lower() for c in customers], dtype=pl.String)
        match = pl.col(KEY).str.to_lowercase().is_in(wanted) | pl.col("email").is_in(wanted)
        columns = [compile_rule(rule, plan).alias(f"rule{i}") for i, rule in enumerate(rules)]
        rows = QueryRunner(tables).collect(table.filter(match).with_columns(columns))
        return list(rows.iter_rows(named=True))

    def grid_cells(
        self, plan: FeaturePlan, inputs: Inputs, grid: Grid, group_columns: Sequence[str]
    ) -> pl.DataFrame:
        tables = _tables(inputs)
        table = build_customer_table(plan, tables, tables.settings.exclude_statuses)
        cells = grid_cells(table, grid, plan, list(group_columns))
        return QueryRunner(tables).collect(cells, _roles(plan))

    def membership_over_time(
        self,
        plans: Sequence[FeaturePlan],
        inputs: Inputs,
        progress: Progress | None = None,
    ) -> pl.DataFrame:
        tables = _tables(inputs)
        roles = _roles(plans[0])
        return membership_over_time(plans, tables, QueryRunner(tables), roles, progress)

    def describe_inputs(self, inputs: Inputs) -> list[InputFile]:
        return describe_inputs(inputs.sources, self.fingerprint)

    def explain_plan(self, plan: FeaturePlan, inputs: Inputs) -> str:
        tables = _tables(inputs)
        lazy = build_customer_table(plan, tables, tables.settings.exclude_statuses)
        flags = [segment_column(d) for d in plan.segments]
        members = lazy.filter(pl.any_horizontal(flags) if flags else pl.lit(value=False))
        return members.select(*EXPORT_COLUMNS, *flags).explain(engine="streaming")


_PREFETCH = "POLARS_ROW_GROUP_PREFETCH_SIZE"


@contextlib.contextmanager
def one_row_group_at_a_time() -> Iterator[None]:
    """Parquet scans decode one row group ahead, not as many as fit in a byte budget of the
    compressed size: a decoded row group of text columns is many times its compressed size, and
    the prefetched ones are most of a run's memory that passes do not divide (the budget,
    budget.py, counts on it). The same CPU time. A prefetch the user set is kept."""
    if _PREFETCH in os.environ:
        yield
        return
    os.environ[_PREFETCH] = "1"  # read by each scan as it starts
    try:
        yield
    finally:
        os.environ.pop(_PREFETCH, None)


@dataclass(frozen=True, slots=True)
class _Parts:
    """A PassStore in memory, for a members table returned whole; the files the passes share
    in `scratch`."""

    scratch: Path
    parts: list[pl.DataFrame] = field(default_factory=list)

    def done(self, index: int, count: int) -> bool:
        del index, count
        return False

    def save(self, index: int, count: int, members: pl.DataFrame) -> None:
        del index, count
        self.parts.append(members)

    def keep_file(self, name: str, write: Callable[[Path], None]) -> Path:
        path = self.scratch / name
        write(path)
        return path

    def table(self) -> pl.DataFrame:
        return self.parts[0] if len(self.parts) == 1 else pl.concat(self.parts)


@dataclass(frozen=True, slots=True)
class _Shared:
    """What every pass reads alike: the distinct item cells, the files' order-id order, and
    in a run of several passes, the lines joined to their orders, split by pass (`_Split`)."""

    cells: pl.DataFrame | None
    order: SortDirection
    lines: _Split | None = None


@dataclass(frozen=True, slots=True)
class _Split:
    """The `joined_lines` of every pass, one folder of Parquet files per pass (`Pass.reader`)
    plus one that every pass reads, written by one query (`_split_lines`)."""

    folder: Path
    schema: pl.Schema
    count: int

    def rows(self, index: int) -> pl.LazyFrame:
        keys = (index, self.count)
        files = [f for k in keys for f in sorted(self.folder.glob(f"{_READER}={k}/*.parquet"))]
        return pl.scan_parquet(files) if files else pl.LazyFrame(schema=self.schema)


_READER = "__reader"


def _shared_queries(
    plan: FeaturePlan, tables: Tables, runner: QueryRunner, store: PassStore | None, count: int
) -> _Shared:
    """`store`: where to keep the lines split by pass, for a run of several passes."""
    if not plan.needs_lines or tables.lines is None:
        return _Shared(None, None)
    query = item_cell_query(plan, tables)
    cells = None if query is None else runner.collect(query, ["lines"])
    check = id_order_query(plan, tables, gated=True)
    order = None if check is None else id_order(runner.collect(check, ["orders", "lines"]))
    if store is None or order is None:
        return _Shared(cells, order)
    return _Shared(cells, order, _split_lines(plan, tables, runner, store, cells, order, count))


def _split_lines(
    plan: FeaturePlan,
    tables: Tables,
    runner: QueryRunner,
    store: PassStore,
    cells: pl.DataFrame | None,
    order: SortDirection,
    count: int,
) -> _Split:
    """The lines joined to their orders once, each row written to the pass that reads it.

    Lines carry no customer, so no pass's hash narrows them: passes that each join every line
    would decode every line and test its items again, once per pass. Sorted by order id (the
    files share an `order`), the join is a merge join holding no table of every order, so one
    query over all orders stays within the budget; each pass then groups only its own rows."""
    assert tables.lines is not None
    orders, _known, _gate = scope(plan, tables, tables.settings.exclude_statuses, gated=True)
    on = join_column(tables)
    tested = flagged_lines(tables.lines, plan, tables.settings, cells, on=on)
    orders = orders.with_columns(Pass(0, count).reader(orders).alias(_READER))
    split = joined_lines(tested, orders, plan, order, (_READER,), on=on).drop(on)
    roles = ["orders", "lines", "products"]

    def write(path: Path) -> None:
        target = pl.PartitionBy(path, key=_READER, include_key=False)
        sink = split.sink_parquet(target, mkdir=True, compression="lz4", lazy=True)
        runner.collect(sink, roles)

    schema = split.drop(_READER).collect_schema()
    return _Split(store.keep_file("lines", write), schema, count)


def _members_in(
    plan: FeaturePlan, whole: Tables, runner: QueryRunner, part: Pass, shared: _Shared
) -> pl.DataFrame:
    """The members table of the customers of one pass: the line features, the orders per id
    cell, then the main query, each narrowed to the pass's customers as it is collected."""
    tables = part.tables(whole)
    exclude = tables.settings.exclude_statuses
    lines = None
    if plan.needs_lines:
        per_line = (
            line_features(plan, tables, exclude, shared.cells, gated=True, order=shared.order)
            if shared.lines is None
            else group_lines(shared.lines.rows(part.index), plan, identity(tables))
        )
        lines = runner.collect(part.keys(per_line), ["orders", "customers", "lines", "products"])
    tables = without_buyers(plan, tables, exclude, runner) or tables
    query = order_cells_query(plan, tables, exclude, lines)
    cells = None if query is None else runner.collect(query, ["orders", "customers"])
    members = build_members_table(plan, tables, exclude, lines, cells)
    return runner.collect(part.keys(members), _roles(plan))


def _tables(inputs: Inputs) -> Tables:
    if not isinstance(inputs, Tables):
        raise UsageError(f"the polars engine cannot evaluate inputs opened by {inputs.engine}")
    return inputs


def _roles(plan: FeaturePlan) -> list[str]:
    """The input files the main query reads (their CSV structure is checked beside it)."""
    roles = ["orders", "customers"]
    roles += ["lines", "products"] if plan.needs_lines else []
    roles += ["reviews"] if plan.needs_reviews else []
    return roles


ENGINE = PolarsEngine()
