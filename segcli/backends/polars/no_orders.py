"""Segments whose members have no order that counts (`has_order: false` in every segment).

Such a plan asks of the orders only who has one, where the general query aggregates every
order by id and email. An order whose id cell as written is a customer's key belongs to that
customer (a plain id is its own key); so when every order that counts has a plain id (Int64
ids without a null, or text ids with no blank and no white space at an end: one test of the
cell per order), the customers with orders are the keys that an order's id cell matches, one
hash probe per order against the gated customers, and the members are the other gated
customers, with their order features as for a customer without orders. Orders of any other
shape take the general query: their identity needs the normalization per group (groups.py).
"""

from __future__ import annotations

import dataclasses
from functools import partial

import polars as pl

from segcli.backends.polars.groups import plain_cell
from segcli.backends.polars.orders import customers_gate, known_customers, seen_orders
from segcli.backends.polars.rules import segment_flag
from segcli.inputs.checks import QueryRunner
from segcli.inputs.tables import ID_CELL, Tables
from segcli.periods import Window, resolve_period
from segcli.plan import EXPORT_COLUMNS, KEY, FeaturePlan, order_gate
from segcli.spec.model import HasOrder, Not, Rule


def without_orders(plan: FeaturePlan) -> bool:
    """Whether no member of any segment of the plan has an order that counts: each segment's
    rule requires `has_order: false` over all time (under `all`, or in every branch of `any`),
    and nothing else in the plan reads order lines, reviews or scores."""
    if not plan.segments or plan.needs_lines or plan.needs_reviews or plan.needs_scores:
        return False
    leaf = partial(_no_order, plan=plan)
    return all(order_gate(d.rule, plan.library, leaf) is not None for d in plan.segments)


def _no_order(leaf: Rule, plan: FeaturePlan) -> bool:
    if not isinstance(leaf, Not) or not isinstance(leaf.rule, HasOrder) or leaf.rule.where:
        return False
    return resolve_period(leaf.rule.period, plan.as_of, plan.timezone) == Window()


def without_buyers(
    plan: FeaturePlan, tables: Tables, exclude: tuple[str, ...], runner: QueryRunner
) -> Tables | None:
    """`tables` narrowed to the gated customers without an order that counts, and no orders,
    where the plan's members have none (`without_orders`) and every order that counts has a
    plain id; else None (the general query answers). Two queries: the gated customers, then
    one pass over the orders (see `buyers_query`)."""
    if not without_orders(plan) or tables.orders_by_email is not None:
        return None  # orders that take their customer's id by email: id cells are not keys
    known = known_customers(tables.customers)
    gate = customers_gate(plan, tables, gated=True)
    if known is None or gate is None:
        return None  # every buyer would be a hit: the general query costs no more
    candidates = runner.collect(_read_columns(known.filter(gate), plan), ["customers"])
    found = runner.collect(buyers_query(plan, tables, exclude, candidates[KEY]), ["orders"])
    if found[MESSY].item() is not False:
        return None
    buyers = found[HITS][0].cast(pl.String)
    customers = candidates.lazy().filter(~pl.col(KEY).is_in(buyers.implode()))
    return dataclasses.replace(tables, customers=customers, orders=tables.orders.clear())


def _read_columns(known: pl.LazyFrame, plan: FeaturePlan) -> pl.LazyFrame:
    """`known` with only the columns the export and the segments' flags read cleaned and
    read; the others null (a collected frame keeps every column it is given: the query that
    follows cannot drop the unread ones as a lazy one would)."""
    read = {*EXPORT_COLUMNS}
    for definition in plan.segments:
        read.update(segment_flag(definition, plan).meta.root_names())
    schema = known.collect_schema()
    return known.select(
        pl.col(name) if name in read else pl.lit(None, dtype).alias(name)
        for name, dtype in schema.items()
    )


def buyers_query(
    plan: FeaturePlan, tables: Tables, exclude: tuple[str, ...], keys: pl.Series
) -> pl.LazyFrame:
    """One row from one pass over the orders that count: HITS, the `keys` that an order's id
    cell as written is (a plain id is its own key); MESSY, whether some order's id is not
    plain; and the money columns whose reading can fail, read of every order as the general
    query reads them, so that a bad cell is named as it names it."""
    orders = seen_orders(tables.orders, plan.as_of, exclude)
    if orders.collect_schema().get(ID_CELL) == pl.Int64:  # keys that are an integer's text
        numbers = keys.cast(pl.Int64, strict=False)  # (not "007"), as integers
        keys = numbers.filter(numbers.cast(pl.String) == keys)
    cell = pl.col(ID_CELL)
    return orders.select(
        cell.filter(cell.is_in(keys.implode())).unique().implode().alias(HITS),
        (~plain_cell(orders, tables.settings.null_values)).any().alias(MESSY),
        *(pl.col(c).null_count() for c in _money_checked(tables)),
    )


HITS = "__segcli_hits"
MESSY = "__segcli_messy"
_MONEY = {"total": "total_cents", "refunded": "refunded_cents"}


def _money_checked(tables: Tables) -> list[str]:
    """The orders' money columns whose reading can fail (text, floats, integers, decimals too
    wide for integer cents): the general query reads them of every order that counts, so a
    bad cell in any order stops it, and this query reads them too."""
    names: set[str] = set()
    for read in tables.files:
        if read.role == "orders":
            for canon, column in read.layout.columns.items():
                if canon in _MONEY and not _exact_cents(read.raw.schema[column]):
                    names.add(_MONEY[canon])
    return sorted(names)


def _exact_cents(dtype: pl.DataType) -> bool:
    """A Parquet decimal whose every value is a whole number of cents within an Int64."""
    return isinstance(dtype, pl.Decimal) and dtype.scale <= 2 and dtype.precision + 2 <= 18
