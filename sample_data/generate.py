"""Deterministic sample data for segcli in the canonical layout of docs/inputs.md.

Writes customers, orders, order_lines, reviews and products beside this file, each as CSV (text
as an export carries it: mixed timestamp offsets, money as decimal text, postal codes with leading
zeros) and as Parquet (typed: UTC timestamps, Decimal(12, 2) money, booleans). Same seed, same
bytes: no wall clock, one random.Random. Every order and review is before 2025-01-01 00:00 UTC,
so build the sample segments with `--as-of 2025-01-01`. Run: `python sample_data/generate.py`.
"""

from __future__ import annotations

import csv
import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import NamedTuple

import polars as pl

SEED = 20250101
OUT = Path(__file__).resolve().parent
START, END = datetime(2022, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC)
CENT = Decimal("0.01")


class Stamp(NamedTuple):
    """An instant and the text an export shows for it (e.g. `2024-05-01 10:00:00 -0500`)."""

    at: datetime
    text: str


Value = str | int | bool | Decimal | datetime | Stamp | None
Row = dict[str, Value]
Plan = tuple[Row | None, datetime, Decimal | None]  # customer (None: guest), instant, fixed total
Item = tuple[Row, int, Decimal]  # product, quantity, unit price

# Columns of each file in order, `name:type` for Parquet (CSV is text; no type means String).
SCHEMAS = {
    "products": "sku product_name brand category collection tags",
    "customers": "customer_id email first_name last_name name registered_at:time country "
    "postal_code customer_type accepts_marketing:bool tags",
    "orders": "order_id customer_id email ordered_at:time total:money refunded:money status "
    "discount_code currency",
    "order_lines": "order_id sku product_name brand category collection tags quantity:int "
    "unit_price:money",
    "reviews": "customer_id sku reviewed_at:time product_name",
}
DTYPES = {"time": pl.Datetime("us", "UTC"), "money": pl.Decimal(12, 2), "int": pl.Int64()}
DTYPES |= {"bool": pl.Boolean(), "": pl.String()}
ITEM = SCHEMAS["products"].split()

FIRST = "Ann Ben Cara Dev Ella Finn Grace Hugo Isla Jack Kai Lena Mia Noah Olga Priya Quinn Ravi "
FIRST += "Sofia Tom Uma Vera Will Xena Yusuf Zoe Amir Bea Cian Dara Emil Freya Gus Hana Ivo Jonas"
LAST = "Smith Jones Brown Murphy Kelly Walsh Olsen Hansen Berg Muller Schmidt Martin Bernard "
LAST += "Dubois Garcia Lopez Rossi Jensen Novak Patel Khan Clarke Evans Hughes Ward Price Byrne"
BRANDS = "Brandwell,Northbrand,Firebrand,Brandt Outdoor,Acme,Fjord & Co,Kestrel,Lumen,Oakridge,"
BRANDS += "Pinecrest,Quill,Riverstone,Saltmarsh,Tundra,Umbra,Vantage,Willow Lane,Halden,Marlow"
BRANDS += ",Corrie"  # four brands contain "brand": Brandwell, Northbrand, Firebrand, Brandt
CATEGORIES: dict[str, tuple[str, int, int]] = {  # category: (product nouns, min and max price)
    "Socks": ("Merino Socks,Hiking Socks,Running Socks", 8, 18),
    "Footwear": ("Trail Shoe,Chelsea Boot,Canvas Sneaker", 60, 160),
    "Outerwear": ("Down Jacket,Rain Shell,Wool Coat", 90, 260),
    "Knitwear": ("Cable Jumper,Fisherman Sweater,Cardigan", 45, 120),
    "Tops": ("Linen Shirt,Organic Tee,Polo", 18, 55),
    "Trousers": ("Chino,Cord Trouser,Hiking Pant", 40, 95),
    "Bags": ("Canvas Tote,Rolltop Backpack,Weekender", 25, 140),
    "Accessories": ("Beanie,Leather Belt,Scarf", 12, 45),
    "Home": ("Wool Blanket,Enamel Mug,Candle", 10, 85),
    "Gift Cards": ("Gift Card", 25, 25),
}
ADJECTIVES = ["Alpine", "Coastal", "Everyday", "Heritage", "Nordic", "Classic", "Urban", "Field"]
COLLECTIONS = [f"{s} {y}" for y in (2022, 2023, 2024) for s in ("Summer", "Winter")]
PRODUCT_TAGS = ["organic", "bestseller", "sale", "new", "gift", "vegan", "recycled"]
CUSTOMER_TAGS = ["", "", "newsletter", "newsletter", "Level 1", "newsletter, Level 1", "Level 2"]
COUNTRIES = {"GB": 45, "IE": 10, "US": 12, "DE": 8, "FR": 7, "NO": 5, "NL": 5, "SE": 4, "ES": 4}
OFFSETS = {"GB": (0, 1), "IE": (0, 1), "US": (-5, -4)}  # hours east of UTC; others (1, 2)
CURRENCY = {"GB": "GBP", "US": "USD", "NO": "NOK", "SE": "SEK"}  # others EUR
RATES = (("BLACKFRIDAY25", Decimal("0.25")), ("SUMMER10", Decimal("0.1")))  # percent off codes
# Exact money: C00001 spends 499.99 + 0.01 (+ 25.00 refunded) = 500.00; C00002 spends 500.01.
EDGES = {"C00001": ("499.99", "0.01", "25.00"), "C00002": ("499.99", "0.01", "0.01")}


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def postal_code(rng: random.Random, country: str) -> str:
    d, up = rng.randint, "ABDEFGHJLNPQRSTUWXYZ"
    if country == "GB":
        area = rng.choice(["SW1A", "SW19", "EC1V", "M4", "B33", "LS6", "EH3", "G12", "BS8", "N1"])
        return f"{area} {d(1, 9)}{rng.choice(up)}{rng.choice(up)}"
    if country == "IE":
        return f"D{d(1, 24):02d} {rng.choice(up)}{d(100, 999)}"
    if country == "NL":
        return f"{d(1000, 9999)} {rng.choice(up)}{rng.choice(up)}"
    width = 4 if country == "NO" else 5
    low = 0 if rng.random() < 0.35 else 10 ** (width - 1)  # many leading zeros on purpose
    return f"{d(low, 10**width - 1):0{width}d}"


