"""The export email: the customers file's, else the customer's earliest order email up to the
as-of (ties on the instant: the smallest email as written), trimmed and lower-cased.

From Parquet, `segcli build`/`run` read it in a query of its own (only the orders of customers
without an email: api.members_table); from CSV, and for `explain` and `why`
(build_customer_table), the main query's group-by computes it. Each is checked against emails
worked out by hand.
"""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest

from segcli import api
from segcli.backends.polars.customers import build_customer_table
from segcli.inputs.read import open_tables
from segcli.inputs.tables import Tables

AS_OF = datetime(2025, 1, 1, tzinfo=UTC)
CUSTOMERS = [  # customer_id, email
    ("C1", "c1@shop.example"),
    ("C2", ""),
    ("C3", ""),
    ("C4", ""),
    ("C6", ""),
    ("C8", ""),
    ("Shared@X.example", "owner@shop.example"),  # an id that reads like an email
]
ORDERS = [  # order_id, customer_id, email, ordered_at
    ("O1", "C1", "other@x.example", "2023-01-01 10:00:00"),  # C1: the customers file's email
    ("O2", "C2", "Late@X.example", "2024-03-01 10:00:00"),
    ("O3", "C2", " Early@X.example ", "2024-01-05 10:00:00"),  # C2: the earlier order's
    ("O4", "C2", "", "2023-12-01 10:00:00"),  # earlier still, but without an email
    ("O5", "C3", "b@x.example", "2024-02-02 10:00:00"),
    ("O6", "C3", "a@x.example", "2024-02-02 10:00:00"),  # C3: same instant, smallest email
    ("O7", "C4", "after@x.example", "2025-02-01 10:00:00"),  # C4: after the as-of, unseen
    ("O8", "C4", "", "2024-05-01 10:00:00"),  # ... so C4 has no email
    ("O9", "C5", "Five@X.example", "2024-06-01 10:00:00"),  # C5: a buyer the file lacks
    ("O10", " C6 ", "spaced@x.example", "2024-01-01 10:00:00"),  # C6: an id with white space
    ("O11", "C6", "plain@x.example", "2024-02-01 10:00:00"),
    ("O12", "", "Guest@X.example", "2024-07-01 10:00:00"),  # guest@x.example: by email alone
    ("O13", "C8", "", "2024-04-01 10:00:00"),  # C8: no email anywhere
    ("O14", "", "Shared@X.example", "2024-08-01 10:00:00"),  # shared@x.example, not that id
    ("O15", "Shared@X.example", "", "2024-08-02 10:00:00"),
]
EXPECTED = {
    "C1": "c1@shop.example",
    "C2": "early@x.example",
    "C3": "a@x.example",
    "C4": None,
    "C5": "five@x.example",
    "C6": "spaced@x.example",
    "C8": None,
    "guest@x.example": "guest@x.example",
    "Shared@X.example": "owner@shop.example",
    "shared@x.example": "shared@x.example",
}
RULE = "name: Buyers\ninclude_unidentified: true\nrules:\n  order_count: {at_least: 1}\n"


@pytest.fixture(scope="module", params=["csv", "parquet"])
def tables(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Tables:
    folder, fmt = tmp_path_factory.mktemp("emails"), request.param
    customers = pl.DataFrame(CUSTOMERS, schema=["customer_id", "email"], orient="row")
    orders = pl.DataFrame(
        ORDERS, schema=["order_id", "customer_id", "email", "ordered_at"], orient="row"
    ).with_columns(total=pl.lit("10.00"), refunded=pl.lit("0.00"), status=pl.lit("paid"))
    if fmt == "parquet":
        orders = orders.with_columns(
            pl.col("ordered_at").str.to_datetime(time_zone="UTC"),
            pl.col("total", "refunded").cast(pl.Decimal(12, 2)),
        )
        customers.write_parquet(folder / "customers.parquet")
        orders.write_parquet(folder / "orders.parquet")
    else:
        customers.write_csv(folder / "customers.csv")
        orders.write_csv(folder / "orders.csv")
    tables = open_tables(folder / f"orders.{fmt}", customers=folder / f"customers.{fmt}")
    assert tables.orders_parquet == (fmt == "parquet")
    return tables


def test_a_build_exports_the_customers_email_else_the_earliest_orders(tables: Tables) -> None:
    definition = api.parse_definition(RULE, source="buyers.yaml", segment_id="buyers")
    members = api.build_members(definition, tables, AS_OF)
    assert dict(zip(members["customer_key"], members["email"], strict=True)) == EXPECTED


def test_explain_and_why_see_the_same_emails(tables: Tables) -> None:
    definition = api.parse_definition(RULE, source="buyers.yaml", segment_id="buyers")
    plan = api.plan_segments([definition], tables, AS_OF)
    table = build_customer_table(plan, tables, ()).collect()
    assert dict(zip(table["customer_key"], table["email"], strict=True)) == EXPECTED
