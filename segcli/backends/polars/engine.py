"""The Polars engine: the single-machine readers' tables in, the members table out.

A run is at most five queries over the data, one after the other, each collected before the
next is built from it, so no two hold memory at the same time: the distinct item cells, whether
the lines and orders share an order-id order, the line features, the order emails of customers
without one, and the main per-customer query (see customers.build_members_table).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import polars as pl

from segcli.backends.polars.customers import (
    build_customer_table,
    build_members_table,
    order_email_query,
)
from segcli.backends.polars.grid import grid_cells
from segcli.backends.polars.lines import id_order, id_order_query, item_cell_query, line_features
from segcli.backends.polars.rules import compile_rule
from segcli.errors import UsageError
from segcli.inputs.checks import QueryRunner
from segcli.inputs.read import open_tables
from segcli.inputs.tables import Tables
from segcli.manifest import SHA256, InputFile, describe_inputs
from segcli.plan import EXPORT_COLUMNS, KEY, FeaturePlan, segment_column

if TYPE_CHECKING:
    from segcli.backends import InputRequest, Inputs
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
        tables = _tables(inputs)
        runner = QueryRunner(tables)
        exclude = tables.settings.exclude_statuses
        lines = None
        if plan.needs_lines:
            query = item_cell_query(plan, tables)
            cells = None if query is None else runner.collect(query, ["lines"])
            check = id_order_query(plan, tables, gated=True)
            order = None if check is None else id_order(runner.collect(check, ["orders", "lines"]))
            per_line = line_features(plan, tables, exclude, cells, gated=True, order=order)
            lines = runner.collect(per_line, ["orders", "customers", "lines", "products"])
        query = order_email_query(plan, tables, exclude, lines)
        emails = None if query is None else runner.collect(query, ["orders", "customers"])
        members = build_members_table(plan, tables, exclude, lines, emails)
        return runner.collect(members, _roles(plan))

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

    def describe_inputs(self, inputs: Inputs) -> list[InputFile]:
        return describe_inputs(inputs.sources, self.fingerprint)

    def explain_plan(self, plan: FeaturePlan, inputs: Inputs) -> str:
        tables = _tables(inputs)
        lazy = build_customer_table(plan, tables, tables.settings.exclude_statuses)
        flags = [segment_column(d) for d in plan.segments]
        members = lazy.filter(pl.any_horizontal(flags) if flags else pl.lit(value=False))
        return members.select(*EXPORT_COLUMNS, *flags).explain(engine="streaming")


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
