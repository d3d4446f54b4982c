"""Deterministic randomness as Polars expressions, and the vocabulary of the bench data.

No numpy and no global random state: every random number is a splitmix64 hash of a row key and a
stream number, computed with wrapping UInt64 arithmetic, so a chunk can be generated on its own
and the same key always gives the same value (same data whatever the chunk size).

The vocabulary extends sample_data/'s (brands, categories, SKUs, discount codes, customer tags,
countries), so the project's rules/ files, written against the sample data, find members here too.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import polars as pl

SEED = 20250101
_GOLDEN = 0x9E3779B97F4A7C15
_MUL1 = 0xBF58476D1CE4E5B9
_MUL2 = 0x94D049BB133111EB


def _u64(value: int) -> pl.Expr:
    return pl.lit(value % 2**64, dtype=pl.UInt64)


def _mix(x: pl.Expr) -> pl.Expr:
    """The splitmix64 finalizer (x >> k written as floor division: Polars has no shift)."""
    x = x.xor(x // 2**30) * _u64(_MUL1)
    x = x.xor(x // 2**27) * _u64(_MUL2)
    return x.xor(x // 2**31)


def uniform(key: pl.Expr, stream: int) -> pl.Expr:
    """A float in [0, 1), a pure function of (key, stream)."""
    salted = key.cast(pl.UInt64) * _u64(_GOLDEN) + _u64((SEED * 1_000_003 + stream) * _MUL2)
    return (_mix(salted) // 2**11).cast(pl.Float64) * 2.0**-53


def index(u: pl.Expr, n: int) -> pl.Expr:
    """u in [0, 1) → an integer in [0, n)."""
    return (u * n).floor().cast(pl.Int64).clip(0, n - 1)


def pick(u: pl.Expr, values: Sequence[str], weights: Sequence[float] | None = None) -> pl.Expr:
    """One of `values` (uniformly, or by `weights`) for each u in [0, 1)."""
    if weights is None:
        position = index(u, len(values))
    else:
        total, running, cumulative = sum(weights), 0.0, []
        for w in weights:
            running += w
            cumulative.append(running / total)
        cumulative[-1] = 1.0
        position = (
            pl.lit(pl.Series(cumulative)).search_sorted(u, side="right").clip(0, len(values) - 1)
        )
    return pl.lit(pl.Series(list(values), dtype=pl.String)).gather(position)


def exponential(u: pl.Expr, mean: float) -> pl.Expr:
    return -(1.0 - u).log() * mean


# ---- vocabulary --------------------------------------------------------------------------------

SAMPLE_BRANDS = ["Brandwell", "Northbrand", "Firebrand", "Brandt Outdoor", "Acme",
                 "Fjord & Co", "Kestrel", "Lumen", "Oakridge", "Pinecrest", "Quill", "Riverstone",
                 "Saltmarsh", "Tundra", "Umbra", "Vantage", "Willow Lane", "Halden", "Corrie",
                 "Marlow"]  # fmt: skip
_BRAND_A = ["Aster", "Bramble", "Cobalt", "Drift", "Ember", "Fable", "Granite", "Harbor", "Iris"]
_BRAND_B = ["Works", "Supply", "Goods", "Studio", "Mills", "Atelier", "Outfitters", "Trading",
            "Collective", "House", "Label", "Co", "Company", "Folk", "Craft", "Makers", "Guild",
            "Field", "Yard", "Loom"]  # fmt: skip
BRANDS = SAMPLE_BRANDS + [f"{a} {b}" for a in _BRAND_A for b in _BRAND_B]  # 200

SAMPLE_CATEGORIES = ["Socks", "Footwear", "Outerwear", "Knitwear", "Tops", "Trousers", "Bags",
                     "Accessories", "Home", "Gift Cards"]  # fmt: skip
_CAT_A = ["Kids", "Sport", "Travel", "Garden", "Kitchen"]
_CAT_B = ["Essentials", "Shoes", "Jackets", "Tops", "Bottoms", "Bags", "Gear", "Decor"]
CATEGORIES = SAMPLE_CATEGORIES + [f"{a} {b}" for a in _CAT_A for b in _CAT_B]  # 50
COLLECTIONS = ["Core", "Summer 2022", "Winter 2022", "Summer 2023", "Winter 2023", "Summer 2024",
               "Winter 2024"]  # fmt: skip
PRODUCT_TAGS = ["organic", "bestseller", "sale", "new", "gift", "vegan", "recycled", None,
                "organic, bestseller", "sale, new", None, None]  # fmt: skip
ADJECTIVES = ["Alpine", "Coastal", "Everyday", "Heritage", "Nordic", "Classic", "Urban", "Field"]
NOUNS = ["Socks", "Shoe", "Jacket", "Sweater", "Shirt", "Trouser", "Backpack", "Beanie", "Mug"]

_FIRST = ("Ann Ben Cara Dev Ella Finn Grace Hugo Isla Jack Kai Lena Mia Noah Olga Priya Quinn "
          "Ravi Sofia Tom Uma Vera Will Xena Yusuf Zoe Amir Bea Cian Dara Emil Freya Gus Hana Ivo "
          "Jonas")  # fmt: skip
_LAST = ("Smith Jones Brown Murphy Kelly Walsh Olsen Hansen Berg Muller Schmidt Martin Bernard "
         "Dubois Garcia Lopez Rossi Jensen Novak Patel Khan Clarke Evans Hughes Ward Price Byrne "
         "Ryan Lund")  # fmt: skip
FIRST, LAST = _FIRST.split(" "), _LAST.split(" ")
COUNTRIES = {"GB": 45, "IE": 10, "US": 12, "DE": 8, "FR": 7, "NO": 5, "NL": 5, "SE": 4, "ES": 4}
CURRENCY = {"GB": "GBP", "US": "USD", "NO": "NOK", "SE": "SEK"}  # others EUR
CUSTOMER_TYPES = {"retail": 85, "wholesale": 10, "vip": 5}
CUSTOMER_TAGS = ["", "", "newsletter", "newsletter", "Level 1", "newsletter, Level 1", "Level 2"]
DISCOUNT_CODES = {"SUMMER10": 40, "WELCOME5": 30, "FREESHIP": 10, "BLACKFRIDAY25": 10,
                  "SUMMER10 + FREESHIP": 5, "WELCOME5 + FREESHIP": 5}  # fmt: skip
PERCENT_OFF = {"SUMMER10": 10, "BLACKFRIDAY25": 25}
N_PRODUCTS = 5000


def products() -> pl.DataFrame:
    """N_PRODUCTS products: SKU-1001…; product 0 is the best seller (brand BRANDS[0])."""
    key = pl.int_range(0, N_PRODUCTS, dtype=pl.Int64)
    frame = pl.select(product=key)
    p = pl.col("product")
    spread = pl.when(p == 0).then(0).otherwise(index(uniform(p, 1), 4))  # product 0: BRANDS[0]
    brand_of = (p % 50) * 4 + spread
    return frame.with_columns(
        sku=pl.format("SKU-{}", p + 1001),
        brand=pl.lit(pl.Series(BRANDS)).gather(brand_of.clip(0, len(BRANDS) - 1)),
        category=pick(uniform(p, 2), CATEGORIES),
        collection=pick(uniform(p, 3), COLLECTIONS),
        tags=pick(uniform(p, 4), [t or "" for t in PRODUCT_TAGS]),
        adjective=pick(uniform(p, 5), ADJECTIVES),
        noun=pick(uniform(p, 6), NOUNS),
        price_cents=(500 + 29_500 * uniform(p, 7) ** 2.5).round().cast(pl.Int64) - 1,
    ).select(
        "product",
        "sku",
        pl.format("{} {} {}", "brand", "adjective", "noun").alias("product_name"),
        "brand",
        "category",
        "collection",
        pl.when(pl.col("tags") == "").then(None).otherwise("tags").alias("tags"),
        "price_cents",
    )


def product_index(u: pl.Expr) -> pl.Expr:
    """A Zipf-like popularity: product 0 sells most, the tail rarely."""
    return index(u**2.2, N_PRODUCTS)


def lines_per_order(u: pl.Expr) -> pl.Expr:
    """1..8 lines, about 3 on average."""
    return (1 + exponential(u, 1 / math.log(1.5)).floor()).clip(1, 8).cast(pl.Int64)