def make_products(rng: random.Random) -> list[Row]:
    """120 products; 40 Core ones sell all along, seasonal ones from their launch on."""
    products: list[Row] = []
    for i in range(120):
        category = list(CATEGORIES)[i % len(CATEGORIES)]
        nouns, low, high = CATEGORIES[category]
        brand = BRANDS.split(",")[(i * 7) % 20]
        name = f"{brand} {rng.choice(ADJECTIVES)} {rng.choice(nouns.split(','))}"
        collection = "Core" if i < 40 else rng.choice(COLLECTIONS)
        season, _, year = collection.partition(" ")
        launch = (
            datetime(int(year), 4 if season == "Summer" else 10, 1, tzinfo=UTC) if year else START
        )
        tags = ", ".join(rng.sample(PRODUCT_TAGS, rng.choice([0, 1, 1, 2]))) or None
        values = (f"SKU-{1001 + i}", name, brand, category, collection, tags)
        price = Decimal(rng.randint(low, high)) - (CENT if rng.random() < 0.6 else 0)
        products.append({**dict(zip(ITEM, values, strict=True)), "price": price, "launch": launch})
    return products


def make_customers(rng: random.Random) -> list[Row]:
    customers: list[Row] = []
    for n in range(1, 3001):
        first, last = rng.choice(FIRST.split()), rng.choice(LAST.split())
        country = rng.choices(list(COUNTRIES), weights=list(COUNTRIES.values()))[0]
        kind = rng.choices(["retail", "wholesale", "vip"], weights=[85, 10, 5])[0]
        roll, style = rng.random(), rng.random()
        email = None if roll < 0.06 else f"{first}.{last}{n}@example.com".lower()
        if 0.06 <= roll < 0.09:
            email = f"  {first}.{last}{n}@Example.COM "  # mixed case and spaces
        name = "" if style < 0.12 else f"{first} {last}"  # empty: export falls back to First Last
        if 0.12 <= style < 0.16:
            name = f"{last} & Sons, Ltd" if kind == "wholesale" else f"Dr {first} {last}"
        days = 1 + int(2190 * rng.random() ** 1.4)  # 2019..2024, more of them lately
        registered = END - timedelta(days=days, seconds=rng.randint(0, 86399))
        values = (f"C{n:05d}", email, first, last, name, registered, country,
                  postal_code(rng, country), kind, rng.random() < 0.6,
                  rng.choice(CUSTOMER_TAGS) or None)  # fmt: skip
        customers.append(dict(zip(schema("customers"), values, strict=True)))
    for c, edge in zip(customers, ["Exact", "Over"], strict=False):  # money edges: see EDGES
        c.update(email=f"{edge.lower()}500@example.com", first_name="Edge", last_name=edge, name="")
        c.update(
            registered_at=datetime(2021, 6, 1, 9, tzinfo=UTC), country="GB", postal_code="N1 9GU"
        )
    return customers


