"""A plain-Python reference evaluator for the segment language, written from the docs only.

It reads the canonical CSV layout (docs/inputs.md) with the csv module and evaluates a segment
definition, given as the dict that ``yaml.safe_load`` returns, exactly as docs/language.md states:
loops over rows, Decimal money, Fraction averages, datetime periods. It never imports segcli, so
that the differential tests compare two independent readings of the same documents.
"""

from __future__ import annotations

import calendar
import csv
import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

# ---------------------------------------------------------------------------------------------
# Data: the canonical tables, read literally
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Order:
    order_id: str
    key: str | None
    email: str | None
    email_raw: str | None  # as written: ties on `at` go to the smallest
    at: datetime
    total: Decimal
    refunded: Decimal
    status: str | None
    codes: tuple[str, ...]
    currency: str | None


@dataclass(frozen=True)
class Line:
    order_id: str
    sku: str | None
    product: str | None
    brand: str | None
    category: str | None
    collection: str | None
    tags: tuple[str, ...]
    quantity: int


@dataclass(frozen=True)
class Customer:
    key: str
    email: str | None
    registered_at: datetime | None
    country: str | None
    postal_code: str | None
    customer_type: str | None
    accepts_marketing: bool | None
    tags: tuple[str, ...]


@dataclass(frozen=True)
class Review:
    key: str | None
    sku: str | None
    product: str | None
    at: datetime


@dataclass(frozen=True)
class Dataset:
    orders: list[Order]
    lines: list[Line]
    customers: list[Customer]
    reviews: list[Review]
    tz: tzinfo = UTC


_TS = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?$"
)


def parse_timestamp(text: str, tz: tzinfo) -> datetime:
    """Parse one of the documented timestamp forms; no offset means the project time zone."""
    m = _TS.match(text.strip())
    if m is None:
        raise ValueError(f"not a timestamp: {text!r}")
    year, month, day, hour, minute, sec, frac, off = m.groups()
    micro = int((frac or "0").ljust(6, "0"))
    naive = datetime(  # noqa: DTZ001 - the zone is attached just below
        int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(sec or 0), micro
    )
    if off is None:
        return naive.replace(tzinfo=tz).astimezone(UTC)
    if off == "Z":
        return naive.replace(tzinfo=UTC)
    sign = -1 if off[0] == "-" else 1
    digits = off[1:].replace(":", "")
    delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return (naive - sign * delta).replace(tzinfo=UTC)


def _cell(row: dict[str, str], column: str) -> str | None:
    """A cell's text, or None when the column is missing or the cell is empty."""
    value = row.get(column)
    if value is None or value.strip() == "":
        return None
    return value


def _email(row: dict[str, str]) -> str | None:
    raw = _cell(row, "email")
    return None if raw is None else raw.strip().lower()


def _key(row: dict[str, str]) -> str | None:
    """Identity: customer_id where present, else the normalized email."""
    cid = _cell(row, "customer_id")
    return cid.strip() if cid is not None else _email(row)


def _money(text: str | None) -> Decimal:
    return Decimal(0) if text is None else Decimal(text.strip())


def _split(text: str | None, sep: str) -> tuple[str, ...]:
    if text is None:
        return ()
    return tuple(part for part in text.split(sep) if part.strip() != "")


def _bool(text: str | None) -> bool | None:
    if text is None:
        return None
    return {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}[
        text.strip().lower()
    ]


def _rows(path: Path | None) -> list[dict[str, str]]:
    if path is None:
        return []
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def read_orders(path: Path, tz: tzinfo) -> list[Order]:
    orders = []
    for row in _rows(path):
        status = _cell(row, "status")
        orders.append(
            Order(
                order_id=row["order_id"].strip(),
                key=_key(row),
                email=_email(row),
                email_raw=_cell(row, "email"),
                at=parse_timestamp(row["ordered_at"], tz),
                total=_money(_cell(row, "total")),
                refunded=_money(_cell(row, "refunded")),
                status=None if status is None else status.strip().lower(),
                codes=_split(_cell(row, "discount_code"), " + "),
                currency=_cell(row, "currency"),
            )
        )
    return orders


