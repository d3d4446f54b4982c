"""One customer's rows, cut from Parquet exports before anything is parsed (`segcli segments`).

Parsing and normalizing every order to find one customer's costs as much as a whole build; a
Parquet file can instead be searched for the customer's id, email or order ids in the columns
that hold them (found by the same layout detection as reading: canonical, Shopify or the
project config's mapping), a case-insensitive search inside the scan. Only the rows that contain
one are written to a temporary file that the ordinary readers then open. The cut is a superset
(an order id may contain another's, a cell may carry spaces): the exact identity rules still
decide, on the few rows that are left. Files that are not Parquet are not cut (the caller reads
them whole).

The search reads only the columns it looks in, with each row's position; the file's other
columns are then read only in the row groups that hold those positions. Reading every column of
every row to keep a handful costs several times the search itself.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import replace
from itertools import accumulate
from pathlib import Path

import polars as pl

from segcli.inputs.cells import regex_literal
from segcli.inputs.checks import QueryRunner
from segcli.inputs.parquet_footer import row_group_rows
from segcli.inputs.read import detect_layout
from segcli.inputs.scan import scan_file
from segcli.inputs.settings import Settings
from segcli.inputs.sources import PathSpec, expand_paths
from segcli.inputs.tables import Tables


def cut_rows(
    spec: PathSpec,
    table: str,
    needles: Sequence[str],
    folder: Path,
    *,
    columns: Sequence[str],
    settings: Settings,
    preset: str | None = None,
    exact: bool = False,
) -> list[Path] | None:
    """Each Parquet file of `spec` with only its rows where one of the canonical `columns`
    contains one of the `needles`, written to `folder`; None when a file is not Parquet.
    Needles with an `@` are looked for in the `email` column only, the others in the other
    columns (an email never is an id, an order id never an email). `exact`: the cell is one
    of the needles (for values copied from the data, such as order ids: the file's statistics
    then skip whole row groups)."""
    sources = expand_paths(spec, table)
    if any(s.format != "parquet" or s.gzipped for s in sources):
        return None
    cuts = []
    for index, source in enumerate(sources):
        raw = scan_file(source, settings)
        layout = detect_layout(raw, table, settings, preset)
        texts = {name for name, kind in raw.schema.items() if kind == pl.String}
        named = {c: layout.columns[c] for c in columns if layout.columns.get(c) in texts}
        targets = named or {name: name for name in texts}
        path = folder / f"{table}-{index}.parquet"
        if exact and needles and targets:  # statistics skip row groups: no search to save
            keep = pl.any_horizontal([pl.col(c).is_in(list(needles)) for c in targets.values()])
            pl.scan_parquet(source.path).filter(keep).collect().write_parquet(path)
        else:
            _rows_where(source.path, _search(targets, needles)).write_parquet(path)
        cuts.append(path)
    return cuts


_POSITION = "__segcli_position"
_MAX_SHARE = 0.4  # of the row groups: reading more by position costs more than one filter


def _rows_where(path: Path, search: tuple[pl.Expr, pl.Expr] | None) -> pl.DataFrame:
    """The rows of the Parquet file where the search's test holds. The positions come from the
    columns it reads alone (its cheap superset over the file, the test itself over what that
    keeps); the whole rows are then read by position, which skips the row groups without one,
    unless they are in too many row groups (then the file is filtered once)."""
    scan = pl.scan_parquet(path)
    if search is None:
        return scan.head(0).collect()
    keep, candidates = search
    numbered = pl.scan_parquet(path, row_index_name=_POSITION)
    found = numbered.select(_POSITION, *keep.meta.root_names()).filter(candidates).collect()
    positions = found.filter(keep)[_POSITION].to_list()
    if not positions:
        return scan.head(0).collect()
    if _spread(path, positions) > _MAX_SHARE:
        return scan.filter(keep).collect()
    return numbered.filter(pl.col(_POSITION).is_in(positions)).drop(_POSITION).collect()


def _spread(path: Path, positions: list[int]) -> float:
    """The share of the file's row groups that hold one of the rows at `positions`."""
    try:
        sizes = row_group_rows(path)
    except (OSError, ValueError):
        return 1.0
    ends = list(accumulate(sizes))
    return len({bisect_right(ends, p) for p in positions}) / max(len(sizes), 1)


def _search(columns: dict[str, str], needles: Sequence[str]) -> tuple[pl.Expr, pl.Expr] | None:
    """Whether a row holds a needle (emails in the `email` column, the rest in the others, or
    in every column when no column is known by its canonical name), and a cheaper superset of
    that test (the test itself when there is none). None: nothing to look for."""
    emails = [n for n in needles if "@" in n]
    others = [n for n in needles if "@" not in n]
    tests, candidates = [], []
    for canon, column in columns.items():
        wanted = emails if canon == "email" else others if "email" in columns else list(needles)
        if wanted:
            test = _contains_any(pl.col(column), wanted)
            cheap = _candidates(pl.col(column), wanted)
            tests.append(test)
            candidates.append(test if cheap is None else cheap)
    if not tests:
        return None
    keep = pl.any_horizontal(tests).fill_null(value=False)
    return keep, pl.any_horizontal(candidates).fill_null(value=False)


