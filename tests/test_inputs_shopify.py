"""Shopify exports with no mapping: the real files in ../shared/data, and every header variant."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from segcli.errors import InputError
from segcli.inputs.read import open_tables

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
ORDERS = DATA / "shopify_enavant_orders_export_1.pseudonymized.csv"
CUSTOMERS = DATA / "shopify_enavant_customers_export_1.pseudonymized.csv"
CUSTOMERS_2024 = DATA / "shopify_customers_export_2024_truncated.pseudonymized.csv"

pytestmark = pytest.mark.skipif(not ORDERS.exists(), reason="../shared/data is not here")

# The two buyers whose net spend (sum of Total - Refunded Amount over their orders) differs from
# the customers export's own `Total Spent`, and by how much (cents). Order counts agree for all.
# - customer0035: order J-939719 (79.00) was created by an external app (Source = app id 3525187,
#   a non-Shopify order name, payment "manual"). Shopify counts it in Total Orders but not in
#   Total Spent.
# - customer0036: order #1046 (277.20 = 132 + 88 + 88 less 10 %) has one line, "Aurora Bra Top -
#   Mauve / S", still `pending` in an otherwise fulfilled order: it was removed from the order
#   after checkout (an order edit). 88.00 less 10 % = 79.20, exactly the difference, and it is
#   not in Refunded Amount, so the export's Total still includes it.
SPEND_EXCEPTIONS = {"customer0035@example.com": 7900, "customer0036@example.com": 7920}


def _store_figures() -> pl.DataFrame:
    """The customers export's own Total Orders / Total Spent (an independent source)."""
    raw = pl.read_csv(CUSTOMERS, infer_schema=False)
    return raw.select(
        key=pl.col("Email").str.strip_chars().str.to_lowercase(),
        store_orders=pl.col("Total Orders").cast(pl.Int64),
        store_cents=(pl.col("Total Spent").cast(pl.Decimal(12, 2)) * 100).cast(pl.Int64),
    ).filter(pl.col("key").is_not_null())


def test_real_orders_export_is_detected() -> None:
    tables = open_tables(ORDERS)
    assert tables.layout == "shopify"
    orders = tables.orders.collect()
    assert orders.height == 409
    assert orders["order_id"].n_unique() == 409
    assert orders["customer_key"].drop_nulls().n_unique() == 296
    assert orders["customer_key"].null_count() == 19
    assert tables.lines is not None
    assert tables.lines.collect().height == 811
    assert not tables.has_registration_date
    first = orders.row(0, named=True)
    assert first["order_id"] == "#1411"
    assert first["ordered_at"] == datetime(2022, 1, 11, 9, 32, 30, tzinfo=UTC)
    assert (first["total_cents"], first["currency"]) == (12540, "USD")
    assert orders.filter(pl.col("status") == "cancelled").height == 20
    statuses = set(orders["status"].unique().to_list())
    assert statuses == {"paid", "refunded", "partially_refunded", "cancelled"}
    codes = orders.filter(pl.col("discount_code").str.contains(" + ", literal=True))
    assert codes.height > 0  # several codes stay joined by " + "


def test_customers_derived_from_orders_when_no_customers_file() -> None:
    tables = open_tables(ORDERS)
    assert tables.customers is not None
    customers = tables.customers.collect()
    assert customers.height == 296
    first = customers.filter(pl.col("customer_key") == "customer0001@example.com").row(
        0, named=True
    )
    assert (first["country"], first["postal_code"], first["accepts_marketing"]) == (
        "SE",
        "11457",
        True,
    )
    assert first["name"] is not None
    zips = customers["postal_code"].drop_nulls()
    assert zips.str.starts_with("0").any()  # leading zeros kept (07666, 02135-2926)


def test_counts_and_net_spend_match_the_customers_export() -> None:
    tables = open_tables(ORDERS, customers=CUSTOMERS)
    ours = (
        tables.orders.filter(pl.col("customer_key").is_not_null())
        .group_by("customer_key")
        .agg(orders=pl.len(), cents=(pl.col("total_cents") - pl.col("refunded_cents")).sum())
        .collect()
    )
    both = ours.join(_store_figures(), left_on="customer_key", right_on="key", how="left")
    assert both.height == 296
    assert (both["orders"] == both["store_orders"]).all()
    differ = both.filter(pl.col("cents") != pl.col("store_cents"))
    assert len(both) - len(differ) >= 294
    got = dict(zip(differ["customer_key"], differ["cents"] - differ["store_cents"], strict=True))
    assert got == SPEND_EXCEPTIONS


def test_real_customers_export_2022() -> None:
    tables = open_tables(ORDERS, customers=CUSTOMERS)
    assert tables.customers is not None
    customers = tables.customers.collect()
    assert customers.height == 1511
    assert customers["customer_key"].null_count() == 28
    assert customers["accepts_marketing"].sum() == 1067
    assert not tables.has_registration_date
    assert customers["registered_at"].null_count() == 1511
    tagged = customers.filter(pl.col("tags") == "Level 1, newsletter")
    assert tagged.height > 0