def read_lines(path: Path | None) -> list[Line]:
    lines = []
    for row in _rows(path):
        qty = _cell(row, "quantity")
        lines.append(
            Line(
                order_id=row["order_id"].strip(),
                sku=_cell(row, "sku"),
                product=_cell(row, "product_name"),
                brand=_cell(row, "brand"),
                category=_cell(row, "category"),
                collection=_cell(row, "collection"),
                tags=_split(_cell(row, "tags"), ","),
                quantity=1 if qty is None else int(qty),
            )
        )
    return lines


def read_customers(path: Path | None, tz: tzinfo) -> list[Customer]:
    customers = []
    for row in _rows(path):
        key = _key(row)
        if key is None:
            continue
        registered = _cell(row, "registered_at")
        customers.append(
            Customer(
                key=key,
                email=_email(row),
                registered_at=None if registered is None else parse_timestamp(registered, tz),
                country=_cell(row, "country"),
                postal_code=_cell(row, "postal_code"),
                customer_type=_cell(row, "customer_type"),
                accepts_marketing=_bool(_cell(row, "accepts_marketing")),
                tags=_split(_cell(row, "tags"), ","),
            )
        )
    return customers


def read_reviews(path: Path | None, tz: tzinfo) -> list[Review]:
    return [
        Review(
            key=_key(row),
            sku=_cell(row, "sku"),
            product=_cell(row, "product_name"),
            at=parse_timestamp(row["reviewed_at"], tz),
        )
        for row in _rows(path)
    ]


def read_dataset(
    orders: Path,
    lines: Path | None = None,
    customers: Path | None = None,
    reviews: Path | None = None,
    tz: str = "UTC",
) -> Dataset:
    zone: tzinfo = UTC if tz == "UTC" else ZoneInfo(tz)
    return Dataset(
        orders=read_orders(orders, zone),
        lines=read_lines(lines),
        customers=read_customers(customers, zone),
        reviews=read_reviews(reviews, zone),
        tz=zone,
    )


# ---------------------------------------------------------------------------------------------
# Definitions: plain YAML, except that only true/false are booleans (`country: [NO, SE]` is text)
# ---------------------------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    pass


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def load_definition(text: str) -> dict[str, Any]:
    """A definition file as a dict; yes/no stay text here and are read as booleans where a
    boolean is expected (docs/language.md, Comparisons: "Booleans are true/false (also yes/no)")."""
    document = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    assert isinstance(document, dict)
    return document


# ---------------------------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------------------------


@dataclass
class Person:
    """One customer of the universe: a customers row, or an identity seen in orders."""

    key: str
    customer: Customer | None
    email: str | None
    orders: list[Order] = field(default_factory=list)


@dataclass(frozen=True)
class Context:
    data: Dataset
    as_of: datetime
    others: dict[str, dict[str, Any]]
    lines_by_order: dict[str, list[Line]]
    base_dir: Path | None
    scores: dict[str, dict[str, int]] = field(default_factory=dict)  # key → RFM scores


def resolve_as_of(as_of: str | date | datetime, tz: tzinfo) -> datetime:
    """A date means the start of that day in the project time zone."""
    if isinstance(as_of, datetime):
        if as_of.tzinfo is None:
            return as_of.replace(tzinfo=tz).astimezone(UTC)
        return as_of.astimezone(UTC)
    if isinstance(as_of, date):
        return _midnight(as_of, tz)
    return parse_timestamp(as_of, tz)


def _midnight(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=tz).astimezone(UTC)


def _to_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value).strip())


def build_universe(ctx: Context) -> dict[str, Person]:
    """Customers rows plus identities of orders at or before the as-of; later orders are unseen.
    A person's email: the customers row's, else that of their earliest order carrying one."""
    people: dict[str, Person] = {}
    for c in ctx.data.customers:
        people[c.key] = Person(key=c.key, customer=c, email=c.email)
    for o in ctx.data.orders:
        if o.key is None or o.at > ctx.as_of:
            continue
        if o.key not in people:
            people[o.key] = Person(key=o.key, customer=None, email=None)
        people[o.key].orders.append(o)
    for person in people.values():
        emailed = [(o.at, o.email_raw or "", o.email) for o in person.orders if o.email]
        if person.email is None and emailed:
            person.email = min(emailed)[2]
    return people


