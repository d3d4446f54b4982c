"""Identity: which customer a row belongs to.

customer_key is the customer id where present (trimmed), else the trimmed, lower-cased email;
when the customers data has ids but the rows carry no customer_id column at all (a Shopify
orders export beside a newer customers export), a row takes the id of the customer with its
normalized email. Rows with neither belong to nobody.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from segcli.inputs.cells import is_blank
from segcli.inputs.settings import Settings
from segcli.inputs.tables import FROM_EMAIL, ORDER_EMAIL_RAW, RAW_KEY
from segcli.inputs.typed_columns import normalize_text

_KEY_BY_EMAIL = "__segcli_key_by_email"


def with_customer_key(frame: pl.LazyFrame, customers: pl.LazyFrame | None) -> pl.LazyFrame:
    """customer_key = own customer_id, else the id of the customer with the same normalized
    email (when the customers data has ids but these rows only emails), else the email."""
    if customers is None:
        return frame.with_columns(customer_key=pl.coalesce("customer_id", "email"))
    joined = frame.join(_ids_by_email(customers), on="email", how="left", maintain_order="left")
    key = pl.coalesce("customer_id", _KEY_BY_EMAIL, "email").alias("customer_key")
    return joined.with_columns(key).drop(_KEY_BY_EMAIL)


def _ids_by_email(customers: pl.LazyFrame) -> pl.LazyFrame:
    """email -> the (smallest) customer id of the customers with that email."""
    return (
        customers.filter(pl.col("customer_id").is_not_null() & pl.col("email").is_not_null())
        .group_by("email")
        .agg(pl.col("customer_key").min().alias(_KEY_BY_EMAIL))
    )


@dataclass(frozen=True, slots=True)
class IdentityResolver:
    """Turns an order's raw identity pair into customer_key (RAW_KEY, FROM_EMAIL): the customer id
    normalized, else the normalized email, else (customers with ids, orders without) the id of
    the customer with that email. The same rule as `with_customer_key`, but the backend applies
    it once per group of orders with the same raw pair: the cost follows the customers, not
    their orders."""

    settings: Settings = field(default_factory=Settings)
    customers: pl.LazyFrame | None = None  # matched by email when the orders carry no ids

    def text(self, raw: pl.Expr, kind: str) -> pl.Expr:
        # Raw identity cells exist only for layouts without Excel's apostrophe (elsewhere the
        # normalized cells stand in, and normalizing them again changes nothing).
        return normalize_text(raw, kind, self.settings, excel=False)

    def blank(self, raw: pl.Expr) -> pl.Expr:
        """Exactly `self.text(raw, kind).is_null()` for any kind, cheaper (no text is built)."""
        return is_blank(raw, self.settings.null_values)

    def raw_identity(
        self, cid: pl.Expr, email: pl.Expr, *, numbers: bool, emails: bool
    ) -> list[pl.Expr]:
        """RAW_KEY, FROM_EMAIL and ORDER_EMAIL_RAW from the customer id and email cells as
        written: the id unless it is blank, else the email unless it is blank; the same over
        rows or over groups of rows with the same cells. `numbers`: the ids are integers (never
        blank, only null); without `emails` (no email column) such an id is the raw key as it
        is, with no text made per order."""
        email_raw = pl.when(self.blank(email)).then(None).otherwise(email)
        from_email = cid.is_null() if numbers else self.blank(cid)
        if numbers and not emails:
            raw_key = cid
        else:
            raw_key = pl.when(from_email).then(email_raw).otherwise(cid.cast(pl.String))
        return [
            raw_key.alias(RAW_KEY),
            from_email.alias(FROM_EMAIL),
            email_raw.alias(ORDER_EMAIL_RAW),
        ]

    def resolve(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        """`frame` with customer_key (null: the orders belong to nobody) from its raw pair."""
        raw, from_email = pl.col(RAW_KEY), pl.col(FROM_EMAIL)
        email = pl.when(from_email).then(self.text(raw, "email"))
        cid = pl.when(~from_email).then(self.text(raw, "id"))
        if self.customers is None:
            return frame.with_columns(pl.coalesce(cid, email).alias("customer_key"))
        frame = frame.with_columns(email.alias("__segcli_email"))
        joined = frame.join(
            _ids_by_email(self.customers), left_on="__segcli_email", right_on="email", how="left"
        )
        key = pl.coalesce(cid, _KEY_BY_EMAIL, "__segcli_email").alias("customer_key")
        return joined.with_columns(key).drop(_KEY_BY_EMAIL, "__segcli_email")
