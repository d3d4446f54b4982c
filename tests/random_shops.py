"""Random shops and random segment definitions, made from a seed, for differential tests.

A shop is a tiny data set in the canonical CSV layout (docs/inputs.md): orders, order lines,
customers and reviews, drawn from small pools of values so that random rules and random rows meet,
with timestamps clustered on period boundaries. A definition is a random rule tree over every field
of the language (docs/language.md). Examples come from a seeded generator (hypothesis picks the
seeds, derandomized): hypothesis' own choice sequences repeat themselves a lot on a space this
structured (about 1 distinct definition in 5 examples), a seeded generator gives 500 different
shops and definitions. Nothing here imports segcli: any engine can be checked against
tests/reference.py with these examples.

The public surface:

- `random_example(seed)`, `field_example(seed)`, `segment_example(seed)`: an `Example`, that is a
  shop, a definition, and the definitions it reaches by `in_segment` (`others`, by file stem);
- `write_files(folder, example)`: the shop as CSV files, the definitions as YAML and `ids.txt`
  beside them, by table or stem; `shop_frames(shop)`: the tables as Polars frames of text cells;
- `reference_members(example, paths)`: the members tests/reference.py finds in the written files;
- `minimize(example, fails)`: a smaller example that still fails (rows and rule branches
  removed); `report(example, outcome)`: the text of a failure, with YAML, as-of and CSV files;
- `DIFFERENTIAL` and `SEEDS`: the hypothesis settings and seeds the differential tests share;
- the parts, for tests of their own: `Gen`, `Shop`, `make_shop`, `rules`, `leaf`,
  `item_condition`, `document`, `dump`, `HEADERS`, `ITEM_FIELDS`.
"""

from __future__ import annotations

import csv
import io
import os
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any, TypeVar

import polars as pl
import reference
import yaml
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

__all__ = [
    "DIFFERENTIAL",
    "HEADERS",
    "ITEM_FIELDS",
    "SEEDS",
    "Example",
    "Gen",
    "Outcome",
    "Shop",
    "document",
    "dump",
    "field_example",
    "item_condition",
    "leaf",
    "make_shop",
    "minimize",
    "random_example",
    "reference_members",
    "report",
    "rules",
    "segment_example",
    "shop_frames",
    "write_files",
]

T = TypeVar("T")

DIFFERENTIAL = settings(
    max_examples=int(os.environ.get("SEGCLI_DIFF_EXAMPLES", "500")),
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
    phases=[Phase.explicit, Phase.generate],  # shrinking a seed is pointless: minimize() does it
)
settings.register_profile("differential", DIFFERENTIAL)
SEEDS = st.integers(min_value=0, max_value=2**32 - 1)

# ---------------------------------------------------------------------------------------------
# Value pools: small on purpose, so that random rules and random rows meet
# ---------------------------------------------------------------------------------------------

COUNTRIES = ["GB", "gb", " IE", "US", "FR"]
POSTCODES = ["SW1A 1AA", "sw1 2BB", "01234", "10001", "E1 6AN"]
CUSTOMER_TYPES = ["retail", "Wholesale", "vip"]
CUSTOMER_TAGS = ["newsletter", "VIP", "b2b", "wholesale"]
STATUSES = ["paid", "PAID", "refunded", "cancelled", "pending"]
CODES = ["SUMMER10", "welcome5", "VIP", "summer20"]
CURRENCIES = ["USD", "gbp", "EUR"]
SKUS = ["SKU-1", "sku-2", "P-100", "P-200"]
PRODUCTS = ["Blue Mug", "red mug", "Tea Towel", "Acme Kettle"]
BRANDS = ["Acme", "acme brand", "Zeta", "Brandon & Co"]
CATEGORIES = ["Kitchen", "garden", "Bath"]
COLLECTIONS = ["Summer 2023", "winter", "Core"]
LINE_TAGS = ["sale", "new", "Gift"]
CENTS = [1, 0, 49999, 50000, 5000, 4999, 10000, 10001, 25050, 3333, 1234, 99, 100]
MONEY_LIMITS: list[int | float] = [0, 0.01, 33.33, 49.99, 50, 100, 100.01, 250.5, 499.99, 500]
OFFSETS = [timedelta(hours=-5), timedelta(hours=2), timedelta(0), timedelta(hours=5, minutes=30)]
AS_OF_DATES = [
    date(2024, 6, 15),
    date(2024, 3, 31),
    date(2024, 1, 1),
    date(2024, 12, 31),
    date(2024, 2, 29),
    date(2025, 3, 1),
]
ROLLING_N = [1, 2, 3, 6, 12, 30, 90]
UNITS = ["day", "week", "month", "year"]
DAYS = [0, 1, 2, 7, 30, 60, 90, 180, 365]
STYLES = ["date", "naive", "z", "offset", "iso"]
HEADERS = {
    "orders": [
        "order_id",
        "customer_id",
        "email",
        "ordered_at",
        "total",
        "refunded",
        "status",
        "discount_code",
        "currency",
    ],
    "order_lines": [
        "order_id",
        "sku",
        "product_name",
        "brand",
        "category",
        "collection",
        "tags",
        "quantity",
    ],
    "customers": [
        "customer_id",
        "email",
        "first_name",
        "last_name",
        "registered_at",
        "country",
        "postal_code",
        "customer_type",
        "accepts_marketing",
        "tags",
    ],
    "reviews": ["customer_id", "email", "sku", "product_name", "reviewed_at"],
}


