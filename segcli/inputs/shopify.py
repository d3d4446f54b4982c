"""Shopify exports, recognized by their header: no mapping needed.

Orders export (71/73/75/79 columns over the years): one row per line item; order fields only on
an order's first row (keyed by `Name`); identity by email. Status: `Financial Status`, except
that an order with `Cancelled at` set gets status "cancelled" (so `exclude_statuses: [cancelled]`
works; its refund is already in `Refunded Amount`).

Customers export (<=2019, 2022, 2023, 2024 layouts): no registration date; Excel-style leading
apostrophes on ids and zips are removed; the country is the ISO code (`Country Code`, as in the
orders' `Billing Country`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from segcli.errors import InputError
from segcli.inputs.columns import Layout
from segcli.inputs.settings import StatusRule

if TYPE_CHECKING:
    from segcli.inputs.scan import RawFile

ORDER_MARKERS = ("Name", "Email", "Financial Status", "Created at", "Lineitem quantity", "Total")
SHOPIFY_ORDER_HEADERS: dict[str, tuple[str, ...]] = {
    "order_id": ("Name",),
    "email": ("Email",),
    "ordered_at": ("Created at",),
    "total": ("Total",),
    "refunded": ("Refunded Amount",),
    "status": ("Financial Status",),
    "discount_code": ("Discount Code",),
    "currency": ("Currency",),
    "sku": ("Lineitem sku",),
    "product_name": ("Lineitem name",),
    "brand": ("Vendor",),
    "quantity": ("Lineitem quantity",),
    "unit_price": ("Lineitem price",),
    "name": ("Billing Name",),
    "country": ("Billing Country",),
    "postal_code": ("Billing Zip",),
    "accepts_marketing": ("Accepts Marketing",),
}
CUSTOMER_MARKERS = ("First Name", "Last Name", "Email", "Total Spent", "Total Orders")
SHOPIFY_CUSTOMER_HEADERS: dict[str, tuple[str, ...]] = {
    "customer_id": ("Customer ID",),
    "first_name": ("First Name",),
    "last_name": ("Last Name",),
    "email": ("Email",),
    "accepts_marketing": ("Accepts Email Marketing", "Accepts Marketing"),
    "country": ("Country Code", "Default Address Country Code"),
    "postal_code": ("Zip", "Default Address Zip"),
    "tags": ("Tags",),
}
CANCELLED = StatusRule(column="Cancelled at", status="cancelled")


def is_shopify(raw: RawFile, table: str) -> bool:
    markers = ORDER_MARKERS if table == "orders" else CUSTOMER_MARKERS
    return table in {"orders", "customers"} and all(m in raw.columns for m in markers)


def shopify_layout(raw: RawFile, table: str) -> Layout:
    """The layout of a Shopify orders or customers export; InputError if the header is not one."""
    if table not in {"orders", "customers"}:
        raise InputError(f"{raw.source.name}: the shopify preset reads orders and customers only")
    markers = ORDER_MARKERS if table == "orders" else CUSTOMER_MARKERS
    missing = [m for m in markers if m not in raw.columns]
    if missing:
        raise InputError(
            f"{raw.source.name}: line 1 (header): not a Shopify {table} export: missing "
            f"column {', '.join(repr(m) for m in missing)}; export it again from the Shopify "
            "admin, or drop --preset shopify and map the columns in segcli.yaml"
        )
    candidates = SHOPIFY_ORDER_HEADERS if table == "orders" else SHOPIFY_CUSTOMER_HEADERS
    columns: dict[str, str] = {}
    for canon, names in candidates.items():
        found = next((n for n in names if n in raw.columns), None)
        if found is not None:
            columns[canon] = found
    status = (CANCELLED,) if table == "orders" and CANCELLED.column in raw.columns else ()
    return Layout(
        name="shopify",
        table="line_items" if table == "orders" else "customers",
        columns=columns,
        status_from=status,
        excel_text=True,
    )