_MAX_SPELLINGS = 16  # 4 letters: an id such as C0123457 has 2, a number 1


def _candidates(column: pl.Expr, needles: list[str]) -> pl.Expr | None:
    """A superset of `_contains_any(column, needles)` that compares whole cells, several times
    cheaper than searching them. A cell shorter (in bytes) than the shortest needle contains
    none, and one as long contains a needle, ignoring case, only if it is an ASCII spelling of
    one (the letters that fold to ASCII ones take more bytes in UTF-8): only longer cells are
    searched. None when a needle is not ASCII or has too many spellings (an email)."""
    spellings: list[str] = []
    for needle in needles:
        letters = sum(c.isalpha() for c in needle)
        if not needle.isascii() or 2**letters > _MAX_SPELLINGS:
            return None
        spelled = [""]
        for char in needle:
            spelled = [s + c for s in spelled for c in dict.fromkeys((char.lower(), char.upper()))]
        spellings += spelled
    shortest = min(len(n) for n in needles)
    return column.is_in(spellings) | (column.str.len_bytes() > shortest)


_MAX_REGEX_NEEDLES = 64


def _contains_any(column: pl.Expr, needles: list[str]) -> pl.Expr:
    """Whether the text contains one of `needles`, ignoring case. A few needles are one
    case-insensitive regex (its literal prefilter is several times faster than Polars'
    ASCII-case-insensitive Aho-Corasick over millions of cells, and Unicode case folding
    covers ASCII's); many (order ids) stay an Aho-Corasick automaton."""
    if len(needles) > _MAX_REGEX_NEEDLES:
        return column.str.contains_any(needles, ascii_case_insensitive=True)
    return column.str.contains("(?i)" + "|".join(regex_literal(n) for n in needles))


def has_column(
    spec: PathSpec, table: str, column: str, settings: Settings, preset: str | None
) -> bool:
    """Whether every file of `spec` has the canonical `column` (by the readers' layout)."""
    sources = expand_paths(spec, table)
    return all(
        column in detect_layout(scan_file(s, settings), table, settings, preset).columns
        for s in sources
    )


def raw_cells(paths: Sequence[Path], table: str, column: str, settings: Settings) -> set[str]:
    """The cells of the canonical `column` as written in (cut) Parquet files."""
    found: set[str] = set()
    for path in paths:
        raw = scan_file(expand_paths(path, table)[0], settings)
        name = detect_layout(raw, table, settings, None).columns.get(column)
        if name is not None:
            cells = pl.scan_parquet(path).select(pl.col(name).cast(pl.String)).collect()
            found.update(v for v in cells[name].to_list() if v is not None)
    return found


def _matches(customer: str) -> pl.Expr:
    wanted = customer.strip().lower()
    return (pl.col("customer_key").str.to_lowercase() == wanted) | (pl.col("email") == wanted)


def narrow_to_customer(tables: Tables, customer: str) -> Tables | None:
    """The tables with only one customer's rows (customers, orders, their lines, reviews),
    collected, or None when no customers or orders row is theirs. The filters run inside the
    scans, so the other customers' rows are never aggregated or joined."""
    customers = tables.customers
    first = [tables.orders.filter(_matches(customer))]
    first += [customers.filter(_matches(customer))] if customers is not None else []
    runner = QueryRunner(tables)
    orders, *known = runner.collect_all(first, ["orders", "customers"])
    keys = sorted(
        {*(known[0]["customer_key"].to_list() if known else []), *orders["customer_key"].to_list()}
    )
    keys = [k for k in keys if k is not None]
    if not keys:
        return None
    key = next((k for k in keys if k.lower() == customer.strip().lower()), keys[0])
    if key.lower() != customer.strip().lower():  # named by email: their orders without it too
        orders = runner.collect(tables.orders.filter(pl.col("customer_key") == key), ["orders"])
    orders = orders.filter(pl.col("customer_key") == key)
    ids = orders["order_id"].unique().to_list()
    rest = []
    rest += [tables.lines.filter(pl.col("order_id").is_in(ids))] if tables.lines is not None else []
    rest += (
        [tables.reviews.filter(pl.col("customer_key") == key)] if tables.reviews is not None else []
    )
    lines, reviews = _pair(runner.collect_all(rest, ["lines", "products", "reviews"]), tables)
    return replace(
        tables,
        orders=orders.lazy(),
        customers=known[0].filter(pl.col("customer_key") == key).lazy() if known else None,
        lines=lines,
        reviews=reviews,
        orders_parquet=False,
    )


def _pair(
    frames: list[pl.DataFrame], tables: Tables
) -> tuple[pl.LazyFrame | None, pl.LazyFrame | None]:
    it = iter(frames)
    lines = next(it).lazy() if tables.lines is not None else None
    reviews = next(it).lazy() if tables.reviews is not None else None
    return lines, reviews