def member_keys(
    definition: dict[str, Any],
    data: Dataset,
    as_of: str | date | datetime,
    others: dict[str, dict[str, Any]] | None = None,
    base_dir: Path | None = None,
) -> list[str]:
    """Sorted identity keys of the members, after include_unidentified and marketing_only."""
    lines_by_order: dict[str, list[Line]] = {}
    for line in data.lines:
        lines_by_order.setdefault(line.order_id, []).append(line)
    ctx = Context(data, resolve_as_of(as_of, data.tz), others or {}, lines_by_order, base_dir)
    universe = build_universe(ctx)
    ctx = replace(ctx, scores=rfm_scores(universe, ctx))
    members = []
    for person in universe.values():
        if not holds(definition["rules"], person, ctx):
            continue
        if person.email is None and not _norm(
            definition.get("include_unidentified", False), "bool"
        ):
            continue
        if _norm(definition.get("marketing_only", False), "bool") and not (
            person.customer is not None and person.customer.accepts_marketing is True
        ):
            continue
        members.append(person.key)
    return sorted(members)


def holds(rule: dict[str, Any], person: Person, ctx: Context) -> bool:
    ((key, value),) = rule.items()
    if key == "all":
        return all(holds(r, person, ctx) for r in value)
    if key == "any":
        return any(holds(r, person, ctx) for r in value)
    if key == "none":
        return not any(holds(r, person, ctx) for r in value)
    if key == "not":
        return not holds(value, person, ctx)
    if key in CUSTOMER_TEXT:
        raw = None if person.customer is None else getattr(person.customer, key)
        return compare(raw, value, "text")
    if key in METRICS:
        return _metric(key, value, person, ctx)
    if key in RECENCY:
        return _recency(key, value, person, ctx)
    return _OTHER_FIELDS[key](value, person, ctx)


# ---------------------------------------------------------------------------------------------
# Periods
# ---------------------------------------------------------------------------------------------

_LAST = re.compile(r"last (\d+) (day|week|month|year)s?")


def _months_back(local: datetime, months: int) -> datetime:
    index = local.year * 12 + (local.month - 1) - months
    year, month = divmod(index, 12)
    day = min(local.day, calendar.monthrange(year, month + 1)[1])
    return local.replace(year=year, month=month + 1, day=day)


def _rolling_start(as_of: datetime, n: int, unit: str, tz: tzinfo) -> datetime:
    """A minus N units, in wall-clock time of the project zone; months/years clamp the day."""
    local = as_of.astimezone(tz).replace(tzinfo=None)
    if unit == "day":
        start = local - timedelta(days=n)
    elif unit == "week":
        start = local - timedelta(weeks=n)
    else:
        start = _months_back(local, n if unit == "month" else 12 * n)
    return start.replace(tzinfo=tz).astimezone(UTC)


def in_period(t: datetime, period: Any, ctx: Context) -> bool:
    """Whether instant t lies in the period; nothing after the as-of is ever seen."""
    a, tz = ctx.as_of, ctx.data.tz
    if t > a:
        return False
    if period is None or period == "all time":
        return True
    if isinstance(period, dict):
        if "before" in period:
            return t < _midnight(_to_date(period["before"]), tz)
        if "since" in period:
            return t >= _midnight(_to_date(period["since"]), tz)
        start = _midnight(_to_date(period["from"]), tz)
        end = _midnight(_to_date(period["to"]) + timedelta(days=1), tz)
        return start <= t < end
    year = a.astimezone(tz).year
    if period == "this year":
        return t >= _midnight(date(year, 1, 1), tz)
    if period == "last year":
        return _midnight(date(year - 1, 1, 1), tz) <= t < _midnight(date(year, 1, 1), tz)
    m = _LAST.fullmatch(str(period).strip())
    if m is None:
        raise ValueError(f"unknown period {period!r}")
    return t > _rolling_start(a, int(m.group(1)), m.group(2), tz)


