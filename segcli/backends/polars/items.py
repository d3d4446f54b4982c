"""Item tests of `purchased` over order lines, computed as cheaply as exactness allows.

- A superset filter on the cells as written (`lines_superset`), pushed into the scan.
- Each field test computed once per distinct cell value (`cell_query`, `with_item_flags`):
  item columns hold a few hundred or thousand distinct values over tens of millions of lines,
  so the values are normalized and tested once; a line's test is then whether its cell as
  written is one of the passing cells (a set membership: cheaper than testing every line, or
  joining the tested cells back).
Both need the raw item columns (RAW_ITEM); without them (a products file fills in attributes,
or a line-item export) every test runs on every line's normalized cell.
"""

from __future__ import annotations

import polars as pl

from segcli.backends.polars.compare import multi_text_compare, text_compare, text_superset
from segcli.inputs.columns import SPECS
from segcli.inputs.settings import Settings
from segcli.inputs.typed_columns import normalize_text
from segcli.spec.fields import ITEM_FIELDS
from segcli.spec.model import FieldTest

Item = tuple[FieldTest, ...]


def raw_column(field: str) -> str:
    """The lines column holding a field's cells as written (see RAW_ITEM)."""
    return f"__raw_{ITEM_FIELDS[field]}"


def field_test(one: FieldTest) -> pl.Expr:
    """One field test on the normalized column of its field."""
    column = pl.col(ITEM_FIELDS[one.field])
    if one.field == "tag":
        return multi_text_compare(column, ",", one.comparison)
    return text_compare(column, one.comparison)


def lines_superset(items: tuple[Item, ...], columns: set[str]) -> pl.Expr | None:
    """A filter on the item cells as written that keeps every line passing any of `items`
    (see text_superset), or None when some item has none."""
    per_item = []
    for item in items:
        tests = [
            text_superset(pl.col(raw_column(one.field)), one.comparison)
            for one in item
            if raw_column(one.field) in columns and one.field != "tag"
        ]
        found = [t for t in tests if t is not None]
        if not found:
            return None
        per_item.append(pl.all_horizontal(found))
    return pl.any_horizontal(per_item) if per_item else None


def cell_query(lines: pl.LazyFrame, items: tuple[Item, ...]) -> pl.LazyFrame | None:
    """The distinct combinations of the cells as written of the raw item columns the items
    test, or None when the lines carry none; collect it, then pass it to `with_item_flags`.

    One group-by over those columns: item attributes follow the product, so there are about as
    many combinations as products. (One query per column over a shared scan makes Polars hold
    the whole scan; a scan per column parses a CSV file again each time.)"""
    columns = set(lines.collect_schema().names())
    needed = dict.fromkeys(
        raw_column(one.field) for item in items for one in item if raw_column(one.field) in columns
    )
    return lines.select(*needed).unique() if needed else None


def with_item_flags(
    lines: pl.LazyFrame,
    items: dict[Item, str],
    settings: Settings,
    cells: pl.DataFrame | None,
) -> tuple[pl.LazyFrame, list[pl.Expr]]:
    """`lines` with one column per test of the distinct cells (the line's cell is one that
    passes), and one boolean expression per item (aliased to its name in `items`): all its
    field tests hold on the same line.

    `cells` (from `cell_query`, collected) are tested once per distinct value; a field with no
    column there is tested on every line's normalized cell. (The distinct cells are collected
    first: the same lazy scan feeding both the distinct values and the lines would make Polars
    hold every line until the values were known.)"""
    flags: dict[str, dict[FieldTest, str]] = {}  # raw column -> field test -> flag column
    tests = []
    for item in items:
        parts = []
        for one in item:
            raw = raw_column(one.field)
            if cells is None or raw not in cells.columns:
                parts.append(field_test(one))
                continue
            per_value = flags.setdefault(raw, {})
            flag = per_value.setdefault(one, f"{raw}.{len(per_value)}")
            parts.append(pl.col(flag).fill_null(value=False))  # a null cell passes no test
        tests.append(pl.all_horizontal(parts) if parts else pl.lit(value=True))
    for raw, per_value in flags.items():
        assert cells is not None
        values = cells.lazy().select(raw).unique().drop_nulls()
        per_cell = _flags_per_value(values, raw, per_value, settings).collect()
        # A set membership per line: cheaper than joining the tested cells back, and a
        # predicate the scan can apply as it reads.
        lines = lines.with_columns(
            pl.col(raw).is_in(per_cell.filter(pl.col(flag))[raw].implode()).alias(flag)
            for flag in per_value.values()
        )
    return lines, [t.alias(n) for t, n in zip(tests, items.values(), strict=True)]


def _flags_per_value(
    values: pl.LazyFrame, raw: str, tests: dict[FieldTest, str], settings: Settings
) -> pl.LazyFrame:
    """Each distinct cell as written and each test's result on its normalized value (as the
    lines table normalizes it)."""
    canon = raw.removeprefix("__raw_")
    normalized = normalize_text(pl.col(raw), SPECS["lines"][canon], settings, excel=False)
    return values.with_columns(normalized.alias(canon)).select(
        raw, *(field_test(one).alias(flag) for one, flag in tests.items())
    )
