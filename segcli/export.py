"""The fixed export format (DESIGN §5): members → CSV bytes that mailing tools import.

Format, exactly:

- UTF-8 without BOM; every record, the header included, ends with ``\\n`` (LF, not the CRLF of
  RFC 4180: what Unix tools, ``git diff`` and every mailing tool we target read, and what
  ``-o -`` pipes expect). The header is always present, also for an empty segment.
- Columns: ``Name,First Name,Last Name,Email Address,Date Registered,Country,Postal Code,
  Lifetime Spend``; with ``with_id`` a leading ``Customer ID`` (the customer key).
- RFC 4180 quoting only where needed: a cell holding ``,``, ``"``, CR or LF is wrapped in ``"``
  with inner ``"`` doubled; nothing else is quoted. A null cell is empty.
- Name is the customer's name when it has any non-blank text, else "First Last" built from the
  trimmed first and last names (just one of them when only one is present).
- Date Registered is the local date ``YYYY-MM-DD`` of ``registered_at`` in the project time zone.
- Lifetime Spend is ``spend_cents`` as exact decimal text with two places (``1234.50``,
  ``-12.50``), made from integers, never through a float.
- Rows are sorted by customer key (nulls last), ties broken by the whole rendered row, so the
  bytes do not depend on the order members arrive in.
- Formula injection: a cell that comes from data (Customer ID, Name, First Name, Last Name,
  Email Address, Country, Postal Code) and starts with ``=``, ``+``, ``-``, ``@``, tab or CR gets
  a leading ``'`` so that spreadsheets show it as text. Generated cells (Date Registered,
  Lifetime Spend) are never changed: ``-12.50`` stays a number.
"""

from __future__ import annotations

import io
from typing import Final

import polars as pl

from segcli.errors import SegcliError
from segcli.inputs.settings import check_timezone

EXPORT_HEADER: Final = (
    "Name",
    "First Name",
    "Last Name",
    "Email Address",
    "Date Registered",
    "Country",
    "Postal Code",
    "Lifetime Spend",
)
CUSTOMER_ID_HEADER: Final = "Customer ID"
FORMULA_PREFIXES: Final = ("=", "+", "-", "@", "\t", "\r")
LINE_END: Final = "\n"

REQUIRED_MEMBER_COLUMNS: Final = ("customer_key", "email", "spend_cents")
OPTIONAL_MEMBER_COLUMNS: Final = (
    "name",
    "first_name",
    "last_name",
    "country",
    "postal_code",
    "registered_at",
)
_NEEDS_QUOTES: Final = [",", '"', "\r", "\n"]
_SORT_KEY: Final = "__segcli_sort_key"
_LINE: Final = "__segcli_line"
_REGISTERED_ON: Final = "__segcli_registered_on"


def export_header(*, with_id: bool) -> tuple[str, ...]:
    """The header of the fixed export format, with or without the leading Customer ID."""
    return (CUSTOMER_ID_HEADER, *EXPORT_HEADER) if with_id else EXPORT_HEADER


def render_csv(
    members: pl.DataFrame | pl.LazyFrame, *, timezone: str, with_id: bool = False
) -> bytes:
    """The members as the fixed export format; the same members always give the same bytes.

    ``members`` has ``customer_key``, ``email`` and ``spend_cents``, and optionally ``name``,
    ``first_name``, ``last_name``, ``country``, ``postal_code`` (text) and ``registered_at``
    (datetime, UTC when it has no zone); a missing optional column exports as empty cells.
    """
    return join_lines(render_lines(members, timezone=timezone, with_id=with_id), with_id=with_id)