# ---------------------------------------------------------------------------------------------
# Comparisons
# ---------------------------------------------------------------------------------------------

Kind = str  # "text" | "number" | "date" | "bool"
_COMPARISON_KEYS = frozenset(
    {"exactly", "more_than", "at_least", "less_than", "at_most", "between", "not"}
    | {"contains", "starts_with"}
)


def _norm(value: Any, kind: Kind) -> Any:
    if kind == "text":
        return str(value).strip().lower()
    if kind == "number":
        if isinstance(value, Fraction):
            return value
        return Fraction(Decimal(str(value)))
    if kind == "date":
        return _to_date(value)
    if isinstance(value, str):
        return {"true": True, "yes": True, "false": False, "no": False}[value.strip().lower()]
    return bool(value)


_ORDERINGS = {
    "exactly": operator.eq,
    "more_than": operator.gt,
    "at_least": operator.ge,
    "less_than": operator.lt,
    "at_most": operator.le,
}


def _op(value: Any, op: str, arg: Any, kind: Kind) -> bool:
    v = _norm(value, kind)
    if op == "not":
        args = arg if isinstance(arg, list) else [arg]
        return all(v != _norm(x, kind) for x in args)
    if op == "between":
        return bool(_norm(arg[0], kind) <= v <= _norm(arg[1], kind))
    x = _norm(arg, kind)
    if op == "contains":
        return bool(x in v)
    if op == "starts_with":
        return bool(v.startswith(x))
    return bool(_ORDERINGS[op](v, x))


def compare(value: Any, condition: Any, kind: Kind) -> bool:
    """A null value never satisfies a comparison."""
    if value is None:
        return False
    if isinstance(condition, list):
        return any(_op(value, "exactly", c, kind) for c in condition)
    if isinstance(condition, dict):
        return all(_op(value, op, arg, kind) for op, arg in condition.items())
    return _op(value, "exactly", condition, kind)


def compare_any(values: tuple[str, ...], condition: Any) -> bool:
    """A multi-valued text field (tags, discount codes) matches if any one value matches."""
    return any(compare(v, condition, "text") for v in values)


# ---------------------------------------------------------------------------------------------
# Fields
# ---------------------------------------------------------------------------------------------

CUSTOMER_TEXT = frozenset({"country", "postal_code", "customer_type"})
METRICS = frozenset(
    {"order_count", "total_spend", "average_order_value", "largest_order", "items_purchased"}
)
RECENCY = frozenset(
    {"days_since_last_order", "days_since_first_order", "last_order_date", "first_order_date"}
)


def _where_holds(order: Order, where: dict[str, Any] | None) -> bool:
    for name, cond in (where or {}).items():
        if name == "order_total":
            ok = compare(order.total, cond, "number")
        elif name == "discount_code":
            ok = compare_any(order.codes, cond)
        elif name == "status":
            ok = compare(order.status, cond, "text")
        elif name == "currency":
            ok = compare(order.currency, cond, "text")
        else:
            raise ValueError(f"unknown order field {name!r}")
        if not ok:
            return False
    return True


def _orders_in(person: Person, period: Any, where: Any, ctx: Context) -> list[Order]:
    return [o for o in person.orders if in_period(o.at, period, ctx) and _where_holds(o, where)]


def _metric(name: str, value: Any, person: Person, ctx: Context) -> bool:
    period = where = None
    condition = value
    if isinstance(value, dict):
        period, where = value.get("period"), value.get("where")
        condition = {k: v for k, v in value.items() if k not in ("period", "where")}
    orders = _orders_in(person, period, where, ctx)
    spend = sum((o.total - o.refunded for o in orders), Decimal(0))
    figure: Fraction | None
    if name == "order_count":
        figure = Fraction(len(orders))
    elif name == "total_spend":
        figure = Fraction(spend)
    elif name == "average_order_value":
        figure = Fraction(spend) / len(orders) if orders else None
    elif name == "largest_order":
        figure = Fraction(max(o.total for o in orders)) if orders else None
    else:
        figure = Fraction(
            sum(line.quantity for o in orders for line in ctx.lines_by_order.get(o.order_id, []))
        )
    return compare(figure, condition, "number")


