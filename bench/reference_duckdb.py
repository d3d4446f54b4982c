"""The five bench segments as DuckDB SQL over the same Parquet/CSV files (same semantics as
reference_polars.py: identity customer_id, as-of cut-off, integer cents, net spend, UTC calendar
days, members need an email from the customers table or from an order up to the as-of).

Like reference_polars.py it writes the same snapshot CSV as `segcli build --with-id`, relying on
the same guarantees of the generated data. As a script it writes the CSV to stdout:
`python bench/reference_duckdb.py vip --data bench/data/S --format parquet --as-of 2025-01-01`
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class Database:
    """A connection with views orders (seen: up to the as-of, cents), lines and customers."""

    con: duckdb.DuckDBPyConnection
    order_emails: bool  # the orders have an email column (warehouse-shaped orders have none)
    naive: bool  # timestamps are naive (UTC by convention)

    def ts(self, instant: datetime) -> str:
        text = instant.astimezone(UTC).replace(tzinfo=None).isoformat()
        return f"TIMESTAMP '{text}'" if self.naive else f"TIMESTAMPTZ '{text}+00:00'"


def connect(folder: Path, fmt: str, as_of: datetime) -> Database:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    orders = source(folder, fmt, "orders")
    described = con.execute(f"DESCRIBE SELECT * FROM {orders}").fetchall()
    types = {row[0]: row[1] for row in described}
    db = Database(con, "email" in types, types["ordered_at"] == "TIMESTAMP")
    email = "email, " if db.order_emails else ""
    money = {c: f"CAST({_exact(c, types[c])} AS BIGINT)" for c in ("total", "refunded")}
    con.execute(
        f"CREATE VIEW orders AS SELECT customer_id, {email}order_id, ordered_at, "
        f"{money['total']} AS total_cents, coalesce({money['refunded']}, 0) AS refunded_cents "
        f"FROM {orders} WHERE ordered_at <= {db.ts(as_of)} AND customer_id IS NOT NULL"
    )
    con.execute(f"CREATE VIEW lines AS SELECT * FROM {source(folder, fmt, 'order_lines')}")
    con.execute(f"CREATE VIEW customers AS SELECT * FROM {source(folder, fmt, 'customers')}")
    return db


def _exact(column: str, dtype: str) -> str:
    """Cents: exact from a DECIMAL, rounded to the cent from a DOUBLE."""
    return f"round({column} * 100)" if dtype == "DOUBLE" else f"{column} * 100"


def per_customer(db: Database, *aggregates: str) -> str:
    """The one group-by of a segment: its aggregates, net spend and the order email."""
    email = "min(email)" if db.order_emails else "NULL::VARCHAR"
    columns = ", ".join([*aggregates, "sum(total_cents - refunded_cents) AS spend"])
    return f"SELECT customer_id, {columns}, {email} AS order_email FROM orders GROUP BY customer_id"


def sql(segment: str, db: Database, as_of: datetime) -> str:
    """The export rows of one segment, sorted; the views come from connect()."""
    day = as_of.date() - timedelta(days=180)
    cutoff, last = datetime(day.year, day.month, day.day, tzinfo=UTC), "max(ordered_at) AS last"
    queries = {
        "vip": f"SELECT * FROM ({per_customer(db, 'count(*) AS n')}) WHERE n > 2 AND spend > 50000",
        "one_time_recent": f"SELECT * FROM ({per_customer(db, 'count(*) AS n', last)}) "
        f"WHERE n = 1 AND last > {db.ts(as_of - timedelta(days=90))}",
        "lapsed_big_spenders": f"SELECT * FROM ({per_customer(db, last)}) "
        f"WHERE spend > 100000 AND last < {db.ts(cutoff)}",
        "brand_not_sku": _brand_not_sku(db, as_of),
        "new_gb_ie_no_order": "SELECT customer_id, 0 AS spend, NULL::VARCHAR AS order_email "
        f"FROM customers c WHERE registered_at > {db.ts(months_before(as_of, 12))} "
        f"AND registered_at <= {db.ts(as_of)} AND country IN ('GB', 'IE') AND email IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.customer_id)",
    }
    return (
        'SELECT CAST(m.customer_id AS VARCHAR) AS "Customer ID", '
        "coalesce(c.name, c.first_name || ' ' || c.last_name) AS \"Name\", "
        'c.first_name AS "First Name", c.last_name AS "Last Name", '
        'coalesce(c.email, m.order_email) AS "Email Address", '
        'strftime(c.registered_at, \'%Y-%m-%d\') AS "Date Registered", c.country AS "Country", '
        'c.postal_code AS "Postal Code", '
        "printf('%d.%02d', m.spend // 100, m.spend % 100) AS \"Lifetime Spend\" "
        f"FROM ({queries[segment]}) m JOIN customers c USING (customer_id) "
        "WHERE coalesce(c.email, m.order_email) IS NOT NULL ORDER BY 1"
    )


def _brand_not_sku(db: Database, as_of: datetime) -> str:
    candidates = (
        "SELECT o.customer_id FROM lines l JOIN orders o USING (order_id) "
        f"WHERE l.brand = '{BRAND}' OR l.sku = '{SKU}' GROUP BY o.customer_id "
        f"HAVING bool_or(l.brand = '{BRAND}' AND o.ordered_at > {db.ts(months_before(as_of, 6))}) "
        f"AND NOT bool_or(l.sku = '{SKU}')"
    )
    email = "min(email)" if db.order_emails else "NULL::VARCHAR"
    return (
        f"SELECT customer_id, sum(total_cents - refunded_cents) AS spend, {email} AS order_email "
        f"FROM orders WHERE customer_id IN ({candidates}) GROUP BY customer_id"
    )


def members(segment: str, db: Database, as_of: datetime) -> list[str]:
    """Sorted member ids of one segment, with the query that writes its snapshot."""
    return [str(row[0]) for row in db.con.execute(sql(segment, db, as_of)).fetchall()]


def write_snapshot(segment: str, db: Database, as_of: datetime, path: str) -> None:
    target = path.replace("'", "''")
    db.con.execute(f"COPY ({sql(segment, db, as_of)}) TO '{target}' (FORMAT csv, HEADER)")


def main() -> None:
    parser = argparse.ArgumentParser(description="DuckDB SQL for one bench segment.")
    parser.add_argument("segment")
    parser.add_argument("--data", type=Path, required=True, help="bench/data/<scale>")
    parser.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    parser.add_argument("--as-of", default="2025-01-01")
    args = parser.parse_args()
    as_of = parse_as_of(args.as_of)
    sys.stdout.flush()
    write_snapshot(args.segment, connect(args.data, args.format, as_of), as_of, "/dev/stdout")


if __name__ == "__main__":
    main()