class Gen(random.Random):
    """The generator's dice."""

    def pick(self, values: Sequence[T]) -> T:
        return self.choice(values)

    def chance(self, percent: int) -> bool:
        return self.random() * 100 < percent

    def some(self, values: Sequence[T], most: int, least: int = 0) -> list[T]:
        return self.sample(list(values), min(len(values), self.randint(least, most)))


# ---------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------


@dataclass
class Shop:
    """One generated data set: the as-of, rows by table, identity keys in play."""

    as_of: str | datetime
    as_of_instant: datetime
    tables: dict[str, list[list[str]]] = field(default_factory=dict)
    keys: list[str] = field(default_factory=list)
    anchors: list[date] = field(default_factory=list)
    rolling: list[tuple[int, str]] = field(default_factory=list)
    ids_file: list[str] = field(default_factory=list)  # written as ids.txt beside the YAML

    def csv_text(self, table: str) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(HEADERS[table])
        writer.writerows(self.tables[table])
        return out.getvalue()


@dataclass
class Person:
    key: str
    customer_id: str | None
    email: str | None
    in_customers: bool


def _opt(g: Gen, values: list[str]) -> str:
    return "" if g.chance(25) else g.pick(values)


def _email_variant(g: Gen, email: str) -> str:
    return g.pick([email, email.upper(), f"  {email} ", email.capitalize() + " "])