def _rows(path: Path, count: int) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        return header, [row for _, row in zip(range(count), reader, strict=False)]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def _variant(
    header: list[str], rows: list[list[str]], width: int
) -> tuple[list[str], list[list[str]]]:
    """The 71/75/79-column orders layouts, made from the real 73-column (2022) one."""
    if width == 73:
        return header, rows
    if width in {71, 75}:  # 2021: no payment terms columns
        drop = {"Payment Terms Name", "Next Payment Due At"}
        keep = [i for i, c in enumerate(header) if c not in drop]
        header, rows = [header[i] for i in keep], [[row[i] for i in keep] for row in rows]
    if width == 71:
        return header, rows
    at = header.index("Vendor") + 1
    extra = ["Outstanding Balance", "Employee", "Location", "Device ID"]
    tail = ["Payment ID", "Payment References"] if width == 79 else []
    new_header = header[:at] + extra + header[at:] + tail
    new_rows = [row[:at] + ["", "", "", ""] + row[at:] + [""] * len(tail) for row in rows]
    return new_header, new_rows


@pytest.mark.parametrize("width", [71, 73, 75, 79])
def test_every_orders_layout_is_detected(tmp_path: Path, width: int) -> None:
    header, rows = _rows(ORDERS, 40)
    header, rows = _variant(header, rows, width)
    assert len(header) == width
    tables = open_tables(_write(tmp_path / "orders.csv", header, rows))
    assert tables.layout == "shopify"
    expected = open_tables(ORDERS).orders.head(3).collect()
    assert tables.orders.head(3).collect().equals(expected)


CUSTOMER_ROW = {
    "Customer ID": "'7685309428502",
    "First Name": "Ana",
    "Last Name": "Lima",
    "Email": " Ana@Example.com",
    "Accepts Marketing": "yes",
    "Accepts Email Marketing": "yes",
    "Country Code": "PK",
    "Default Address Country Code": "PK",
    "Zip": "'04616",
    "Default Address Zip": "'04616",
    "Total Spent": "10.00",
    "Total Orders": "1",
    "Tags": "Bronze VIP, loyal",
}
LAYOUTS = {
    "2019": "First Name,Last Name,Email,Company,Address1,Address2,City,Province,Province Code,"
    "Country,Country Code,Zip,Phone,Accepts Marketing,Total Spent,Total Orders,Tags,Note,"
    "Tax Exempt",
    "2022": "First Name,Last Name,Email,Accepts Email Marketing,Company,Address1,Address2,City,"
    "Province,Province Code,Country,Country Code,Zip,Phone,Accepts SMS Marketing,Total Spent,"
    "Total Orders,Tags,Note,Tax Exempt",
    "2023": "Customer ID,First Name,Last Name,Email,Accepts Email Marketing,Company,Address1,"
    "Address2,City,Province,Province Code,Country,Country Code,Zip,Phone,Accepts SMS Marketing,"
    "Total Spent,Total Orders,Tags,Note,Tax Exempt",
    "2024": "Customer ID,First Name,Last Name,Email,Accepts Email Marketing,"
    "Default Address Company,Default Address Address1,Default Address Address2,"
    "Default Address City,Default Address Province Code,Default Address Country Code,"
    "Default Address Zip,Default Address Phone,Phone,"
    "Accepts SMS Marketing,Total Spent,Total Orders,Note,Tax Exempt,Tags",
}


@pytest.mark.parametrize(
    ("year", "width"), [("2019", 19), ("2022", 20), ("2023", 21), ("2024", 20)]
)
def test_every_customers_layout(tmp_path: Path, year: str, width: int) -> None:
    header = LAYOUTS[year].split(",")
    assert len(header) == width
    row = [CUSTOMER_ROW.get(name, "") for name in header]
    customers = _write(tmp_path / "customers.csv", header, [row])
    orders = _write(tmp_path / "orders.csv", *_rows(ORDERS, 3))
    tables = open_tables(orders, customers=customers)
    assert not tables.has_registration_date
    assert tables.customers is not None
    got = tables.customers.collect().row(0, named=True)
    has_id = "Customer ID" in header
    assert got["customer_id"] == ("7685309428502" if has_id else None)
    assert got["customer_key"] == ("7685309428502" if has_id else "ana@example.com")
    assert (got["email"], got["postal_code"], got["country"]) == ("ana@example.com", "04616", "PK")
    assert (got["accepts_marketing"], got["tags"]) == (True, "Bronze VIP, loyal")


def test_2024_customers_without_the_truncated_row(tmp_path: Path) -> None:
    lines = CUSTOMERS_2024.read_text(encoding="utf-8").splitlines(keepends=True)
    whole = tmp_path / "customers_2024.csv"
    whole.write_text("".join(lines[:4]), encoding="utf-8")  # header + 3 complete rows
    tables = open_tables(ORDERS, customers=whole)
    assert tables.customers is not None
    customers = tables.customers.collect()
    assert customers["customer_id"].to_list() == ["7985351721238", "7864668586262", "7694309228822"]
    # Identity: these orders carry only emails; customer0001 is id 7864668586262 in this file.
    orders = tables.orders.filter(pl.col("email") == "customer0001@example.com").collect()
    assert orders["customer_key"].to_list() == ["7864668586262"]
    others = tables.orders.filter(pl.col("email") == "customer0003@example.com").collect()
    assert set(others["customer_key"].to_list()) == {"customer0003@example.com"}


def test_preset_shopify_rejects_other_files(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("order_id,email,ordered_at,total\n1,a@x.com,2024-01-01,1\n")
    with pytest.raises(InputError, match="not a Shopify orders export: missing column 'Name'"):
        open_tables(path, preset="shopify")