def _recency(name: str, value: Any, person: Person, ctx: Context) -> bool:
    if not person.orders:
        return False
    tz = ctx.data.tz
    last = max(o.at for o in person.orders).astimezone(tz).date()
    first = min(o.at for o in person.orders).astimezone(tz).date()
    today = ctx.as_of.astimezone(tz).date()
    if name == "days_since_last_order":
        return compare((today - last).days, value, "number")
    if name == "days_since_first_order":
        return compare((today - first).days, value, "number")
    return compare(last if name == "last_order_date" else first, value, "date")


def _customer_tag(value: Any, person: Person, _ctx: Context) -> bool:
    return person.customer is not None and compare_any(person.customer.tags, value)


def _accepts_marketing(value: Any, person: Person, _ctx: Context) -> bool:
    flag = None if person.customer is None else person.customer.accepts_marketing
    return compare(flag, value, "bool")


def _has_email(value: Any, person: Person, _ctx: Context) -> bool:
    return compare(person.email is not None, value, "bool")


def _registered(value: Any, person: Person, ctx: Context) -> bool:
    when = None if person.customer is None else person.customer.registered_at
    return when is not None and in_period(when, value, ctx)


def _customer_id(value: Any, person: Person, ctx: Context) -> bool:
    if isinstance(value, dict):
        base = ctx.base_dir or Path()
        text = (base / str(value["file"])).read_text(encoding="utf-8")
        ids = [line.strip() for line in text.splitlines() if line.strip()]
    else:
        ids = [str(v).strip() for v in (value if isinstance(value, list) else [value])]
    return person.key in ids


def _has_order(value: Any, person: Person, ctx: Context) -> bool:
    if not isinstance(value, dict):
        return bool(_orders_in(person, None, None, ctx)) is _norm(value, "bool")
    return bool(_orders_in(person, value.get("period"), value.get("where"), ctx))


_LINE_FIELDS = {
    "sku": "sku",
    "product": "product",
    "brand": "brand",
    "category": "category",
    "collection": "collection",
}


def _line_matches(line: Line, wanted: dict[str, Any]) -> bool:
    for name, cond in wanted.items():
        if name == "tag":
            ok = compare_any(line.tags, cond)
        else:
            ok = compare(getattr(line, _LINE_FIELDS[name]), cond, "text")
        if not ok:
            return False
    return True


def _purchased(value: dict[str, Any], person: Person, ctx: Context) -> bool:
    wanted = {k: v for k, v in value.items() if k != "period"}
    for order in _orders_in(person, value.get("period"), None, ctx):
        for line in ctx.lines_by_order.get(order.order_id, []):
            if _line_matches(line, wanted):
                return True
    return False


def _reviewed(value: dict[str, Any], person: Person, ctx: Context) -> bool:
    for review in ctx.data.reviews:
        if review.key != person.key or not in_period(review.at, value.get("period"), ctx):
            continue
        sku_ok = "sku" not in value or compare(review.sku, value["sku"], "text")
        product_ok = "product" not in value or compare(review.product, value["product"], "text")
        if sku_ok and product_ok:
            return True
    return False


def _in_segment(value: Any, person: Person, ctx: Context) -> bool:
    """Only the other segment's rules apply, not its options."""
    return holds(ctx.others[str(value)]["rules"], person, ctx)


_OTHER_FIELDS: dict[str, Callable[[Any, Person, Context], bool]] = {
    "customer_tag": _customer_tag,
    "accepts_marketing": _accepts_marketing,
    "has_email": _has_email,
    "registered": _registered,
    "customer_id": _customer_id,
    "has_order": _has_order,
    "purchased": _purchased,
    "reviewed": _reviewed,
    "in_segment": _in_segment,
}


# ---------------------------------------------------------------------------------------------
# RFM scores and grid groups (docs/grids.md)
# ---------------------------------------------------------------------------------------------

SCORES = frozenset({"recency_score", "frequency_score", "monetary_score", "fm_score"})


