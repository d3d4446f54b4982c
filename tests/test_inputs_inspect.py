"""inspect_files: layout, mapping, counts and warnings, as JSON-able data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console

from segcli.inputs.config import load_settings
from segcli.inputs.inspect import inspect_files, render_inspect

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
    assert orders["nulls"]["customer_key"] == 19
    assert report["tables"]["lines"]["orders_without_lines"] == 0
    assert report["tables"]["customers"]["rows"] == 1511
    assert report["warnings"] == ["19 orders without customer id or email"]
    console = Console(record=True, width=120)
    console.print(render_inspect(report))
    assert "shopify" in console.export_text()


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
