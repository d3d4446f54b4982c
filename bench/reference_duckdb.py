"""The five bench segments as DuckDB SQL over the same Parquet/CSV files (same semantics as
reference_polars.py: identity customer_id, as-of cut-off, integer cents, net spend, UTC calendar
days, members need an email from the customers table or from an order up to the as-of).

As a script it prints the sorted member ids, one per line:
`python bench/reference_duckdb.py vip --data bench/data/S --format parquet --as-of 2025-01-01`
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
from reference_polars import BRAND, SKU, months_before, parse_as_of

CSV_TYPES = {
    "orders": "{'order_id': 'VARCHAR', 'customer_id': 'VARCHAR', 'email': 'VARCHAR', "
    "'ordered_at': 'TIMESTAMPTZ', 'total': 'DECIMAL(12,2)', 'refunded': 'DECIMAL(12,2)', "
    "'status': 'VARCHAR', 'discount_code': 'VARCHAR', 'currency': 'VARCHAR'}",
    "order_lines": "{'order_id': 'VARCHAR', 'sku': 'VARCHAR', 'product_name': 'VARCHAR', "
    "'brand': 'VARCHAR', 'category': 'VARCHAR', 'collection': 'VARCHAR', 'tags': 'VARCHAR', "
    "'quantity': 'BIGINT', 'unit_price': 'DECIMAL(12,2)'}",
    "customers": "{'customer_id': 'VARCHAR', 'email': 'VARCHAR', 'first_name': 'VARCHAR', "
    "'last_name': 'VARCHAR', 'name': 'VARCHAR', 'registered_at': 'TIMESTAMPTZ', "
    "'country': 'VARCHAR', 'postal_code': 'VARCHAR', 'customer_type': 'VARCHAR', "
    "'accepts_marketing': 'BOOLEAN', 'tags': 'VARCHAR'}",
}


def source(folder: Path, fmt: str, table: str) -> str:
    path = str(folder / fmt / f"{table}.{fmt}").replace("'", "''")
    if fmt == "parquet":
        return f"read_parquet('{path}')"
    return f"read_csv('{path}', header = true, columns = {CSV_TYPES[table]})"


def connect(folder: Path, fmt: str, as_of: datetime) -> duckdb.DuckDBPyConnection:
    """A connection with views orders (seen: up to the as-of, cents), lines and customers."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(
        "CREATE VIEW orders AS SELECT customer_id, email, order_id, ordered_at, "
        "CAST(total * 100 AS BIGINT) AS total_cents, "
        "CAST(coalesce(refunded, 0) * 100 AS BIGINT) AS refunded_cents "
        f"FROM {source(folder, fmt, 'orders')} "
        f"WHERE ordered_at <= {ts(as_of)} AND customer_id IS NOT NULL"
    )
    con.execute(f"CREATE VIEW lines AS SELECT * FROM {source(folder, fmt, 'order_lines')}")
    con.execute(f"CREATE VIEW customers AS SELECT * FROM {source(folder, fmt, 'customers')}")
    return con


def ts(instant: datetime) -> str:
    return f"TIMESTAMPTZ '{instant.astimezone(UTC).isoformat()}'"


MAILABLE = "LEFT JOIN customers c USING (customer_id) WHERE (c.email IS NOT NULL OR p.mailable)"
PER = "bool_or(email IS NOT NULL) AS mailable"


def sql(segment: str, as_of: datetime) -> str:
    """The query for one segment; the views come from connect()."""
    day = as_of.date() - timedelta(days=180)
    queries = {
        "vip": f"WITH p AS (SELECT customer_id, count(*) AS n, sum(total_cents - refunded_cents) "
        f"AS spend, {PER} FROM orders GROUP BY customer_id) SELECT p.customer_id FROM p "
        f"{MAILABLE} AND n > 2 AND spend > 50000",
        "one_time_recent": f"WITH p AS (SELECT customer_id, count(*) AS n, max(ordered_at) AS "
        f"last, {PER} FROM orders GROUP BY customer_id) SELECT p.customer_id FROM p {MAILABLE} "
        f"AND n = 1 AND last > {ts(as_of - timedelta(days=90))}",
        "lapsed_big_spenders": f"WITH p AS (SELECT customer_id, sum(total_cents - "
        f"refunded_cents) AS spend, max(ordered_at) AS last, {PER} FROM orders GROUP BY "
        f"customer_id) SELECT p.customer_id FROM p {MAILABLE} AND spend > 100000 "
        f"AND last < {ts(datetime(day.year, day.month, day.day, tzinfo=UTC))}",
        "brand_not_sku": _brand_not_sku(as_of),
        "new_gb_ie_no_order": "SELECT customer_id FROM customers c WHERE registered_at > "
        f"{ts(months_before(as_of, 12))} AND registered_at <= {ts(as_of)} AND country IN "
        "('GB', 'IE') AND email IS NOT NULL AND NOT EXISTS (SELECT 1 FROM orders o "
        "WHERE o.customer_id = c.customer_id)",
    }
    return f"SELECT customer_id FROM ({queries[segment]}) ORDER BY customer_id"


def _brand_not_sku(as_of: datetime) -> str:
    return (
        "WITH p AS (SELECT o.customer_id FROM lines l JOIN orders o USING (order_id) "
        f"WHERE l.brand = '{BRAND}' OR l.sku = '{SKU}' GROUP BY o.customer_id "
        f"HAVING bool_or(l.brand = '{BRAND}' AND o.ordered_at > {ts(months_before(as_of, 6))}) "
        f"AND NOT bool_or(l.sku = '{SKU}')), "
        "j AS (SELECT p.customer_id, c.email FROM p LEFT JOIN customers c USING (customer_id)) "
        "SELECT customer_id FROM j WHERE email IS NOT NULL UNION ALL "
        "SELECT DISTINCT o.customer_id FROM orders o SEMI JOIN j ON o.customer_id = j.customer_id "
        "AND j.email IS NULL WHERE o.email IS NOT NULL"
    )


def members(segment: str, con: duckdb.DuckDBPyConnection, as_of: datetime) -> list[str]:
    rows = con.execute(sql(segment, as_of)).fetchall()
    return [str(row[0]) for row in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description="DuckDB SQL for one bench segment.")
    parser.add_argument("segment")
    parser.add_argument("--data", type=Path, required=True, help="bench/data/<scale>")
    parser.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    parser.add_argument("--as-of", default="2025-01-01")
    args = parser.parse_args()
    as_of = parse_as_of(args.as_of)
    keys = members(args.segment, connect(args.data, args.format, as_of), as_of)
    sys.stdout.write("".join(f"{k}\n" for k in keys))


if __name__ == "__main__":
    main()
