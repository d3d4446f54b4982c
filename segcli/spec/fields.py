"""The one registry of fields, read by the parser, checker, planner, `schema` and the docs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ValueType = Literal["text", "integer", "money", "date", "boolean", "period", "id_set", "segment"]
Kind = Literal[
    "attribute", "registered", "metric", "has_order", "recency", "purchased", "reviewed", "segment"
]
Table = Literal["orders", "lines", "customers", "reviews", "segments"]


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    kind: Kind
    value: ValueType
    needs: tuple[Table, ...]
    meaning: str
    example: str


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec(
        "country", "attribute", "text", ("customers",), "customer's country", "country: [GB, IE]"
    ),
    FieldSpec(
        "postal_code",
        "attribute",
        "text",
        ("customers",),
        "customer's postal code (always text)",
        'postal_code: {starts_with: "SW1"}',
    ),
    FieldSpec(
        "customer_type",
        "attribute",
        "text",
        ("customers",),
        "customer type",
        "customer_type: wholesale",
    ),
    FieldSpec(
        "customer_tag",
        "attribute",
        "text",
        ("customers",),
        "any one of the customer's tags",
        "customer_tag: newsletter",
    ),
    FieldSpec(
        "accepts_marketing",
        "attribute",
        "boolean",
        ("customers",),
        "marketing consent",
        "accepts_marketing: true",
    ),
    FieldSpec(
        "has_email",
        "attribute",
        "boolean",
        (),
        "the customer has an email address",
        "has_email: false",
    ),
    FieldSpec(
        "customer_id",
        "attribute",
        "id_set",
        (),
        "explicit customer set: list of ids, or {file: ids.txt}",
        "customer_id: [C001, C002]",
    ),
    FieldSpec(
        "registered",
        "registered",
        "period",
        ("customers",),
        "registration date within a period",
        "registered: last 6 months",
    ),
    FieldSpec(
        "order_count",
        "metric",
        "integer",
        ("orders",),
        "number of orders",
        "order_count: {more_than: 2}",
    ),
    FieldSpec(
        "total_spend",
        "metric",
        "money",
        ("orders",),
        "sum of net order totals (total - refunded)",
        "total_spend: {at_least: 100, period: last 12 months}",
    ),
    FieldSpec(
        "average_order_value",
        "metric",
        "money",
        ("orders",),
        "total_spend / order_count",
        "average_order_value: {more_than: 80}",
    ),
    FieldSpec(
        "largest_order",
        "metric",
        "money",
        ("orders",),
        "largest gross order total",
        "largest_order: {at_least: 250}",
    ),
    FieldSpec(
        "items_purchased",
        "metric",
        "integer",
        ("orders", "lines"),
        "sum of line-item quantities",
        "items_purchased: {at_least: 10, period: this year}",
    ),
    FieldSpec(
        "has_order",
        "has_order",
        "boolean",
        ("orders",),
        "at least one order matching where, within period",
        "has_order: {where: {order_total: {between: [50, 100]}}, period: last 90 days}",
    ),
    FieldSpec(
        "days_since_last_order",
        "recency",
        "integer",
        ("orders",),
        "calendar days from the last order's date to the as-of date",
        "days_since_last_order: {more_than: 180}",
    ),
    FieldSpec(
        "days_since_first_order",
        "recency",
        "integer",
        ("orders",),
        "calendar days from the first order's date to the as-of date",
        "days_since_first_order: {at_most: 30}",
    ),
    FieldSpec(
        "last_order_date",
        "recency",
        "date",
        ("orders",),
        "date of the last order",
        "last_order_date: {less_than: 2024-01-01}",
    ),
    FieldSpec(
        "first_order_date",
        "recency",
        "date",
        ("orders",),
        "date of the first order",
        "first_order_date: {at_least: 2024-01-01}",
    ),
    FieldSpec(
        "purchased",
        "purchased",
        "text",
        ("orders", "lines"),
        "one line item matches every item field, within period",
        "purchased: {brand: Acme, period: last 6 months}",
    ),
    FieldSpec(
        "reviewed",
        "reviewed",
        "text",
        ("reviews",),
        "reviewed a matching product",
        "reviewed: {sku: SKU-123}",
    ),
    FieldSpec(
        "in_segment",
        "segment",
        "segment",
        ("segments",),
        "member of another segment (by file stem)",
        "in_segment: vip",
    ),
)

FIELD_BY_NAME: dict[str, FieldSpec] = {f.name: f for f in FIELDS}

# Fields of one order, usable in `where`.
ORDER_FIELDS: dict[str, ValueType] = {
    "order_total": "money",
    "discount_code": "text",
    "status": "text",
    "currency": "text",
}
# Fields of one line item, usable in `purchased` (and sku/product in `reviewed`).
ITEM_FIELDS: dict[str, str] = {  # field → normalized lines column
    "sku": "sku",
    "product": "product_name",
    "brand": "brand",
    "category": "category",
    "collection": "collection",
    "tag": "tags",
}
REVIEW_FIELDS: dict[str, str] = {"sku": "sku", "product": "product_name"}

COMPARISON_KEYS: tuple[str, ...] = (
    "exactly",
    "more_than",
    "at_least",
    "less_than",
    "at_most",
    "between",
    "not",
    "contains",
    "starts_with",
)
TEXT_ONLY_KEYS: tuple[str, ...] = ("contains", "starts_with")

OPTION_KEYS: tuple[str, ...] = (
    "name",
    "description",
    "as_of",
    "rules",
    "include_unidentified",
    "marketing_only",
    "min_members",
    "max_change_percent",
    "priority",
)
LOGIC_KEYS: tuple[str, ...] = ("all", "any", "none", "not")
