"""Order lines from Parquet, read once per item tested (lines._tested_per_item), and joined to
their orders on integer order ids (lines.join_column): the members are those worked out by hand,
and the same as from the same lines as CSV (read once, joined on the ids' texts)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from segcli import api
from segcli.inputs.tables import Tables

AS_OF = datetime(2025, 1, 1, tzinfo=UTC)
ORDERS = """order_id,customer_id,ordered_at,total
o1,c1,2024-09-01,10.00
o2,c2,2024-09-01,10.00
o3,c2,2023-01-01,10.00
o4,c3,2024-02-01,10.00
o5,c4,2024-10-01,10.00
o6,c5,2024-11-01,10.00
o7,c6,2024-12-01,10.00
o8,c7,2025-02-01,10.00
"""
CUSTOMERS = "customer_id,email\n" + "".join(f"c{i},c{i}@example.com\n" for i in range(1, 8))
# Spellings the tests match after trimming and lower-casing, near misses, a line passing both
# items (o5), and a line after the as-of (o8, not seen).
LINES = [  # order_id, sku, brand, category
    ("o1", "SKU-5", " brandwell ", "Shoes"),
    ("o1", "SKU-6", "Acme", "Socks"),
    ("o2", "SKU-7", "Brandwell", "Shoes"),
    ("o3", " sku-1001", "Acme", "Shoes"),
    ("o4", "SKU-8", "Brandwell", "Shoes"),
    ("o5", "SKU-1001", "BRANDWELL", "Shoes"),
    ("o6", "SKU-10011", "Brandwellness", "Shoes"),
    ("o7", None, "Brandwell", "Hats"),
    ("o7", "SKU-9", None, "Shoes"),
    ("o8", "SKU-1001", "Brandwell", "Shoes"),
]
BRAND_NOT_SKU = """name: Brandwell buyers without the best seller
rules:
  all:
    - purchased: {brand: Brandwell, period: last 6 months}
    - not:
        purchased: {sku: SKU-1001}
"""
# c1: Brandwell in the window, no SKU-1001. c2: SKU-1001 spelled ' sku-1001' in an old order.
# c3: Brandwell before the window. c4: one line that is both. c5: near misses only.
# c6: Brandwell (no SKU on that line). c7: only after the as-of.
BRAND_NOT_SKU_MEMBERS = ["c1", "c6"]
# Two fields on one line (brand and category) or one of two SKUs.
SHOES_OR_SKUS = """name: Brandwell shoes, or SKU-6 or SKU-9
rules:
  any:
    - purchased: {brand: Brandwell, category: shoes}
    - purchased: {sku: [sku-6, SKU-9]}