def rfm_scores(people: dict[str, Person], ctx: Context) -> dict[str, dict[str, int]]:
    """Score k on a figure when the share of buyers strictly worse on it lies in
    [(k-1)/5, k/5): worse is fewer orders, less net spend, more days since the last order."""
    tz = ctx.data.tz
    today = ctx.as_of.astimezone(tz).date()
    figures: dict[str, dict[str, Any]] = {}
    for person in people.values():
        if not person.orders:
            continue
        last = max(o.at for o in person.orders).astimezone(tz).date()
        figures[person.key] = {
            "recency_score": -(today - last).days,  # higher is better
            "frequency_score": len(person.orders),
            "monetary_score": sum((o.total - o.refunded for o in person.orders), Decimal(0)),
        }
    scores: dict[str, dict[str, int]] = {}
    for key, mine in figures.items():
        scores[key] = {}
        for name, value in mine.items():
            worse = sum(1 for other in figures.values() if other[name] < value)
            share = Fraction(worse, len(figures))
            scores[key][name] = next(k for k in range(1, 6) if share < Fraction(k, 5))
        pair = scores[key]["frequency_score"] + scores[key]["monetary_score"]
        scores[key]["fm_score"] = math.ceil(Fraction(pair, 2))
    return scores


# Shopify's RFM groups as docs/grids.md tabulates them: (group, R from-to, FM from-to).
RFM_TABLE = (
    ("champions", (5, 5), (4, 5)),
    ("loyal", (3, 4), (4, 5)),
    ("active", (4, 5), (3, 3)),
    ("new", (5, 5), (1, 2)),
    ("promising", (3, 4), (1, 2)),
    ("needs_attention", (3, 3), (3, 3)),
    ("almost_lost", (2, 2), (1, 2)),
    ("at_risk", (1, 2), (3, 4)),
    ("previously_loyal", (1, 2), (5, 5)),
    ("dormant", (1, 1), (1, 2)),
)


def rfm_group(person: Person, ctx: Context) -> str:
    if not person.orders:
        return "prospects"
    mine = ctx.scores[person.key]
    r, fm = mine["recency_score"], mine["fm_score"]
    found = [g for g, (r0, r1), (f0, f1) in RFM_TABLE if r0 <= r <= r1 and f0 <= fm <= f1]
    assert len(found) == 1, (r, fm, found)  # the table is a partition of the 5x5 grid
    return found[0]


def retention_group(person: Person, ctx: Context) -> str | None:
    """docs/grids.md: Datatrics' five groups as a partition; no orders, no group."""
    count = len(person.orders)
    if count == 0:
        return None
    tz = ctx.data.tz
    last = max(o.at for o in person.orders).astimezone(tz).date()
    days = (ctx.as_of.astimezone(tz).date() - last).days
    if count >= 4:
        return "loyal" if days <= 90 else "red_alert"
    if count >= 2:
        return "promising" if days <= 90 else "sleepers"
    return "one_time_buyers"


def _group_names(value: Any) -> list[str]:
    names = value if isinstance(value, list) else [value]
    return ["_".join(str(n).strip().lower().replace("-", " ").split()) for n in names]


def _score(name: str, value: Any, person: Person, ctx: Context) -> bool:
    return compare(ctx.scores.get(person.key, {}).get(name), value, "number")


def _rfm_group(value: Any, person: Person, ctx: Context) -> bool:
    return rfm_group(person, ctx) in _group_names(value)


def _grid(value: dict[str, Any], person: Person, ctx: Context) -> bool:
    which = {"rfm": rfm_group, "retention": retention_group}[value["name"]]
    return which(person, ctx) in _group_names(value["group"])


_OTHER_FIELDS["rfm_group"] = _rfm_group
_OTHER_FIELDS["grid"] = _grid


def _score_field(name: str) -> Callable[[Any, Person, Context], bool]:
    def holds(value: Any, person: Person, ctx: Context) -> bool:
        return _score(name, value, person, ctx)

    return holds


for _name in SCORES:
    _OTHER_FIELDS[_name] = _score_field(_name)
