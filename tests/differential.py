"""The differential harness: one example through tests/reference.py and through segcli.

`run_both` gives both member lists (or segcli's error); `check` runs an example made from a seed
and, if the two sides disagree, minimizes it and fails with the report of the smallest example.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from random_shops import Example, Outcome, minimize, reference_members, report, write_files


def as_parquet(paths: dict[str, Path]) -> dict[str, Path]:
    """`paths` with the orders, order lines and customers CSV files also written as Parquet of
    their text cells (empty cells null), to be read through the Parquet paths of the engine."""
    import polars as pl

    parquet = dict(paths)
    for table in ("orders", "order_lines", "customers"):
        parquet[table] = paths[table].with_suffix(".parquet")
        pl.read_csv(paths[table], infer_schema=False).write_parquet(parquet[table])
    return parquet


def actual_members(example: Example, paths: dict[str, Path]) -> list[str]:
    from segcli import api

    def parse(stem: str) -> Any:
        text = paths[stem].read_text(encoding="utf-8")
        folder = paths[stem].parent
        return api.parse_definition(text, source=str(paths[stem]), segment_id=stem, base_dir=folder)

    tables = api.open_tables(
        paths["orders"],
        lines=paths["order_lines"],
        customers=paths["customers"],
        reviews=paths["reviews"],
    )
    library = [parse(stem) for stem in example.others]
    return api.member_keys(parse("gen"), tables, as_of=example.shop.as_of, library=library)


def run_both(example: Example, *, parquet: bool = False) -> Outcome:
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_files(Path(tmp), example)
        expected = reference_members(example, paths)
        try:
            read = as_parquet(paths) if parquet else paths
            actual: list[str] | str = actual_members(example, read)
        except Exception as error:  # noqa: BLE001 - whatever segcli raises is reported
            actual = f"{type(error).__name__}: {error}"
    return expected, actual


def failure_kind(outcome: Outcome) -> str | None:
    expected, actual = outcome
    if isinstance(actual, str):
        return "error " + actual.split(":", 1)[0]
    return None if actual == expected else "mismatch"


def check(make: Callable[[int], Example], seed: int, *, parquet: bool = False) -> None:
    example = make(seed)
    kind = failure_kind(run_both(example, parquet=parquet))
    if kind is None:
        return
    small = minimize(
        example, lambda candidate: failure_kind(run_both(candidate, parquet=parquet)) == kind
    )
    header = f"{kind}; minimized from {make.__name__}({seed}){' as Parquet' if parquet else ''}:"
    raise AssertionError(f"{header}\n{report(small, run_both(small, parquet=parquet))}")
