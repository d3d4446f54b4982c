"""Passes over a hash of the customer: the members table in parts, each within a memory budget.

Pass i of K reads the orders whose id as written hashes to i, plus every order a normalization
could map to another key (identified by email, or an id with white space at an end: they are
read by every pass), and keeps the customers, reviews and output keys that hash to i. Every
order of a customer whose key hashes to i is then read by pass i (a plain id is its own key), so
each of the pass's customers gets exactly the row of the one-pass table: concatenated, the
passes' tables are the one-pass table, row order aside (exports sort by customer key).

The known customers are narrowed by their key before their first row wins: all rows of one key
fall in the same pass, in their order. The lookups of identity (orders matched to customers by
email) read every customer in every pass.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import polars as pl

from segcli.backends.polars.groups import plain_id
from segcli.inputs.tables import RAW_KEY, Tables
from segcli.plan import KEY

_SEED = 1606


@dataclass(frozen=True, slots=True)
class Pass:
    """Pass `index` of `count` (0-based)."""

    index: int = 0
    count: int = 1

    def holds(self, column: str) -> pl.Expr:
        """Whether the key in `column` hashes to this pass (stable within a Polars version). As
        text: an id read as a number hashes as the key it becomes."""
        return _bucket(column, self.count) == self.index

    def reader(self, rows: pl.LazyFrame) -> pl.Expr:
        """Which pass reads each row of `rows` (orders, or rows joined to them): as `tables`
        picks the orders, its key's pass, or `count` for a row that every pass reads."""
        return pl.when(plain_id(rows)).then(_bucket(RAW_KEY, self.count)).otherwise(self.count)

    def tables(self, tables: Tables) -> Tables:
        """`tables` as this pass reads them."""
        if self.count == 1:
            return tables
        orders = tables.orders.filter(~plain_id(tables.orders) | self.holds(RAW_KEY))
        return dataclasses.replace(
            tables,
            orders=orders,
            customers=None if tables.customers is None else self.keys(tables.customers),
            reviews=None if tables.reviews is None else self.keys(tables.reviews),
        )

    def keys(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        """The rows of `frame` whose customer_key is this pass's."""
        return frame if self.count == 1 else frame.filter(self.holds(KEY))


def _bucket(column: str, count: int) -> pl.Expr:
    return pl.col(column).cast(pl.String).hash(_SEED) % count
