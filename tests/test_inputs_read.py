"""Canonical layout: formats, encodings, parts, explicit parsing, identity, products."""

from __future__ import annotations

import gzip
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import polars as pl
import pytest

from segcli.errors import InputError
from segcli.inputs.checks import collect
from segcli.inputs.read import open_tables
from segcli.inputs.settings import MoneyFormat, Settings
from segcli.inputs.tables import (
    CUSTOMER_COLUMNS,
    LINE_COLUMNS,
    ORDER_COLUMNS,
    polars_schema,
)

if TYPE_CHECKING:
    from pathlib import Path

HEADER = "order_id,email,ordered_at,total\n"


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def orders_of(path: Path | list[Path] | str, **kwargs: object) -> list[dict[str, object]]:
    tables = open_tables(path, **kwargs)  # type: ignore[arg-type]
    return tables.orders.collect().to_dicts()


def test_bom_crlf_semicolon_and_quoted_newline(tmp_path: Path) -> None:
    text = 'order_id;email;ordered_at;total\r\n"A;1"; X@Shop.COM ;2024-05-01;"12.50"\r\n'
    text += '"B\r\n2";;2024-05-02 10:00;3\r\n'
    path = tmp_path / "orders.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    rows = orders_of(path)
    assert [r["order_id"] for r in rows] == ["A;1", "B\r\n2"]
    assert rows[0]["email"] == "x@shop.com"
    assert rows[0]["customer_key"] == "x@shop.com"
    assert rows[1]["email"] is None
    assert [r["total_cents"] for r in rows] == [1250, 300]


def test_schemas_are_the_documented_ones(tmp_path: Path) -> None:
    orders = write(tmp_path / "o.csv", HEADER + "1,a@x.com,2024-01-01,1\n")
    lines = write(tmp_path / "l.csv", "order_id,sku\n1,S\n")
    customers = write(tmp_path / "c.csv", "email\na@x.com\n")
    tables = open_tables(orders, lines=lines, customers=customers)
    documented = pl.Schema(polars_schema(ORDER_COLUMNS))
    internal: dict[str, pl.DataType] = {
        "__segcli_raw_key": pl.String(),
        "__segcli_key_from_email": pl.Boolean(),
        "__segcli_email_raw": pl.String(),
        "__segcli_id_cell": pl.String(),
        "__segcli_email_cell": pl.String(),
        "__raw_order_id": pl.Int64(),  # null: the file's order ids are text
    }
    assert tables.orders.collect_schema() == pl.Schema({**documented, **internal})
    assert tables.lines is not None
    # the item cells as written: a cheap filter on them reaches the scan (no products file)
    raw_items: dict[str, pl.DataType] = dict.fromkeys(
        [
            "__raw_sku",
            "__raw_product_name",
            "__raw_brand",
            "__raw_category",
            "__raw_collection",
            "__raw_tags",
        ],
        pl.String(),
    )
    raw_items["__raw_order_id"] = pl.Int64()
    assert tables.lines.collect_schema() == pl.Schema({**polars_schema(LINE_COLUMNS), **raw_items})
    assert tables.customers is not None
    assert tables.customers.collect_schema() == pl.Schema(polars_schema(CUSTOMER_COLUMNS))
    assert tables.layout == "canonical"
    assert tables.sources == (orders, lines, customers)


