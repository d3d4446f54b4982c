"""The UCI Online Retail line-item layout through the shipped example config."""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from segcli.inputs.config import find_config, load_settings
from segcli.inputs.read import open_tables

ROOT = Path(__file__).resolve().parents[1]
UCI = ROOT.parent / "shared" / "data" / "uci_online_retail_sample_20k.csv"
CONFIG = ROOT / "examples" / "uci" / "segcli.yaml"

pytestmark = pytest.mark.skipif(not UCI.exists(), reason="../shared/data is not here")


def _expected_totals() -> dict[str, int]:
    """Invoice totals computed independently: Decimal quantity x price, summed per invoice."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    with UCI.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            totals[row["InvoiceNo"]] += Decimal(row["Quantity"]) * Decimal(row["UnitPrice"])
    return {k: int(v * 100) for k, v in totals.items()}


def test_example_config_is_found_beside_the_rules() -> None:
    assert find_config(ROOT / "examples" / "uci" / "rules" / "repeat_buyers.yaml") == CONFIG


def test_orders_built_from_lines() -> None:
    settings = load_settings(CONFIG)
    assert settings.exclude_statuses == ("cancelled",)
    tables = open_tables(UCI, settings=settings)
    assert tables.layout == "mapping"
    orders = tables.orders.collect()
    assert orders.height == 9362
    assert dict(zip(orders["order_id"], orders["total_cents"], strict=True)) == _expected_totals()
    cancelled = orders.filter(pl.col("status") == "cancelled")
    assert cancelled.height == orders.filter(pl.col("order_id").str.starts_with("C")).height
    assert cancelled.height > 0
    assert (orders["currency"] == "GBP").all()
    assert orders["customer_key"].drop_nulls().n_unique() == 3049
    # Times are UK local time: 16:16 on 10 March is GMT, 14:45 on 16 June is BST (UTC+1).
    by_id = {r["order_id"]: r for r in orders.to_dicts()}
    assert by_id["546306"]["ordered_at"] == datetime(2011, 3, 10, 16, 16, tzinfo=UTC)
    assert by_id["557055"]["ordered_at"] == datetime(2011, 6, 16, 13, 45, tzinfo=UTC)
    assert by_id["546306"]["customer_key"] is None  # CustomerID NA


def test_lines_and_customers() -> None:
    tables = open_tables(UCI, settings=load_settings(CONFIG))
    assert tables.lines is not None
    lines = tables.lines.collect()
    assert lines.height == 20000
    assert lines["quantity"].min() == -1200
    assert lines["quantity"].max() == 4800
    assert lines["product_name"].null_count() == 53
    assert tables.customers is not None
    customers = tables.customers.collect()
    assert customers.height == 3049
    assert customers["country"].null_count() == 0
    assert customers.filter(pl.col("customer_key") == "12621")["country"].to_list() == ["Germany"]
