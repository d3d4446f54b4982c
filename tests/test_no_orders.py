"""Segments whose members have no order (`has_order: false`): the members are the gated
customers whom no order that counts belongs to, whatever shape the orders' ids have.

The expected members are worked out by hand from the rows below; the same answer must come
from clean ids (one probe per order), from ids only normalization resolves (white space, blank
ids identified by email), from integer ids, and in several passes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from segcli import api
from segcli.errors import InputError
from segcli.inputs.settings import Settings

AS_OF = datetime(2025, 1, 1, tzinfo=UTC)
NEW_GB = """\
name: New in GB, no order
rules:
  all:
    - registered: last 12 months
    - country: [GB]
    - has_order: false
"""
RECENT = datetime(2024, 6, 1, tzinfo=UTC)
JULY = datetime(2024, 7, 1, tzinfo=UTC)
# key, country, registered: C1 new in GB without orders; C2 with an order; C3 with an order
# after the as-of only; C4 in France; C5 registered long ago; C6's first row (France) wins
# over its second (GB); C7 has a cancelled order, which counts unless excluded.
Columns = dict[str, list[object]]
CUSTOMERS: Columns = {
    "customer_id": ["C1", "C2", "C3", "C4", "C5", "C6", "C6", "C7"],
    "email": [f"c{i}@x.com" for i in (1, 2, 3, 4, 5, 6, 6, 7)],
    "registered_at": [*[RECENT] * 4, datetime(2020, 1, 1, tzinfo=UTC), *[RECENT] * 3],
    "country": ["GB", "GB", "GB", "FR", "GB", "FR", "GB", "GB"],
}
ORDERS: Columns = {
    "order_id": ["O1", "O2", "O3", "O4", "O5"],
    "customer_id": ["C2", "C3", "C4", "C6", "C7"],
    "email": ["c2@x.com", "c3@x.com", "c4@x.com", "c6@x.com", "c7@x.com"],
    "ordered_at": [JULY, datetime(2025, 2, 1, tzinfo=UTC), JULY, JULY, JULY],
    "total": [10.0, 20.0, 30.0, 40.0, 50.0],
    "status": ["paid", "paid", "paid", "paid", "cancelled"],
}


def _members(
    tmp_path: Path,
    orders: Columns,
    customers: Columns = CUSTOMERS,
    settings: Settings | None = None,
) -> list[str]:
    paths = {"orders": tmp_path / "orders.parquet", "customers": tmp_path / "customers.parquet"}
    pl.DataFrame(orders).write_parquet(paths["orders"], statistics=True)
    pl.DataFrame(customers).write_parquet(paths["customers"], statistics=True)
    tables = api.open_tables(paths["orders"], customers=paths["customers"], settings=settings)
    definition = api.parse_definition(NEW_GB, segment_id="new_gb")
    rows = api.build_members(definition, tables, AS_OF)
    return rows["customer_key"].to_list()


def test_clean_ids_leave_the_customers_without_orders(tmp_path: Path) -> None:
    assert _members(tmp_path, ORDERS) == ["C1", "C3"]


def test_excluded_orders_do_not_count(tmp_path: Path) -> None:
    settings = Settings(exclude_statuses=("cancelled",))
    assert _members(tmp_path, ORDERS, settings=settings) == ["C1", "C3", "C7"]


def test_in_several_passes(tmp_path: Path) -> None:
    assert _members(tmp_path, ORDERS, settings=Settings(passes=3)) == ["C1", "C3"]


def test_ids_that_need_normalizing_still_name_their_customer(tmp_path: Path) -> None:
    """C1's order has its id with white space around it; a customer without an id (key: the
    email) has an order with a blank id and the email in capitals: both have an order."""
    customers: Columns = {
        k: [*v, None if k == "customer_id" else v[0]] for k, v in CUSTOMERS.items()
    }
    customers["email"][-1] = "nid@x.com"
    orders: Columns = {k: [*v, v[0], v[0]] for k, v in ORDERS.items()}
    orders["customer_id"][-2:] = [" C1 ", "  "]
    orders["email"][-2:] = ["c1@x.com", " NID@x.com"]
    assert _members(tmp_path, orders, customers) == ["C3"]


def test_integer_ids_match_only_the_same_text(tmp_path: Path) -> None:
    """Order id 7 belongs to customer "7", not "007"."""
    customers: Columns = {
        "customer_id": ["007", "7"],
        "email": ["a@x.com", "b@x.com"],
        "registered_at": [RECENT, RECENT],
        "country": ["GB", "GB"],
    }
    naive = JULY.replace(tzinfo=None)  # as a warehouse writes it
    orders: Columns = {"order_id": [1], "customer_id": [7], "ordered_at": [naive], "total": [10.0]}
    assert _members(tmp_path, orders, customers) == ["007"]


def test_a_bad_total_of_any_order_is_named_by_its_row(tmp_path: Path) -> None:
    orders: Columns = {**ORDERS, "total": [10.0, 20.0, float("nan"), 40.0, 50.0]}
    with pytest.raises(InputError, match=r"orders.parquet: row 3, column 'total': cannot read"):
        _members(tmp_path, orders)