"""
# c1: ' brandwell ' Shoes (and SKU-6). c2: Brandwell Shoes. c3: Brandwell Shoes (all time).
# c4: BRANDWELL Shoes. c5: 'Brandwellness' is not Brandwell. c6: Brandwell Hats, but SKU-9.
SHOES_OR_SKUS_MEMBERS = ["c1", "c2", "c3", "c4", "c6"]


def _files(folder: Path, lines_format: str) -> dict[str, Path]:
    files = {"orders": folder / "orders.csv", "customers": folder / "customers.csv"}
    files["orders"].write_text(ORDERS, encoding="utf-8")
    files["customers"].write_text(CUSTOMERS, encoding="utf-8")
    files["lines"] = folder / f"order_lines.{lines_format}"
    columns = ["order_id", "sku", "brand", "category"]
    frame = pl.DataFrame(LINES, schema=dict.fromkeys(columns, pl.String), orient="row")
    if lines_format == "parquet":
        frame.write_parquet(files["lines"])
    else:
        frame.write_csv(files["lines"])
    return files


@pytest.mark.parametrize(
    ("definition", "expected"),
    [(BRAND_NOT_SKU, BRAND_NOT_SKU_MEMBERS), (SHOES_OR_SKUS, SHOES_OR_SKUS_MEMBERS)],
)
@pytest.mark.parametrize("lines_format", ["parquet", "csv"])
def test_members_with_lines_read_per_item(
    tmp_path: Path, definition: str, expected: list[str], lines_format: str
) -> None:
    files = _files(tmp_path, lines_format)
    tables = api.open_tables(files["orders"], lines=files["lines"], customers=files["customers"])
    segment = api.parse_definition(definition, source="segment.yaml", segment_id="segment")
    assert api.member_keys(segment, tables, as_of=AS_OF) == expected


def test_parquet_lines_are_read_once_per_item(tmp_path: Path) -> None:
    """The line features read Parquet lines twice (once per item), CSV lines once (each read of
    a CSV file parses all of it again)."""
    from segcli.backends.polars.lines import line_features

    for lines_format in ("parquet", "csv"):
        files = _files(tmp_path, lines_format)
        tables = api.open_tables(
            files["orders"], lines=files["lines"], customers=files["customers"]
        )
        assert isinstance(tables, Tables)
        segment = api.parse_definition(BRAND_NOT_SKU, source="segment.yaml", segment_id="s")
        plan = api.plan_segments([segment], tables, AS_OF)
        text = line_features(plan, tables, (), None).explain(engine="streaming")
        if lines_format == "parquet":
            assert text.count("order_lines.parquet]") == 2, text
        else:
            assert "UNION" not in text, text


def _integer_shop(folder: Path, ids: list[int], lines: list[tuple[int, str, int]]) -> Tables:
    """Orders (one per customer c1, c2, ...) and lines in Parquet with Int64 order ids."""
    orders = folder / "orders.parquet"
    pl.DataFrame(
        {
            "order_id": ids,
            "customer_id": [f"c{i}" for i in range(1, len(ids) + 1)],
            "ordered_at": [datetime(2024, 6, 1, tzinfo=UTC)] * len(ids),
            "total": [10.0] * len(ids),
        },
        schema_overrides={"order_id": pl.Int64},
    ).write_parquet(orders, statistics=True)
    path = folder / "order_lines.parquet"
    schema = {"order_id": pl.Int64, "sku": pl.String, "quantity": pl.Int64}
    pl.DataFrame(lines, schema=schema, orient="row").write_parquet(path, statistics=True)
    customers = folder / "customers.csv"
    emails = "".join(f"c{i},c{i}@example.com\n" for i in range(1, len(ids) + 1))
    customers.write_text("customer_id,email\n" + emails, encoding="utf-8")
    tables = api.open_tables(orders, lines=path, customers=customers)
    assert isinstance(tables, Tables)
    return tables


def test_integer_order_ids_join_on_the_numbers(tmp_path: Path) -> None:
    from segcli.backends.polars.lines import join_column

    tables = _integer_shop(tmp_path, [1, 2, 3], [(1, "SKU-1001", 1), (2, " brandwell", 1)])
    assert join_column(tables) == "__raw_order_id"
    segment = api.parse_definition(
        "name: n\nrules:\n  purchased: {sku: sku-1001}\n", source="s.yaml", segment_id="s"
    )
    assert api.member_keys(segment, tables, as_of=AS_OF) == ["c1"]


def test_integer_order_ids_sorted_as_texts_only(tmp_path: Path) -> None:
    """Ids 1, 10, 2 in both files: sorted as texts, not as numbers, so the join on the numbers
    is not a merge join (which would pair lines with the wrong orders). c2 (order 10) has 3 + 4
    items, c3 (order 2) 5, c1 (order 1) 1."""
    lines = [(1, "A", 1), (10, "B", 3), (10, "C", 4), (2, "D", 5)]
    tables = _integer_shop(tmp_path, [1, 10, 2], lines)
    segment = api.parse_definition(
        "name: n\nrules:\n  items_purchased: {at_least: 5}\n", source="s.yaml", segment_id="s"
    )
    assert api.member_keys(segment, tables, as_of=AS_OF) == ["c2", "c3"]
