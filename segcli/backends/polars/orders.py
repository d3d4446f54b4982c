"""The orders that count, and the customers who can be members: the scope of every query.

Gated, the customers and their orders are narrowed to those who can be members of some segment
(rules.members_gate, rules.buyers_gate), so the others' rows are never aggregated.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from segcli.backends.polars.compare import (
    CENTS,
    integer_compare,
    multi_text_compare,
    text_compare,
)
from segcli.backends.polars.groups import (
    rows_of,
)
from segcli.backends.polars.rules import (
    buyers_gate,
    members_gate,
)
from segcli.inputs.identity import IdentityResolver
from segcli.inputs.tables import Tables
from segcli.plan import (
    KEY,
    MEMBER_ATTRIBUTES,
    FeaturePlan,
)
from segcli.spec.model import (
    FieldTest,
)

NET = pl.col("total_cents") - pl.col("refunded_cents").fill_null(0)


def seen_orders(orders: pl.LazyFrame, as_of: datetime, exclude: tuple[str, ...]) -> pl.LazyFrame:
    """Orders that count: up to the as-of, status not excluded. (Orders that belong to nobody
    are dropped when they are grouped by customer: see groups.py.)"""
    keep = pl.col("ordered_at") <= as_of
    if exclude:
        keep = keep & ~pl.col("status").fill_null("").is_in(list(exclude))
    return orders.filter(keep)


def order_where(where: tuple[FieldTest, ...]) -> pl.Expr:
    test = pl.lit(value=True)
    for item in where:
        test = test & _order_field_test(item)
    return test


def order_column(field: str) -> str:
    """The orders column an order field (of a `where`) reads."""
    return "total_cents" if field == "order_total" else field  # discount_code, status, currency


def _order_field_test(item: FieldTest) -> pl.Expr:
    column = pl.col(order_column(item.field))
    if item.field == "order_total":
        return integer_compare(column, item.comparison, CENTS)
    if item.field == "discount_code":
        return multi_text_compare(column, " + ", item.comparison)
    return text_compare(column, item.comparison)  # status, currency


def customers_gate(plan: FeaturePlan, tables: Tables, *, gated: bool) -> pl.Expr | None:
    """The customers gate `scope` applies, if any."""
    return members_gate(plan) if gated and tables.customers is not None else None


def scope(
    plan: FeaturePlan,
    tables: Tables,
    exclude: tuple[str, ...],
    *,
    gated: bool,
    lines: pl.DataFrame | None = None,
) -> tuple[pl.LazyFrame, pl.LazyFrame | None, pl.Expr | None]:
    """The orders that count, the known customers, and the customers gate applied, if any.

    Gated, the customers and their orders are narrowed to those who can be members: by the
    customers gate (`members_gate`), and with the collected `lines`, to the buyers of an
    item every segment requires (`buyers_gate`)."""
    orders = seen_orders(tables.orders, plan.as_of, exclude)
    known = known_customers(tables.customers)
    gate = customers_gate(plan, tables, gated=gated)
    if known is not None and gate is not None:
        known = known.filter(gate)
        orders = rows_of(orders, known, tables.settings.null_values)
    if gated and lines is not None and (buyers := buyers_gate(plan)) is not None:
        candidates = lines.lazy().filter(buyers).select(KEY)
        known = None if known is None else known.join(candidates, on=KEY, how="semi")
        orders = rows_of(orders, candidates, tables.settings.null_values)
    return orders, known, gate


def known_customers(customers: pl.LazyFrame | None) -> pl.LazyFrame | None:
    """One row per customer key: the first row wins. (A filter, not `unique(keep="first")`,
    whose maintain_order the optimizer drops before a join, at several times the cost.)"""
    if customers is None:
        return None
    first = pl.col(KEY).is_not_null() & pl.col(KEY).is_first_distinct()
    return customers.filter(first).select(KEY, *MEMBER_ATTRIBUTES)


def identity(tables: Tables) -> IdentityResolver:
    """How the tables' orders become customer keys (see inputs.identity)."""
    return IdentityResolver(tables.settings, tables.orders_by_email)