def render_lines(
    members: pl.DataFrame | pl.LazyFrame,
    *,
    timezone: str,
    with_id: bool = False,
    keep: tuple[str, ...] = (),
) -> pl.DataFrame:
    """Each member's rendered CSV record, in export order, beside the ``keep`` columns.

    Rows of the result that are kept by a filter stay in export order, so many snapshots of one
    members table are rendered once: ``join_lines(lines.filter(...))``."""
    check_timezone(timezone)
    frame = members.lazy() if isinstance(members, pl.DataFrame) else members
    frame = _with_optional_columns(frame, timezone)
    staged = frame.with_columns(_data_cell_exprs()).collect()
    # Neutralizing builds every cell's prefixed form: only columns with a cell to prefix are.
    names = [e.meta.output_name() for e in _data_cell_exprs()]
    found = staged.select(_starts_like_formula(pl.col(n)).any() for n in names).row(0)
    risky = frozenset(n for n, hit in zip(names, found, strict=True) if hit)
    cells = staged.lazy().select(
        pl.col("customer_key").cast(pl.String).alias(_SORT_KEY),
        *_export_cell_exprs(with_id=with_id, risky=risky),
        *keep,
    )
    return _sorted_lines(cells.collect(), export_header(with_id=with_id), keep)


def join_lines(lines: pl.DataFrame, *, with_id: bool) -> bytes:
    """Rendered records (from ``render_lines``) → the bytes of the export, header first."""
    return _join(lines, export_header(with_id=with_id))


def _data_cell_exprs() -> list[pl.Expr]:
    """The text of the cells that come from data, each named by its header (a stage of its
    own: neutralize_formula reads a cell eight times, and a cell like Name, built from three
    columns, would otherwise be built eight times)."""
    data_cells = {
        CUSTOMER_ID_HEADER: _text("customer_key"),
        "Name": _name_cell(),
        "First Name": _text("first_name"),
        "Last Name": _text("last_name"),
        "Email Address": _text("email"),
        "Country": _text("country"),
        "Postal Code": _text("postal_code"),
    }
    return [expr.alias(name) for name, expr in data_cells.items()]


def _export_cell_exprs(*, with_id: bool, risky: frozenset[str]) -> list[pl.Expr]:
    """One String expression per export column, named by its header, in header order (over
    the `_data_cell_exprs` stage); the `risky` data cells are neutralized."""
    exprs = {
        name: neutralize_formula(pl.col(name)) if name in risky else pl.col(name)
        for name in (e.meta.output_name() for e in _data_cell_exprs())
    }
    exprs["Date Registered"] = pl.col(_REGISTERED_ON).dt.to_string("%Y-%m-%d")
    exprs["Lifetime Spend"] = money_text(pl.col("spend_cents"))
    return [exprs[name].alias(name) for name in export_header(with_id=with_id)]


def encode_csv(cells: pl.DataFrame, *, header: tuple[str, ...]) -> bytes:
    """Rendered text cells → CSV bytes (quoting where needed, LF, header first).

    ``cells`` holds the ``header`` columns as text; nulls become empty cells. When it also holds
    the private sort-key column, rows are sorted by it (nulls last), then by the whole line.
    Cells are not neutralized here: this is also how already-exported rows are written back.
    """
    return _join(_sorted_lines(cells, header), header)


def _sorted_lines(
    cells: pl.DataFrame, header: tuple[str, ...], keep: tuple[str, ...] = ()
) -> pl.DataFrame:
    missing = [name for name in header if name not in cells.columns]
    if missing:
        raise SegcliError(f"cannot encode CSV: missing columns {missing}")
    texts = [pl.col(name).cast(pl.String).fill_null("") for name in header]
    # Quoting builds every cell's quoted form; a column with no cell to quote is left as it is.
    quoting = cells.select(t.str.contains_any(_NEEDS_QUOTES).any() for t in texts).row(0)
    line = pl.concat_str(
        [_quote(t) if quote else t for t, quote in zip(texts, quoting, strict=True)],
        separator=",",
    ).alias(_LINE)
    sort_key = [_SORT_KEY] if _SORT_KEY in cells.columns else []
    lines = cells.lazy().select(*sort_key, line, *keep)
    if sort_key:
        # Ties on the key are broken by the line; unique keys (members are) have none, and
        # sorting by the key alone spares comparing whole lines.
        tied = cells.get_column(_SORT_KEY).is_duplicated().any()
        lines = lines.sort([_SORT_KEY, _LINE] if tied else _SORT_KEY, nulls_last=True)
    return lines.select(_LINE, *keep).collect()


