"""`segcli segments CUSTOMER`: the inputs of one customer, read as few rows as possible.

From Parquet, two cuts (segcli.inputs.one_customer): first the rows that mention the name given
(id or email), which tell the customer's key, emails and order ids; then the rows that mention
any of those, with the order lines of those orders. The readers then parse only those rows, and
`why.narrow_to_customer` applies the exact identity rules to them. Files that are not Parquet are
read in full.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from segcli.inputs.one_customer import cut_rows, has_column, narrow_to_customer, raw_cells
from segcli.inputs.read import open_tables
from segcli.inputs.settings import Settings
from segcli.inputs.sources import PathSpec
from segcli.inputs.tables import Tables
from segcli.plan import KEY

IDENTITY = ("customer_id", "email")


@dataclass(frozen=True, slots=True)
class _Inputs:
    orders: PathSpec
    lines: PathSpec | None
    customers: PathSpec | None
    reviews: PathSpec | None
    products: PathSpec | None
    settings: Settings
    preset: str | None

    def open(self, cut: dict[str, list[Path] | None], *, items: bool) -> Tables:
        """The tables over the cut files, the others whole; `items`: with lines and reviews
        (without them, only what the identity needs is read)."""

        def spec(role: str) -> PathSpec | None:
            chosen: PathSpec | None = cut.get(role)
            return chosen if chosen is not None else getattr(self, role)

        return open_tables(  # cutting rows out of files is the single-machine readers' way
            spec("orders") or self.orders,
            lines=spec("lines") if items else None,
            customers=spec("customers"),
            reviews=spec("reviews") if items else None,
            products=self.products,
            settings=self.settings,
            preset=self.preset,
        )

    def cut(
        self,
        table: str,
        needles: list[str],
        folder: Path,
        columns: tuple[str, ...] = IDENTITY,
        *,
        exact: bool = False,
    ) -> list[Path] | None:
        spec = getattr(self, table)
        if spec is None:
            return None
        return cut_rows(
            spec, table, needles, folder, columns=columns, settings=self.settings,
            preset=self.preset, exact=exact,
        )  # fmt: skip


def customer_tables(
    customer: str,
    orders: PathSpec,
    *,
    lines: PathSpec | None = None,
    customers: PathSpec | None = None,
    reviews: PathSpec | None = None,
    products: PathSpec | None = None,
    settings: Settings | None = None,
    preset: str | None = None,
    folder: Path,
) -> Tables | None:
    """One customer's rows of every table (None when the data has no such customer). The
    tables read files in `folder`: use them before it is removed."""
    inputs = _Inputs(orders, lines, customers, reviews, products, settings or Settings(), preset)
    wanted = customer.strip()
    first = _subfolder(folder, "first")
    cut, known = _from_customers(inputs, customer, first)
    with_ids = has_column(orders, "orders", "customer_id", inputs.settings, preset)
    needles = [wanted] if known is None else _order_names(known, with_ids=with_ids)
    cut["orders"] = inputs.cut("orders", needles, first)
    found = narrow_to_customer(inputs.open(cut, items=False), customer)
    if found is None or cut["orders"] is None:  # unknown, or not Parquet: read the rest whole
        return None if found is None else narrow_to_customer(inputs.open(cut, items=True), customer)
    names, order_ids = _identity(found, wanted)
    from_orders = lines is None and found.lines is not None  # one row per line item
    more = known is None and any(("@" in n) != with_ids for n in _others(names, wanted))
    if more or from_orders:  # the orders that do not carry the name given
        second = _subfolder(folder, "second")
        columns = (*IDENTITY, "order_id") if from_orders else IDENTITY
        more_needles = [*names, *needles, *(order_ids if from_orders else [])]
        cut["orders"] = inputs.cut("orders", more_needles, second, columns)
        found = narrow_to_customer(inputs.open(cut, items=False), customer)
        if found is None:  # pragma: no cover - the second cut holds the first
            return None
        names, order_ids = _identity(found, wanted)
    return narrow_to_customer(_with_items(inputs, cut, names, order_ids, folder), customer)


def _from_customers(
    inputs: _Inputs, customer: str, folder: Path
) -> tuple[dict[str, list[Path] | None], Tables | None]:
    """The customers cut, and the customer as the customers file knows them (None when it is
    not Parquet or has no such row): their id and email then find their orders."""
    cut: dict[str, list[Path] | None] = {
        "customers": inputs.cut("customers", [customer.strip()], folder)
    }
    if cut["customers"] is None:
        return cut, None
    no_orders = {**cut, "orders": inputs.cut("orders", [], _subfolder(folder, "none"))}
    found = narrow_to_customer(inputs.open(no_orders, items=False), customer)
    if found is None or found.customers is None or found.customers.collect().height == 0:
        return cut, None
    return cut, found


def _order_names(known: Tables, *, with_ids: bool) -> list[str]:
    """What the customer's orders carry: their key; and their emails when the orders have no
    customer ids (orders are then matched to the customers by email)."""
    rows = known.customers.collect() if known.customers is not None else None
    keys = [] if rows is None else [k for k in rows[KEY].to_list() if k]
    emails = [] if rows is None or with_ids else [e for e in rows["email"].to_list() if e]
    return sorted({*keys, *emails})


def _others(names: list[str], wanted: str) -> list[str]:
    return [n for n in names if n.casefold() != wanted.casefold()]


def _with_items(
    inputs: _Inputs,
    cut: dict[str, list[Path] | None],
    names: list[str],
    order_ids: list[str],
    folder: Path,
) -> Tables:
    """The tables with the lines of the customer's orders and their reviews cut too. Lines are
    found by their order ids exactly, as the readers have them and as the orders file writes
    them (so whole row groups are skipped by the file's statistics)."""
    last = _subfolder(folder, "last")
    written = raw_cells(cut["orders"] or [], "orders", "order_id", inputs.settings)
    ids = sorted({*order_ids, *written})
    cut["lines"] = inputs.cut("lines", ids, last, ("order_id",), exact=True)
    cut["reviews"] = inputs.cut("reviews", names, last)
    return inputs.open(cut, items=True)


def _subfolder(folder: Path, name: str) -> Path:
    path = folder / name
    path.mkdir()
    return path


def _identity(found: Tables, wanted: str) -> tuple[list[str], list[str]]:
    """The texts that name the customer (the name given, the key, the customers rows' ids and
    emails) and the ids of their orders."""
    orders = found.orders.collect()
    names = {wanted, *(k for k in orders[KEY].to_list() if k)}
    if found.customers is not None:
        rows = found.customers.collect()
        for column in ("customer_id", "email", KEY):
            names.update(v for v in rows[column].to_list() if v)
    return sorted(names), sorted({i for i in orders["order_id"].to_list() if i})
