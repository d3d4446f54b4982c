"""inspect_files: layout, mapping, counts and warnings, as JSON-able data."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from segcli.inputs.config import load_settings
from segcli.inputs.inspect import inspect_files

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
ORDERS = DATA / "shopify_enavant_orders_export_1.pseudonymized.csv"
CUSTOMERS = DATA / "shopify_enavant_customers_export_1.pseudonymized.csv"

pytestmark = pytest.mark.skipif(not ORDERS.exists(), reason="../shared/data is not here")


def test_shopify_report() -> None:
    report = inspect_files([ORDERS, CUSTOMERS])
    json.dumps(report)  # JSON-able
    files = report["files"]
    assert [(f["table"], f["layout"]) for f in files] == [
        ("orders", "shopify"),
        ("customers", "shopify"),
    ]
    assert files[0]["mapping"]["order_id"] == "Name"
    orders = report["tables"]["orders"]
    assert (orders["orders"], orders["distinct_customers"]) == (409, 296)
    assert orders["date_range"] == ["2019-05-14T05:01:54+00:00", "2022-01-11T09:32:30+00:00"]
    assert orders["currencies"] == ["USD"]
    assert orders["orders_without_customer"] == 19
    assert report["tables"]["lines"]["orders_without_lines"] == 0
    assert report["tables"]["customers"]["rows"] == 1511
    assert report["warnings"] == ["19 orders without customer id or email"]


def _first_rows(path: Path) -> list[dict[str, str]]:
    """Each Shopify order's first row (the one that carries the order's fields), by csv alone."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    first: dict[str, dict[str, str]] = {}
    for row in rows:
        first.setdefault(row["Name"], row)
    return list(first.values())


def test_empty_cells_are_counted_per_column_of_the_users_file() -> None:
    report = inspect_files([ORDERS, CUSTOMERS])
    first_rows = _first_rows(ORDERS)
    orders = report["tables"]["orders"]["empty_cells"]
    assert orders["Email"] == sum(1 for row in first_rows if not row["Email"].strip())
    assert orders["Discount Code"] == sum(1 for row in first_rows if not row["Discount Code"])
    with CUSTOMERS.open(encoding="utf-8", newline="") as handle:
        customers = list(csv.DictReader(handle))
    empty_zip = sum(1 for row in customers if not row["Zip"].strip("' "))
    assert report["tables"]["customers"]["empty_cells"]["Zip"] == empty_zip
    assert "__" not in json.dumps(report)  # no internal column names
    assert "customer_key" not in json.dumps(report)


def test_every_column_of_the_file_is_listed_with_what_segcli_reads_it_as() -> None:
    report = inspect_files([ORDERS])
    with ORDERS.open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    columns = report["files"][0]["columns"]
    assert [c for c, _read_as in columns] == header
    read_as = dict(map(tuple, columns))
    assert (read_as["Name"], read_as["Lineitem sku"], read_as["Vendor"]) == (
        "order_id",
        "sku",
        "brand",
    )
    assert read_as["Cancelled at"] == "status"  # a set Cancelled at makes the order cancelled
    assert read_as["Shipping Phone"] is None
    assert report["files"][0]["unused_columns"] == [c for c in header if read_as[c] is None]


def test_uci_report_and_warnings(tmp_path: Path) -> None:
    uci = DATA / "uci_online_retail_sample_20k.csv"
    report = inspect_files(uci, settings=load_settings(ROOT / "examples/uci/segcli.yaml"))
    assert report["files"][0]["layout"] == "mapping"
    assert report["tables"]["orders"]["orders"] == 9362
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "order_id,email,ordered_at,total,currency\n1,a@x.com,2024-01-01,1,EUR\n"
        "2,,2024-01-02,1,USD\n"
    )
    lines = tmp_path / "lines.csv"
    lines.write_text("order_id,sku\n1,S\n")
    report = inspect_files([orders, lines])
    assert report["warnings"] == [
        "several currencies: EUR, USD; spend adds them",
        "1 orders without customer id or email",
        "1 orders have no line items",
    ]