def _join(lines: pl.DataFrame, header: tuple[str, ...]) -> bytes:
    """The header line, then each rendered line as it is (never quoted again), LF-ended."""
    header_line = ",".join(_quote_text(name) for name in header) + LINE_END
    body = io.BytesIO()
    lines.select(_LINE).write_csv(
        body, include_header=False, quote_style="never", line_terminator=LINE_END
    )
    return header_line.encode("utf-8") + body.getvalue()


def money_text(cents: pl.Expr) -> pl.Expr:
    """Integer minor units → exact decimal text with two places: 1250 → "12.50", -5 → "-0.05"."""
    wide = cents.cast(pl.Int128)  # abs() of the smallest i64 does not fit an i64
    magnitude = wide.abs()
    units = (magnitude // 100).cast(pl.String)
    hundredths = (magnitude % 100).cast(pl.String).str.zfill(2)
    sign = pl.when(wide < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    return pl.concat_str([sign, units, pl.lit("."), hundredths])


def neutralize_formula(text: pl.Expr) -> pl.Expr:
    """Prefix ``'`` to text a spreadsheet would run as a formula (leading = + - @ tab CR)."""
    return pl.when(_starts_like_formula(text)).then(pl.lit("'") + text).otherwise(text)


def _starts_like_formula(text: pl.Expr) -> pl.Expr:
    return pl.any_horizontal([text.str.starts_with(prefix) for prefix in FORMULA_PREFIXES])


def _text(column: str) -> pl.Expr:
    return pl.col(column).cast(pl.String)


def _name_cell() -> pl.Expr:
    name = _text("name")
    first = _non_blank(_text("first_name").str.strip_chars())
    last = _non_blank(_text("last_name").str.strip_chars())
    from_parts = pl.concat_str([first, last], separator=" ", ignore_nulls=True)
    has_name = name.str.strip_chars().str.len_chars() > 0
    fallback = pl.when(first.is_null() & last.is_null()).then(None).otherwise(from_parts)
    return pl.when(has_name).then(name).otherwise(fallback)


def _non_blank(text: pl.Expr) -> pl.Expr:
    return pl.when(text.str.len_chars() > 0).then(text).otherwise(None)


def _quote(text: pl.Expr) -> pl.Expr:
    needs_quotes = text.str.contains_any(_NEEDS_QUOTES)
    quoted = pl.lit('"') + text.str.replace_all('"', '""', literal=True) + pl.lit('"')
    return pl.when(needs_quotes).then(quoted).otherwise(text)


def _quote_text(text: str) -> str:
    if any(char in text for char in _NEEDS_QUOTES):
        return '"' + text.replace('"', '""') + '"'
    return text


def _with_optional_columns(frame: pl.LazyFrame, timezone: str) -> pl.LazyFrame:
    """Check the required member columns; add missing optional ones as nulls; dates local."""
    schema = frame.collect_schema()
    missing = [name for name in REQUIRED_MEMBER_COLUMNS if name not in schema]
    if missing:
        raise SegcliError(f"members lack the columns {missing} that the export needs")
    added = [
        pl.lit(None, dtype=pl.String).alias(name)
        for name in OPTIONAL_MEMBER_COLUMNS
        if name not in schema and name != "registered_at"
    ]
    registered_on = _local_date(schema.get("registered_at"), timezone).alias(_REGISTERED_ON)
    return frame.with_columns(*added, registered_on)


def _local_date(dtype: pl.DataType | None, timezone: str) -> pl.Expr:
    """The local calendar date of registered_at; a naive datetime is UTC, a date is kept."""
    if dtype is None or dtype == pl.Null:
        return pl.lit(None, dtype=pl.Date)
    column = pl.col("registered_at")
    if dtype == pl.Date:
        return column
    if not isinstance(dtype, pl.Datetime):
        raise SegcliError(f"members.registered_at must be a datetime, not {dtype}")
    if dtype.time_zone is None:
        column = column.dt.replace_time_zone("UTC")
    return column.dt.convert_time_zone(timezone).dt.date()