def plan_orders(rng: random.Random, customers: list[Row]) -> list[Plan]:
    """(customer or None for a guest, UTC instant, fixed total) per order; many buy once."""
    plan: list[Plan] = []
    for c in customers:
        if totals := EDGES.get(str(c["customer_id"])):
            at = [datetime(2022, 3 * j + 2, 10, 10, tzinfo=UTC) for j in range(len(totals))]
            plan += [(c, t, Decimal(total)) for t, total in zip(at, totals, strict=True)]
            continue
        n = 101 if rng.random() >= 0.15 else 0  # 15% never buy; the others: a long tail
        while n > 100:
            n = int(rng.paretovariate(0.95))  # P(n >= k) = k ** -0.95: half buy once
        registered = c["registered_at"]
        begin = max(START, registered) if isinstance(registered, datetime) else START
        active = (END - begin).total_seconds() * (rng.uniform(0.2, 1) if rng.random() < 0.4 else 1)
        plan += [(c, begin + timedelta(seconds=int(rng.random() * active)), None) for _ in range(n)]
    guests = [START + timedelta(seconds=rng.randint(0, 94_600_000)) for _ in range(230)]
    plan += [(None, at, None) for at in guests]
    return sorted(plan, key=lambda p: (p[1], str(p[0]["customer_id"]) if p[0] else ""))


def pick_items(rng: random.Random, products: list[Row], at: datetime) -> list[Item]:
    """1-5 distinct products on sale at `at`, popular ones far more often; sale items 20% off."""
    k = rng.choices([1, 2, 3, 4, 5], [50, 28, 13, 6, 3])[0]
    weights = [1 / (rank + 1) ** 0.9 for rank in range(len(products))]
    chosen = rng.choices(products, weights, k=k)
    picks = {str(p["sku"]): p for p in chosen if isinstance(t := p["launch"], datetime) and t <= at}
    items: list[Item] = []
    for p in picks.values() or [products[0]]:
        unit = Decimal(str(p["price"]))
        unit = money(unit * Decimal("0.8")) if "sale" in str(p["tags"]) else unit
        items.append((p, rng.choices([1, 2, 3, 4], [72, 20, 6, 2])[0], unit))
    return items


def price_order(
    rng: random.Random, items: list[Item], at: datetime, first: bool
) -> tuple[str, Decimal]:
    """Discount code(s) and gross total: summer and Black Friday codes, welcome codes, shipping."""
    code = "FREESHIP" if rng.random() < 0.05 else ""
    if first and rng.random() < 0.5:
        code = rng.choice(["WELCOME5", "WELCOME5 + FREESHIP"])
    if 6 <= at.month <= 8 and rng.random() < 0.3:
        code = rng.choice(["SUMMER10", "SUMMER10", "Summer10", "SUMMER10 + FREESHIP"])
    elif at.month == 11 and at.day >= 20 and rng.random() < 0.4:
        code = "BLACKFRIDAY25"
    subtotal = sum((qty * unit for _, qty, unit in items), Decimal(0))
    rate = next((r for word, r in RATES if word in code.upper()), Decimal(0))
    total = subtotal - money(subtotal * rate) - (5 if "WELCOME5" in code else 0)
    total += Decimal("3.95") if subtotal < 50 and "FREESHIP" not in code else 0
    return code, max(money(total), CENT)


def pick_status(rng: random.Random, total: Decimal) -> tuple[str, Decimal]:
    """Status and refunded amount: 87% paid; cancelled orders are refunded in full."""
    roll, part = rng.random(), money(total * Decimal(rng.uniform(0.1, 0.6)))
    for limit, status, refunded in ((0.05, "refunded", total), (0.08, "cancelled", total),
                                    (0.13, "partially_refunded", part)):  # fmt: skip
        if roll < limit:
            return status, refunded
    return "paid", Decimal("0.00")