def test_gzip_csv(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv.gz"
    path.write_bytes(gzip.compress((HEADER + "1,a@x.com,2024-01-01,9.99\n").encode()))
    assert [r["total_cents"] for r in orders_of(path)] == [999]


def test_glob_and_folder_of_parts(tmp_path: Path) -> None:
    folder = tmp_path / "orders"
    folder.mkdir()
    write(folder / "part-0001.csv", HEADER + "2,b@x.com,2024-01-02,2\n")
    write(folder / "part-0000.csv", HEADER + "1,a@x.com,2024-01-01,1\n")
    write(folder / "_SUCCESS", "")
    assert [r["order_id"] for r in orders_of(folder)] == ["1", "2"]
    assert [r["order_id"] for r in orders_of(str(folder / "part-*.csv"))] == ["1", "2"]
    two = [folder / "part-0001.csv", folder / "part-0000.csv"]
    assert [r["order_id"] for r in orders_of(two)] == ["2", "1"]


def test_parquet_float_decimal_and_datetimes(tmp_path: Path) -> None:
    frame = pl.DataFrame(
        {
            "order_id": ["1", "2", "3"],
            "customer_id": ["007", "008", None],
            "ordered_at": ["2024-01-01 12:00", "2024-07-01 12:00", "2024-01-02 00:00"],
            "total": [125.4, 0.1 + 0.2, 3.0],
            "refunded": pl.Series([Decimal("1.10"), Decimal(0), None], dtype=pl.Decimal(10, 2)),
        }
    ).with_columns(pl.col("ordered_at").str.to_datetime("%Y-%m-%d %H:%M"))  # naive
    path = tmp_path / "orders.parquet"
    frame.write_parquet(path)
    rows = orders_of(path, settings=Settings(timezone="Europe/Berlin"))
    assert [r["total_cents"] for r in rows] == [12540, 30, 300]  # floats rounded to the cent
    assert [r["refunded_cents"] for r in rows] == [110, 0, 0]
    assert rows[0]["customer_key"] == "007"
    assert rows[0]["ordered_at"] == datetime(2024, 1, 1, 11, tzinfo=UTC)  # CET = UTC+1
    assert rows[1]["ordered_at"] == datetime(2024, 7, 1, 10, tzinfo=UTC)  # CEST = UTC+2


def test_parquet_date_column(tmp_path: Path) -> None:
    path = tmp_path / "orders.parquet"
    pl.DataFrame(
        {"order_id": ["1"], "email": ["a@x.com"], "ordered_at": [date(2024, 3, 1)], "total": [5]}
    ).write_parquet(path)
    rows = orders_of(path)
    assert rows[0]["ordered_at"] == datetime(2024, 3, 1, tzinfo=UTC)
    assert rows[0]["total_cents"] == 500  # integer money columns are whole units


def _typed_orders(tmp_path: Path, **columns: pl.Series) -> Path:
    path = tmp_path / "orders.parquet"
    base = {
        "order_id": pl.Series(["1", "2", "3"]),
        "email": pl.Series(["a@x.com", "b@x.com", "c@x.com"]),
        "ordered_at": pl.Series([datetime(2024, 1, d, tzinfo=UTC) for d in (1, 2, 3)]),
        "total": pl.Series([Decimal("1.00")] * 3, dtype=pl.Decimal(10, 2)),
    }
    pl.DataFrame(base | columns).write_parquet(path, statistics=True)
    return path


def test_parquet_typed_columns_are_read_as_they_are(tmp_path: Path) -> None:
    utc = pl.Series([datetime(2024, 1, 1, 23, 59, 59, 999999, tzinfo=UTC)] * 3)
    rows = orders_of(_typed_orders(tmp_path, ordered_at=utc))
    assert rows[0]["ordered_at"] == datetime(2024, 1, 1, 23, 59, 59, 999999, tzinfo=UTC)
    assert [r["total_cents"] for r in rows] == [100, 100, 100]


def test_parquet_empty_required_timestamp_names_the_row(tmp_path: Path) -> None:
    stamps = pl.Series([datetime(2024, 1, 1, tzinfo=UTC), None, None])
    path = _typed_orders(tmp_path, ordered_at=stamps)
    tables = open_tables(path)
    with pytest.raises(
        InputError, match=r"orders.parquet: row 2, column 'ordered_at': the value is empty"
    ):
        collect(tables.orders, tables)


def test_parquet_sub_cent_decimal_names_the_row(tmp_path: Path) -> None:
    totals = pl.Series(
        [Decimal("1.000"), Decimal("2.500"), Decimal("2.505")], dtype=pl.Decimal(10, 3)
    )
    tables = open_tables(_typed_orders(tmp_path, total=totals))
    with pytest.raises(InputError, match=r"row 3, column 'total': cannot read '2.505' as money"):
        collect(tables.orders, tables)


def test_ndjson(tmp_path: Path) -> None:
    text = '{"order_id": 1, "email": "A@x.com", "ordered_at": "2024-01-01", "total": 12.5}\n'
    path = write(tmp_path / "orders.ndjson", text)
    rows = orders_of(path)
    assert rows[0]["order_id"] == "1"
    assert rows[0]["total_cents"] == 1250


def test_header_only_is_an_empty_table(tmp_path: Path) -> None:
    path = write(tmp_path / "orders.csv", HEADER)
    tables = open_tables(path, customers=write(tmp_path / "c.csv", "customer_id,email"))
    assert tables.orders.collect().height == 0
    assert tables.customers is not None
    assert tables.customers.collect().height == 0


def test_ids_and_postal_codes_keep_leading_zeros(tmp_path: Path) -> None:
    orders = write(
        tmp_path / "o.csv", "order_id,customer_id,ordered_at,total\n0001,007,2024-01-01,1\n"
    )
    customers = write(tmp_path / "c.csv", "customer_id,postal_code\n007,01234\n")
    tables = open_tables(orders, customers=customers)
    assert tables.orders.collect().row(0, named=True)["customer_key"] == "007"
    assert tables.customers is not None
    assert tables.customers.collect().to_dicts()[0]["postal_code"] == "01234"


@pytest.mark.parametrize(
    ("cell", "cents"),
    [("125.4", 12540), ("125.40", 12540), ("-3.5", -350), ("0", 0), ("+7", 700), ("1.500", 150)],
)
def test_money_is_exact_cents(tmp_path: Path, cell: str, cents: int) -> None:
    path = write(tmp_path / "o.csv", HEADER + f"1,a@x.com,2024-01-01,{cell}\n")
    assert orders_of(path)[0]["total_cents"] == cents


@pytest.mark.parametrize("cell", ["1e3", "1.005", "12,50", "$5", "abc", "1.", ".5"])
def test_unreadable_money_is_an_error(tmp_path: Path, cell: str) -> None:
    path = write(tmp_path / "o.csv", HEADER + f'1,a@x.com,2024-01-01,"{cell}"\n')
    tables = open_tables(path)
    with pytest.raises(InputError, match=r"row 1 \(line 2\), column 'total': cannot read"):
        collect(tables.orders, tables)


def test_money_format_from_settings(tmp_path: Path) -> None:
    path = write(tmp_path / "o.csv", HEADER + '1,a@x.com,2024-01-01,"1.234,50 €"\n')
    money = MoneyFormat(currency_sign="€", thousands_separator=".", decimal_separator=",")
    assert orders_of(path, settings=Settings(money=money))[0]["total_cents"] == 123450


def test_mixed_timestamp_formats_and_offsets(tmp_path: Path) -> None:
    cells = [
        "2024-01-11",
        "2024-01-11 04:32",
        "2024-01-11 04:32:30 -0500",
        "2024-07-11 04:32:30 -0400",
        "2024-01-11T04:32:30Z",
        "2024-01-11T04:32:30.250+02:00",
        "2024-07-11 12:00:00",
    ]
    body = "".join(f"{i},a@x.com,{c},1\n" for i, c in enumerate(cells))
    path = write(tmp_path / "o.csv", HEADER + body)
    got = [r["ordered_at"] for r in orders_of(path, settings=Settings(timezone="Europe/Paris"))]
    assert got == [
        datetime(2024, 1, 10, 23, tzinfo=UTC),  # local midnight in Paris (CET)
        datetime(2024, 1, 11, 3, 32, tzinfo=UTC),
        datetime(2024, 1, 11, 9, 32, 30, tzinfo=UTC),
        datetime(2024, 7, 11, 8, 32, 30, tzinfo=UTC),
        datetime(2024, 1, 11, 4, 32, 30, tzinfo=UTC),
        datetime(2024, 1, 11, 2, 32, 30, 250000, tzinfo=UTC),
        datetime(2024, 7, 11, 10, tzinfo=UTC),  # CEST
    ]


def test_forms_missing_from_the_first_rows_are_still_read(tmp_path: Path) -> None:
    """The first 500 rows pick the fast exact formats; later cells in other forms still parse."""
    early = "".join(f"{i},a@x.com,2024-01-11T04:32:30Z,1\n" for i in range(600))
    late = [
        "2024-01-11T04:32:30.250+02:00",
        "2024-01-11 04:32:30 -0500",
        "2024-01-11",
        "2024-01-11T04:32:30",
    ]
    body = early + "".join(f"L{i},a@x.com,{c},1\n" for i, c in enumerate(late))
    rows = orders_of(write(tmp_path / "o.csv", HEADER + body))
    assert [r["ordered_at"] for r in rows[600:]] == [
        datetime(2024, 1, 11, 2, 32, 30, 250000, tzinfo=UTC),
        datetime(2024, 1, 11, 9, 32, 30, tzinfo=UTC),
        datetime(2024, 1, 11, tzinfo=UTC),  # no offset: the project time zone (UTC here)
        datetime(2024, 1, 11, 4, 32, 30, tzinfo=UTC),
    ]
    assert rows[0]["ordered_at"] == datetime(2024, 1, 11, 4, 32, 30, tzinfo=UTC)


def test_date_format_setting(tmp_path: Path) -> None:
    path = write(tmp_path / "o.csv", HEADER + "1,a@x.com,12/1/2010 8:26,1\n")
    rows = orders_of(path, settings=Settings(date_format="%m/%d/%Y %H:%M"))
    assert rows[0]["ordered_at"] == datetime(2010, 12, 1, 8, 26, tzinfo=UTC)


def test_legacy_encoding(tmp_path: Path) -> None:
    text = "order_id,email,ordered_at,total,discount_code\n1,a@x.com,2024-01-01,1,£CAFÉ\n"
    path = write(tmp_path / "o.csv", text, encoding="cp1252")
    assert orders_of(path, settings=Settings(encoding="cp1252"))[0]["discount_code"] == "£CAFÉ"
    with pytest.raises(InputError, match="not valid utf-8"):
        open_tables(path)


def test_null_markers_status_and_currency(tmp_path: Path) -> None:
    text = "order_id,customer_id,email,ordered_at,total,status,currency\n"
    text += "1,NA,A@x.com,2024-01-01,1, Paid ,usd\n2,C9,NA,2024-01-01,1,,\n"
    path = write(tmp_path / "o.csv", text)
    rows = orders_of(path, settings=Settings(null_values=("NA",), currency="EUR"))
    assert [r["customer_key"] for r in rows] == ["a@x.com", "C9"]
    assert [r["status"] for r in rows] == ["paid", None]
    assert [r["currency"] for r in rows] == ["USD", "EUR"]


def test_orders_map_to_customer_ids_by_email(tmp_path: Path) -> None:
    orders = write(tmp_path / "o.csv", HEADER + "1, A@x.com,2024-01-01,1\n2,b@x.com,2024-01-01,1\n")
    customers = write(tmp_path / "c.csv", "customer_id,email\nC1,a@X.com\n,b@x.com\n")
    tables = open_tables(orders, customers=customers)
    assert [r["customer_key"] for r in tables.orders.collect().to_dicts()] == ["C1", "b@x.com"]
    assert tables.customers is not None
    assert tables.customers.collect()["customer_key"].to_list() == ["C1", "b@x.com"]


def test_products_joined_onto_lines_line_values_win(tmp_path: Path) -> None:
    orders = write(tmp_path / "o.csv", HEADER + "1,a@x.com,2024-01-01,1\n")
    lines = write(tmp_path / "l.csv", "order_id,sku,brand,quantity\n1,S1,LineBrand,2\n1,S2,,\n")
    products = write(
        tmp_path / "p.csv", "sku,brand,category\nS1,Cat,Tops\nS2,Acme,Pants\nS2,Dup,Dup\n"
    )
    tables = open_tables(orders, lines=lines, products=products)
    assert tables.lines is not None
    rows = tables.lines.collect().to_dicts()
    assert [(r["sku"], r["brand"], r["category"], r["quantity"]) for r in rows] == [
        ("S1", "LineBrand", "Tops", 2),
        ("S2", "Acme", "Pants", 1),
    ]


def test_reviews(tmp_path: Path) -> None:
    orders = write(tmp_path / "o.csv", HEADER + "1,a@x.com,2024-01-01,1\n")
    reviews = write(tmp_path / "r.csv", "email,sku,reviewed_at\nA@x.com,S1,2024-02-01\n")
    tables = open_tables(orders, reviews=reviews)
    assert tables.reviews is not None
    row = tables.reviews.collect().row(0, named=True)
    assert (row["customer_key"], row["sku"]) == ("a@x.com", "S1")


def test_blank_lines_are_skipped(tmp_path: Path) -> None:
    path = write(
        tmp_path / "o.csv", HEADER + "1,a@x.com,2024-01-01,1\n\n2,b@x.com,2024-01-01,2\n\n"
    )
    assert [r["order_id"] for r in orders_of(path)] == ["1", "2"]


def test_line_numbers_count_quoted_newlines(tmp_path: Path) -> None:
    text = HEADER.replace("total", "total,note") + '1,a@x.com,2024-01-01,1,"two\nlines"\n'
    text += "2,b@x.com,2024-01-01,oops,\n"
    tables = open_tables(write(tmp_path / "o.csv", text))
    with pytest.raises(InputError, match=r"row 2 \(line 4\), column 'total'"):
        collect(tables.orders, tables)