def _money(g: Gen, cents: int) -> str:
    text = f"{cents // 100}.{cents % 100:02d}"
    if cents % 100 == 0 and g.chance(50):
        return str(cents // 100)
    if cents % 10 == 0 and g.chance(50):
        return text[:-1]
    return text


def instant(g: Gen, shop: Shop) -> datetime:
    """Instants clustered on period boundaries: the as-of, rolling starts, anchor days."""
    as_of = shop.as_of_instant
    tick = g.pick([timedelta(0), timedelta(0), timedelta(seconds=-1), timedelta(seconds=1)])
    how = g.randint(0, 3)
    if how == 0:
        return as_of + timedelta(days=g.randint(-3, 2)) + tick
    if how == 1:
        n, unit = g.pick(shop.rolling)
        return reference._rolling_start(as_of, n, unit, UTC) + tick
    if how == 2:
        return datetime.combine(g.pick(shop.anchors), time(0), tzinfo=UTC) + tick
    return as_of + timedelta(days=g.randint(-800, 10), seconds=g.randint(0, 86399))


def render_instant(g: Gen, moment: datetime, style: str) -> str:
    if style == "date":
        return moment.date().isoformat()
    if style == "naive":
        return moment.strftime("%Y-%m-%d %H:%M:%S")
    if style == "z":
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    local = moment.astimezone(timezone(g.pick(OFFSETS)))
    if style == "offset":
        return local.strftime("%Y-%m-%d %H:%M:%S %z")
    return local.isoformat()


def _people(g: Gen) -> list[Person]:
    """Identified by email only, or by a customer id (with or without an email)."""
    numeric = g.chance(40)
    people = []
    for i in range(g.randint(0, 8)):
        email = f"user{i}@example.com"
        if g.chance(35):
            people.append(Person(email, None, email, in_customers=g.chance(60)))
            continue
        cid = str(1000 + i) if numeric else f"C{i:03d}"
        people.append(Person(cid, cid, email if g.chance(70) else None, g.chance(75)))
    return people


def _customer_rows(g: Gen, shop: Shop, people: list[Person], style: str) -> list[list[str]]:
    flags = g.pick([("true", "false"), ("yes", "no"), ("1", "0")])
    rows = []
    for p in people:
        if not p.in_customers:
            continue
        registered = ""
        if g.chance(70):
            registered = render_instant(g, min(instant(g, shop), shop.as_of_instant), style)
        email = "" if p.email is None else _email_variant(g, p.email)
        if p.customer_id is not None and g.chance(25):
            email = ""  # the export email then comes from the earliest order carrying one
        rows.append(
            [
                p.customer_id or "",
                email,
                f"First {p.key}",
                "Last",
                registered,
                _opt(g, COUNTRIES),
                _opt(g, POSTCODES),
                _opt(g, CUSTOMER_TYPES),
                g.pick([*flags, ""]),
                g.pick([",", ", "]).join(g.some(CUSTOMER_TAGS, 3)),
            ]
        )
    return rows


def _identity(g: Gen, person: Person | None) -> list[str]:
    """The customer_id and email cells of a row that belongs to person (or to nobody)."""
    if person is None:
        return ["", ""]
    email = "" if person.email is None else _email_variant(g, person.email)
    if person.customer_id is not None and g.chance(20):  # a row with its own email, or none
        email = g.pick(["", f"other.{person.key}@example.com", f"Other.{person.key}@example.com"])
    return [person.customer_id or "", email]


def _order_row(g: Gen, shop: Shop, number: int, owner: Person | None, style: str) -> list[str]:
    cents = g.pick(CENTS) if g.chance(50) else g.randint(0, 120_000)
    refunded = g.pick(["", "", "0", "0.00", "full", "part"])
    if refunded == "full":
        refunded = _money(g, cents)
    elif refunded == "part":
        refunded = _money(g, cents // 3)
    return [
        f"O{number:03d}",
        *_identity(g, owner),
        render_instant(g, instant(g, shop), style),
        _money(g, cents),
        refunded,
        _opt(g, STATUSES),
        " + ".join(g.some(CODES, 3)),
        _opt(g, CURRENCIES),
    ]


def _orders(g: Gen, shop: Shop, people: list[Person], style: str) -> list[list[str]]:
    """Orders; people who are neither customers nor buyers by the as-of are dropped."""
    owners: list[Person | None] = [*people, None]
    drawn = []
    for number in range(g.randint(0, 20)):
        owner = g.pick(owners)
        drawn.append((owner, _order_row(g, shop, number, owner, style)))
    seen = {p.key for p in people if p.in_customers}
    for owner, row in drawn:
        if owner is not None and reference.parse_timestamp(row[3], UTC) <= shop.as_of_instant:
            seen.add(owner.key)
    people[:] = [p for p in people if p.key in seen]
    return [row for owner, row in drawn if owner is None or owner.key in seen]


def _line_row(g: Gen, order_id: str) -> list[str]:
    """Item cells in varied case and spacing: the backend's pre-parse filter on the cells as
    written (a case-insensitive regex) must keep every line the exact test keeps."""
    return [
        order_id,
        _spelling(g, g.pick(SKUS)),
        _spelling(g, _opt(g, PRODUCTS)),
        _spelling(g, _opt(g, BRANDS)),
        _spelling(g, _opt(g, CATEGORIES)),
        _spelling(g, _opt(g, COLLECTIONS)),
        ",".join(g.some(LINE_TAGS, 3)),
        g.pick(["", "1", "2", "3", "5"]),
    ]


def _line_rows(g: Gen, orders: list[list[str]]) -> list[list[str]]:
    return [_line_row(g, order[0]) for order in orders for _ in range(g.pick([0, 1, 1, 2, 3]))]


def _review_rows(g: Gen, shop: Shop, people: list[Person], style: str) -> list[list[str]]:
    rows: list[list[str]] = []
    for _ in range(g.randint(0, 5) if people else 0):
        when = min(instant(g, shop), shop.as_of_instant)
        rows.append(
            [
                *_identity(g, g.pick(people)),
                g.pick(SKUS),
                _opt(g, PRODUCTS),
                render_instant(g, when, style),
            ]
        )
    return rows


def _anchors(as_of: date) -> list[date]:
    back = [as_of - timedelta(days=d) for d in (0, 1, 30, 90, 180, 365)]
    return [*back, date(as_of.year, 1, 1), date(as_of.year - 1, 1, 1), date(2023, 12, 31)]


def _as_of(g: Gen) -> tuple[str | datetime, datetime]:
    """A date (start of day, UTC) most of the time; sometimes an instant with an offset."""
    day = g.pick(AS_OF_DATES)
    if g.chance(80):
        return day.isoformat(), datetime.combine(day, time(0), tzinfo=UTC)
    local = datetime.combine(day, time(g.pick([0, 1, 13, 23]), 30))
    given_as_of = local.replace(tzinfo=timezone(g.pick(OFFSETS)))
    return given_as_of, given_as_of.astimezone(UTC)


def make_shop(g: Gen) -> Shop:
    as_of, as_of_instant = _as_of(g)
    shop = Shop(as_of=as_of, as_of_instant=as_of_instant)
    shop.anchors = g.some(_anchors(as_of_instant.date()), 3, least=1)
    shop.rolling = [(g.pick(ROLLING_N), g.pick(UNITS)) for _ in range(g.randint(1, 2))]
    style = g.pick(STYLES)
    people = _people(g)
    orders = _orders(g, shop, people, style)
    shop.tables["orders"] = orders
    shop.tables["order_lines"] = _line_rows(g, orders)
    shop.tables["customers"] = _customer_rows(g, shop, people, style)
    shop.tables["reviews"] = _review_rows(g, shop, people, style)
    shop.keys = [p.key for p in people]
    shop.ids_file = g.some([*shop.keys, "C999"], 3)
    for table in ("orders", "order_lines"):  # sorted by order id the same way: a merge join
        how = g.pick(["as numbered", "reversed", "shuffled"])
        if how == "reversed":
            shop.tables[table].reverse()
        elif how == "shuffled":
            g.shuffle(shop.tables[table])
    return shop


# ---------------------------------------------------------------------------------------------
# Definitions
# ---------------------------------------------------------------------------------------------


def _spelling(g: Gen, value: str) -> str:
    return g.pick([value, value.lower(), value.upper(), f" {value} "])


def _fragment(g: Gen, value: str, *, prefix: bool) -> str:
    start = 0 if prefix else g.randint(0, len(value) - 1)
    piece = value[start : g.randint(start + 1, len(value))]
    return _spelling(g, piece) if piece.strip() else value


def text_condition(g: Gen, pool: list[str], *, multi: bool) -> Any:
    """A text comparison; on multi-valued fields only forms with one obvious meaning."""
    value, other = _spelling(g, g.pick(pool)), _spelling(g, g.pick(pool))
    contains = {"contains": _fragment(g, value.strip(), prefix=False)}
    forms: list[Any] = [value, [value, other], {"exactly": value}, contains]
    forms += [{"starts_with": _fragment(g, value.strip(), prefix=True)}]
    if not multi:
        forms += [{"not": value}, {"not": [value, other]}, {**contains, "not": other}]
    return g.pick(forms)


def ordered_condition(g: Gen, pool: list[Any], *, allow_list: bool) -> Any:
    """A comparison over numbers or dates."""
    a, b = sorted([g.pick(pool), g.pick(pool)])
    forms: list[Any] = [a, {"exactly": a}, {"more_than": a}, {"at_least": a}, {"less_than": b}]
    forms += [{"at_most": b}, {"between": [a, b]}, {"not": a}, {"at_least": a, "less_than": b}]
    if allow_list:
        forms += [[a, b], {"not": [a, b]}]
    return g.pick(forms)


def period(g: Gen, shop: Shop) -> Any:
    a, b = sorted([g.pick(shop.anchors), g.pick(shop.anchors)])
    n, unit = g.pick(shop.rolling)
    rolling = f"last {n} {unit}" + ("s" if n > 1 or g.chance(50) else "")
    forms: list[Any] = ["all time", rolling, rolling, rolling, "this year", "last year"]
    forms += [{"from": a, "to": b}, {"since": a}, {"before": b}]
    return g.pick(forms)


def where(g: Gen) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name in g.some(["order_total", "discount_code", "status", "currency"], 2, least=1):
        if name == "order_total":
            result[name] = ordered_condition(g, MONEY_LIMITS, allow_list=False)
        elif name == "discount_code":
            result[name] = text_condition(g, CODES, multi=True)
        else:
            result[name] = text_condition(
                g, STATUSES if name == "status" else CURRENCIES, multi=False
            )
    return result


def metric(g: Gen, name: str, shop: Shop) -> Any:
    pools: dict[str, list[Any]] = {"order_count": [0, 1, 2, 3], "items_purchased": [0, 1, 2, 3, 5]}
    condition = ordered_condition(g, pools.get(name, MONEY_LIMITS), allow_list=False)
    extra: dict[str, Any] = {}
    if g.chance(50):
        extra["period"] = period(g, shop)
    if g.chance(35):
        extra["where"] = where(g)
    if not extra:
        return condition
    return {**(condition if isinstance(condition, dict) else {"exactly": condition}), **extra}


def item_condition(g: Gen, shop: Shop, names: list[str]) -> dict[str, Any]:
    pools = {"sku": SKUS, "product": PRODUCTS, "brand": BRANDS, "category": CATEGORIES}
    pools |= {"collection": COLLECTIONS, "tag": LINE_TAGS}
    chosen = g.some(names, 2, least=1)
    result: dict[str, Any] = {n: text_condition(g, pools[n], multi=n == "tag") for n in chosen}
    if g.chance(50):
        result["period"] = period(g, shop)
    return result


def customer_ids(g: Gen, shop: Shop) -> Any:
    if g.chance(20):
        return {"file": "ids.txt"}
    chosen = g.some([*shop.keys, "C999", "nobody@example.com"], 3, least=1)
    return [int(k) if k.isdigit() and g.chance(50) else k for k in chosen]


def has_order(g: Gen, shop: Shop) -> Any:
    if g.chance(40):
        return g.chance(50)
    value: dict[str, Any] = {"where": where(g)}
    if g.chance(50):
        value = {"period": period(g, shop)} | (value if g.chance(50) else {})
    return value


LEAF_FIELDS = [
    *["country", "postal_code", "customer_type", "customer_tag", "accepts_marketing"],
    *["has_email", "registered", "customer_id"],
    *["order_count", "total_spend", "average_order_value", "largest_order", "items_purchased"],
    *["days_since_last_order", "days_since_first_order", "last_order_date", "first_order_date"],
    *["has_order", "purchased", "reviewed"],
]
TEXT_POOLS = {
    "country": COUNTRIES,
    "postal_code": POSTCODES,
    "customer_type": CUSTOMER_TYPES,
    "customer_tag": CUSTOMER_TAGS,
}
ITEM_FIELDS = ["sku", "product", "brand", "category", "collection", "tag"]


def leaf_value(g: Gen, name: str, shop: Shop) -> Any:
    if name in TEXT_POOLS:
        return text_condition(g, TEXT_POOLS[name], multi=name == "customer_tag")
    if name in ("accepts_marketing", "has_email"):
        return g.chance(50)
    if name == "registered":
        return period(g, shop)
    if name == "customer_id":
        return customer_ids(g, shop)
    if name in reference.METRICS:
        return metric(g, name, shop)
    if name.startswith("days_since"):
        return ordered_condition(g, DAYS, allow_list=True)
    if name.endswith("_date"):
        return ordered_condition(g, shop.anchors, allow_list=True)
    if name == "purchased":
        return item_condition(g, shop, ITEM_FIELDS)
    if name == "reviewed":
        return item_condition(g, shop, ["sku", "product"])
    return has_order(g, shop)


def leaf(g: Gen, shop: Shop) -> dict[str, Any]:
    name = g.pick(LEAF_FIELDS)
    return {name: leaf_value(g, name, shop)}


def rules(g: Gen, shop: Shop, depth: int = 3) -> dict[str, Any]:
    """A random rule tree of depth at most `depth` over every field of the language."""
    if depth == 0 or g.chance(35):
        return leaf(g, shop)
    op = g.pick(["all", "any", "any", "none", "not"])
    if op == "not":
        return {"not": rules(g, shop, depth - 1)}
    return {op: [rules(g, shop, depth - 1) for _ in range(g.randint(1, 3))]}


def document(g: Gen, rule: dict[str, Any], name: str = "Generated") -> dict[str, Any]:
    result: dict[str, Any] = {"name": name}
    if g.chance(50):
        result["include_unidentified"] = g.chance(50)
    if g.chance(15):
        result["marketing_only"] = True
    result["rules"] = rule
    return result


def dump(definition: dict[str, Any]) -> str:
    return yaml.safe_dump(definition, sort_keys=False, allow_unicode=True)


@dataclass
class Example:
    shop: Shop
    definition: dict[str, Any]
    others: dict[str, dict[str, Any]] = field(default_factory=dict)


def random_example(seed: int) -> Example:
    """Random nested rules over random data."""
    g = Gen(seed)
    shop = make_shop(g)
    return Example(shop, document(g, rules(g, shop)))


def field_example(seed: int) -> Example:
    """One field (or its negation) over every customer: each field's semantics, in focus."""
    g = Gen(seed)
    shop = make_shop(g)
    rule = leaf(g, shop)
    definition = {"name": "Field", "include_unidentified": True}
    return Example(shop, definition | {"rules": {"not": rule} if g.chance(25) else rule})


def segment_example(seed: int) -> Example:
    """A definition that uses `in_segment: other`, plus `other` with options of its own."""
    g = Gen(seed)
    shop = make_shop(g)
    other = document(g, rules(g, shop, depth=2), name="Other")
    link: dict[str, Any] = {"in_segment": "other"}
    op = g.pick(["all", "any", "none", "not", "leaf"])
    rule = link if op == "leaf" else {"not": link} if op == "not" else {op: [link, leaf(g, shop)]}
    return Example(shop, document(g, rule), {"other": other})


# ---------------------------------------------------------------------------------------------
# Files and reports
# ---------------------------------------------------------------------------------------------

Outcome = tuple[list[str], list[str] | str]  # reference members, segcli members or its error


def write_files(folder: Path, example: Example) -> dict[str, Path]:
    paths = {}
    for table in HEADERS:
        paths[table] = folder / f"{table}.csv"
        paths[table].write_text(example.shop.csv_text(table), encoding="utf-8")
    paths["ids"] = folder / "ids.txt"
    paths["ids"].write_text("".join(f"{k}\n" for k in example.shop.ids_file), encoding="utf-8")
    for stem, definition in {"gen": example.definition, **example.others}.items():
        paths[stem] = folder / f"{stem}.yaml"
        paths[stem].write_text(dump(definition), encoding="utf-8")
    return paths


def shop_frames(shop: Shop) -> dict[str, pl.DataFrame]:
    """The shop's tables as frames of text, cell for cell what its CSV files hold (an empty cell
    is the empty string), for an engine that takes frames rather than files."""
    return {
        table: pl.DataFrame(
            shop.tables[table], schema=dict.fromkeys(columns, pl.String()), orient="row"
        )
        for table, columns in HEADERS.items()
    }


def reference_members(example: Example, paths: dict[str, Path]) -> list[str]:
    """The members tests/reference.py finds in the files `write_files` wrote."""
    data = reference.read_dataset(
        paths["orders"], paths["order_lines"], paths["customers"], paths["reviews"]
    )
    others = {stem: reference.load_definition(paths[stem].read_text()) for stem in example.others}
    definition = reference.load_definition(paths["gen"].read_text())
    return reference.member_keys(definition, data, example.shop.as_of, others, paths["gen"].parent)


def report(example: Example, outcome: Outcome) -> str:
    expected, actual = outcome
    parts = [f"as_of: {example.shop.as_of!r}", "--- gen.yaml", dump(example.definition)]
    for stem, definition in example.others.items():
        parts += [f"--- {stem}.yaml", dump(definition)]
    for table in HEADERS:
        parts += [f"--- {table}.csv", example.shop.csv_text(table)]
    parts += [f"--- ids.txt: {example.shop.ids_file}"]
    parts += [f"reference: {expected}", f"segcli:    {actual}"]
    if not isinstance(actual, str):
        parts += [f"only reference: {sorted(set(expected) - set(actual))}"]
        parts += [f"only segcli:    {sorted(set(actual) - set(expected))}"]
    return "\n".join(parts)


# ---------------------------------------------------------------------------------------------
# Minimizing a failure: drop rows and rule branches while the same failure stays
# ---------------------------------------------------------------------------------------------


def _row_key(customer_id: str, email: str) -> str | None:
    return customer_id.strip() or email.strip().lower() or None


def in_scope(shop: Shop) -> bool:
    """Every identity of an order or review is a customer or has an order by the as-of.

    Whether a customer seen only in orders after the as-of (or only in reviews) exists is left
    open by docs/language.md, so examples stay clear of it.
    """
    seen = {_row_key(r[0], r[1]) for r in shop.tables["customers"]}
    for row in shop.tables["orders"]:
        if reference.parse_timestamp(row[3], UTC) <= shop.as_of_instant:
            seen.add(_row_key(row[1], row[2]))
    owners = {_row_key(r[1], r[2]) for r in shop.tables["orders"]}
    owners |= {_row_key(r[0], r[1]) for r in shop.tables["reviews"]}
    return owners - {None} <= seen


def _leaf_smaller(value: dict[str, Any]) -> Iterator[dict[str, Any]]:
    items = [k for k in value if k in ITEM_FIELDS]
    for key in value:
        if key in ("period", "where") or (key in items and len(items) > 1):
            yield {k: v for k, v in value.items() if k != key}
    if isinstance(value.get("where"), dict) and len(value["where"]) > 1:
        for key in value["where"]:
            yield value | {"where": {k: v for k, v in value["where"].items() if k != key}}


def smaller_rules(rule: dict[str, Any]) -> Iterator[dict[str, Any]]:
    ((key, value),) = rule.items()
    if key == "not":
        yield value
        yield from ({"not": r} for r in smaller_rules(value))
    elif key in ("all", "any", "none"):
        yield from value
        for i, child in enumerate(value):
            if len(value) > 1:
                yield {key: value[:i] + value[i + 1 :]}
            yield from ({key: [*value[:i], r, *value[i + 1 :]]} for r in smaller_rules(child))
    elif isinstance(value, dict):
        yield from ({key: v} for v in _leaf_smaller(value))


def _without_row(shop: Shop, table: str, index: int) -> Shop:
    tables = dict(shop.tables)
    removed = tables[table][index]
    tables[table] = tables[table][:index] + tables[table][index + 1 :]
    if table == "orders":
        tables["order_lines"] = [r for r in tables["order_lines"] if r[0] != removed[0]]
    return replace(shop, tables=tables)


def smaller(example: Example) -> Iterator[Example]:
    definition = example.definition
    for rule in smaller_rules(definition["rules"]):
        yield replace(example, definition=definition | {"rules": rule})
    for stem, other in example.others.items():
        for rule in smaller_rules(other["rules"]):
            yield replace(example, others=example.others | {stem: other | {"rules": rule}})
    for option in ("marketing_only", "include_unidentified"):
        if option in definition:
            yield replace(example, definition={k: v for k, v in definition.items() if k != option})
    for table, rows in example.shop.tables.items():
        for index in range(len(rows)):
            yield replace(example, shop=_without_row(example.shop, table, index))


def minimize(example: Example, fails: Callable[[Example], bool], budget: int = 400) -> Example:
    """Greedy: take the first smaller example that `fails` (the same way as `example`), until
    none does or `budget` examples have been tried."""
    current, progress = example, True
    while progress and budget > 0:
        progress = False
        for candidate in smaller(current):
            if not in_scope(candidate.shop):
                continue
            budget -= 1
            if fails(candidate):
                current, progress = candidate, True
                break
            if budget <= 0:
                break
    return current