def make_orders(rng: random.Random, customers: list[Row], products: list[Row]) -> list[list[Row]]:
    """Orders, their lines, and reviews of some lines a few days to weeks after the order."""
    orders: list[Row] = []
    lines: list[Row] = []
    reviews: list[Row] = []
    reviewed: set[tuple[Value, Value]] = set()
    buyers: set[Value] = set()
    for i, (cust, at, fixed) in enumerate(plan_orders(rng, customers)):
        oid, cid = f"O{100001 + i}", cust["customer_id"] if cust else None
        items = pick_items(rng, products, at) if fixed is None else [(products[0], 1, fixed)]
        for prod, qty, unit in items:
            lines.append({"order_id": oid, **prod, "quantity": qty, "unit_price": unit})
            if cid and (cid, prod["sku"]) not in reviewed and rng.random() < 0.09:
                reviewed.add((cid, prod["sku"]))
                when = min(at + timedelta(days=rng.randint(3, 40)), END - timedelta(hours=1))
                reviews.append({"reviewed_at": when, "customer_id": cid, **prod})
        first = cid is not None and cid not in buyers
        buyers.add(cid)
        code, total = price_order(rng, items, at, first) if fixed is None else ("", fixed)
        status, refunded = pick_status(rng, total) if fixed is None else ("paid", Decimal("0.00"))
        if fixed == Decimal("25.00"):  # the exact-500 customer's third order, refunded in full
            status, refunded = "refunded", fixed
        email = cust["email"] if cust else None
        if cust is None and rng.random() < 0.8:  # guest checkout: email only; else nobody's order
            email = f"guest{rng.randint(1, 160)}@example.net"
        country = str(cust["country"]) if cust else "GB"
        values = (oid, cid, email, stamp(rng, at, country), total, refunded, status, code or None,
                  CURRENCY.get(country, "EUR"))  # fmt: skip
        orders.append(dict(zip(schema("orders"), values, strict=True)))
    name_busiest(customers, orders)
    return [orders, lines, sorted(reviews, key=lambda r: (str(r["reviewed_at"]), str(r["sku"])))]


def name_busiest(customers: list[Row], orders: list[Row]) -> None:
    """Name the two busiest buyers like formulas (=, @): exports must neutralize such cells."""
    counts = Counter(str(o["customer_id"]) for o in orders if o["customer_id"])
    names = dict(
        zip([c for c, _ in counts.most_common(2)], ["=Rebate Co", "@Home Interiors"], strict=True)
    )
    for c in customers:
        c["name"] = names.get(str(c["customer_id"]), c["name"])


def stamp(rng: random.Random, at: datetime, country: str) -> Stamp:
    """Export-style text for a UTC instant, in one of four formats with the shopper's offset."""
    hours, style = rng.choice(OFFSETS.get(country, (1, 2))), rng.random()
    local, offset = at + timedelta(hours=hours), f"{'-' if hours < 0 else '+'}{abs(hours):02d}"
    if style < 0.4:
        return Stamp(at, f"{local:%Y-%m-%d %H:%M:%S} {offset}00")  # Shopify style
    if style < 0.7:
        return Stamp(at, f"{local:%Y-%m-%dT%H:%M:%S}{offset}:00")
    return Stamp(at, f"{at:%Y-%m-%dT%H:%M:%SZ}" if style < 0.85 else f"{at:%Y-%m-%d %H:%M:%S}")


def schema(table: str) -> dict[str, pl.DataType]:
    """Column name → Parquet type of one file, in file order."""
    return {
        name: DTYPES[kind] for name, _, kind in (c.partition(":") for c in SCHEMAS[table].split())
    }


def as_text(value: Value) -> str:
    if isinstance(value, Stamp):
        return value.text
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M:%S}"
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def write_table(table: str, rows: list[Row]) -> int:
    """Write `<table>.csv` and `<table>.parquet`; returns the row count."""
    types = schema(table)
    with (OUT / f"{table}.csv").open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(types)
        out.writerows([as_text(r[c]) for c in types] for r in rows)
    data = [[v.at if isinstance(v, Stamp) else v for v in (r[c] for c in types)] for r in rows]
    pl.DataFrame(data, schema=types, orient="row").write_parquet(OUT / f"{table}.parquet")
    return len(rows)


def main() -> None:
    rng = random.Random(SEED)
    products = make_products(rng)
    customers = make_customers(rng)
    orders, lines, reviews = make_orders(rng, customers, products)
    tables = dict(zip(SCHEMAS, [products, customers, orders, lines, reviews], strict=True))
    counts = " ".join(f"{name}={write_table(name, rows)}" for name, rows in tables.items())
    size = sum(p.stat().st_size for p in OUT.iterdir() if p.suffix in {".csv", ".parquet"})
    times = sorted(s.at for o in orders if isinstance(s := o["ordered_at"], Stamp))
    span = f"{times[0]:%Y-%m-%d %H:%M}..{times[-1]:%Y-%m-%d %H:%M} UTC"
    print(f"sample_data: {counts} | {size / 1e6:.1f} MB | orders {span} | use --as-of 2025-01-01")


if __name__ == "__main__":
    main()
