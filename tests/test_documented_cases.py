"""Documented edge cases of the segment language, each a tiny shop with expected members
written by hand from docs/language.md: both the reference evaluator and segcli must find them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date
from typing import Any

import pytest
import reference
from differential import run_both
from random_shops import Example, Shop, report


@dataclass(frozen=True)
class Case:
    """orders: (customer_id, email, ordered_at, total, refunded, discount_code);
    lines: (order index, sku, brand, quantity); customers: (customer_id, email, country)."""

    rule: dict[str, Any]
    expected: list[str]
    orders: tuple[tuple[str, ...], ...] = ()
    as_of: str = "2024-06-15"
    lines: tuple[tuple[Any, ...], ...] = ()
    customers: tuple[tuple[str, ...], ...] = (("C1", "c1@example.com", ""),)
    unidentified: bool = False


def _one(at: str, total: str = "10.00", who: str = "C1") -> tuple[str, ...]:
    return (who, f"{who.lower()}@example.com", at, total, "", "")


def _spend(period: Any) -> dict[str, Any]:
    return {"order_count": {"at_least": 1, "period": period}}


CASES = {
    "499.99 + 0.01 is not more than 500": Case(
        {"total_spend": {"more_than": 500}},
        [],
        (_one("2024-01-02", "499.99"), _one("2024-01-03", "0.01")),
    ),
    "499.99 + 0.01 is at least 500": Case(
        {"total_spend": {"at_least": 500}},
        ["C1"],
        (_one("2024-01-02", "499.99"), _one("2024-01-03", "0.01")),
    ),
    "spend is net of refunds, largest order is gross": Case(
        {"all": [{"total_spend": {"less_than": 500}}, {"largest_order": {"more_than": 500}}]},
        ["C1"],
        (("C1", "", "2024-01-02", "600.00", "200.00", ""),),
    ),
    "average order value is exact": Case(
        {"average_order_value": {"more_than": 33.33}},
        ["C1"],
        (_one("2024-01-02", "100"), _one("2024-01-03", "0"), _one("2024-01-04", "0")),
    ),
    "an order at the as-of instant is seen": Case(
        _spend("last 1 day"), ["C1"], (_one("2024-06-15 00:00:00"),)
    ),
    "last 1 day excludes as-of minus 1 day": Case(
        _spend("last 1 day"), [], (_one("2024-06-14 00:00:00"),)
    ),
    "orders after the as-of are never seen": Case(
        {"order_count": 0}, ["C1"], (_one("2024-06-15T00:00:01Z"),)
    ),
    "offsets are converted before periods apply": Case(
        {"order_count": 0}, ["C1"], (_one("2024-06-14 20:00:00 -0500"),)
    ),
    "last 1 month from 31 March starts 29 February": Case(
        _spend("last 1 month"), [], (_one("2024-02-29"),), as_of="2024-03-31"
    ),
    "last 1 month from 31 March includes 29 February after midnight": Case(
        _spend("last 1 month"), ["C1"], (_one("2024-02-29 00:00:01"),), as_of="2024-03-31"
    ),
    "last 1 year from 29 February starts 28 February": Case(
        _spend("last 1 year"), ["C1"], (_one("2023-02-28 12:00:00"),), as_of="2024-02-29"
    ),
    "from/to includes the whole last day": Case(
        _spend({"from": date(2024, 1, 1), "to": date(2024, 1, 31)}),
        ["C1"],
        (_one("2024-01-31 23:59:59"),),
    ),
    "from/to ends before the next day": Case(
        _spend({"from": date(2024, 1, 1), "to": date(2024, 1, 31)}), [], (_one("2024-02-01"),)
    ),
    "before is exclusive": Case(_spend({"before": date(2024, 1, 1)}), [], (_one("2024-01-01"),)),
    "since is inclusive": Case(_spend({"since": date(2024, 1, 1)}), ["C1"], (_one("2024-01-01"),)),
    "last year ends before 1 January": Case(_spend("last year"), [], (_one("2024-01-01"),)),
    "last year starts on 1 January of the year before": Case(
        _spend("last year"), ["C1"], (_one("2023-01-01"),)
    ),
    "days since last order counts calendar days": Case(
        {"days_since_last_order": 1}, ["C1"], (_one("2024-06-14T23:59:59Z"),)
    ),
    "one of several discount codes matches": Case(
        {"has_order": {"where": {"discount_code": "vip"}}},
        ["C1"],
        (("C1", "", "2024-01-02", "10", "", "SUMMER10 + VIP"),),
    ),
    "a null value fails a not comparison": Case({"country": {"not": "GB"}}, []),
    "not of a comparison on a null value holds": Case({"not": {"country": "GB"}}, ["C1"]),
    "text compares without case and outer spaces": Case(
        {"country": "gb"}, ["C1"], customers=(("C1", "c1@example.com", " GB "),)
    ),
    "unidentified customers are left out": Case(
        {"has_order": True},
        [],
        (("C1", "", "2024-01-02", "10.00", "", ""),),
        customers=(("C1", "", ""),),
    ),
    "unidentified customers are kept when asked": Case(
        {"has_order": True},
        ["C1"],
        (("C1", "", "2024-01-02", "10.00", "", ""),),
        customers=(("C1", "", ""),),
        unidentified=True,
    ),
    "emails are trimmed and lower-cased for identity": Case(
        {"order_count": 2},
        ["bob@example.com"],
        (
            ("", " Bob@Example.com ", "2024-01-02", "1", "", ""),
            ("", "bob@example.com", "2024-01-03", "1", "", ""),
        ),
        customers=(),
    ),
    "quantity defaults to 1": Case(
        {"items_purchased": 4},
        ["C1"],
        (_one("2024-01-02"),),
        lines=((0, "A", "Acme", ""), (0, "B", "Zeta", "3")),
    ),
    "purchased fields must hold on the same line": Case(
        {"purchased": {"brand": "Acme", "sku": "B"}},
        [],
        (_one("2024-01-02"),),
        lines=((0, "A", "Acme", "1"), (0, "B", "Zeta", "1")),
    ),
}


def case_example(case: Case) -> Example:
    as_of_instant = reference.resolve_as_of(case.as_of, UTC)
    orders = [[f"O{i}", *row[:5], "", row[5], ""] for i, row in enumerate(case.orders)]
    lines = [[f"O{i}", sku, "", brand, "", "", "", qty] for i, sku, brand, qty in case.lines]
    customers = [
        [c[0], c[1], "F", "L", "2020-01-01", c[2], "", "", "true", ""] for c in case.customers
    ]
    tables = {"orders": orders, "order_lines": lines, "customers": customers, "reviews": []}
    shop = Shop(as_of=case.as_of, as_of_instant=as_of_instant, tables=tables)
    definition = {"name": "Case", "include_unidentified": case.unidentified, "rules": case.rule}
    return Example(shop, definition)


@pytest.mark.parametrize("name", list(CASES))
def test_documented_case(name: str) -> None:
    case = CASES[name]
    example = case_example(case)
    expected, actual = run_both(example)
    assert expected == case.expected, "reference disagrees with the docs\n" + report(
        example, (expected, actual)
    )
    assert actual == case.expected, "segcli disagrees with the docs\n" + report(
        example, (expected, actual)
    )
