"""`segcli grid`: every customer on a grid's two axes, counted per cell and per group, and the
change of each group against another as-of.

Every customer counts (with or without an email: a grid pictures the customer base; a group
published as a snapshot follows the export rules). One query, one pass over the orders.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from segcli.backends import Inputs, load_engine
from segcli.errors import UsageError
from segcli.periods import resolve_as_of
from segcli.plan import CELL_CUSTOMERS, CELL_GROUP, CELL_X, CELL_Y, segment_column
from segcli.spec.grid import Grid
from segcli.spec.grid_parse import load_grid
from segcli.spec.model import Definition

DROP_ALERT = Decimal(20)  # percent: a group that shrinks by more is warned about
NO_GROUP = "no_group"


@dataclass(frozen=True, slots=True)
class Cell:
    x: int | None  # bin index, None off the grid
    y: int | None
    group: str | None  # None: no group holds
    customers: int


@dataclass(frozen=True, slots=True)
class GridCounts:
    grid: Grid
    as_of: datetime
    cells: tuple[Cell, ...]

    @property
    def total(self) -> int:
        return sum(c.customers for c in self.cells)

    def by_group(self) -> dict[str | None, int]:
        """Customers per group id, in the grid's order, then no group (when any)."""
        counts: dict[str | None, int] = dict.fromkeys(self.grid.group_ids(), 0)
        for cell in self.cells:
            counts[cell.group] = counts.get(cell.group, 0) + cell.customers
        return counts

    def by_cell(self) -> dict[tuple[int | None, int | None], dict[str | None, int]]:
        out: dict[tuple[int | None, int | None], dict[str | None, int]] = {}
        for cell in self.cells:
            groups = out.setdefault((cell.x, cell.y), {})
            groups[cell.group] = groups.get(cell.group, 0) + cell.customers
        return out


@dataclass(frozen=True, slots=True)
class GroupChange:
    group: str | None
    customers: int
    before: int
    dropped: bool  # shrank by more than the alert threshold

    @property
    def change(self) -> int:
        return self.customers - self.before

    @property
    def percent(self) -> Decimal | None:
        if self.before == 0:
            return None
        exact = Decimal(self.change * 100) / Decimal(self.before)
        return exact.quantize(Decimal("0.1"), ROUND_HALF_UP)


def find_grid(ref: str, near: Path | None = None) -> Grid:
    """A built-in grid by name, or a grid file (relative to `near`, default the working folder)."""
    return load_grid(ref, near)


def count_grid(grid: Grid, tables: Inputs, as_of: datetime) -> GridCounts:
    """Customers per cell and group, as of `as_of`."""
    from segcli.api import plan_segments  # noqa: PLC0415 - polars only when data is read

    groups = [
        Definition(
            f"{grid.grid_id}.{g.group_id}", g.name, grid.group_rule(i), include_unidentified=True
        )
        for i, g in enumerate(grid.groups)
    ]
    axes = Definition(f"{grid.grid_id}.axes", "axes", grid.axes_rule(), include_unidentified=True)
    plan = plan_segments([*groups, axes], tables, as_of)
    engine = load_engine(tables.engine)
    rows = engine.grid_cells(plan, tables, grid, [segment_column(d) for d in groups])
    ids = grid.group_ids()
    cells = tuple(
        Cell(
            r[CELL_X],
            r[CELL_Y],
            None if r[CELL_GROUP] is None else ids[r[CELL_GROUP]],
            r[CELL_CUSTOMERS],
        )
        for r in rows.sort(CELL_X, CELL_Y, CELL_GROUP, nulls_last=True).iter_rows(named=True)
    )
    return GridCounts(grid, as_of, cells)


def count_with_changes(
    grid: Grid, tables: Inputs, as_of: datetime, before: datetime | None, alert: Decimal
) -> tuple[GridCounts, list[GroupChange] | None]:
    """The counts as of `as_of` and, given `before`, each group's change since (one pass per
    as-of); `alert`: the drop in percent that flags a group."""
    counts = count_grid(grid, tables, as_of)
    if before is None:
        return counts, None
    return counts, group_changes(counts, count_grid(grid, tables, before), alert)


_DAYS = re.compile(r"\s*(\d+)\s*d(ays?)?\s*")


def compare_as_of(text: str, as_of: datetime, timezone: str) -> datetime:
    """`--compare 30d` (30 days before the as-of) or a date / datetime."""
    days = _DAYS.fullmatch(text)
    if days is not None:
        return as_of - timedelta(days=int(days.group(1)))
    try:
        return resolve_as_of(text, timezone)
    except (ValueError, UsageError) as error:
        raise UsageError(
            f"--compare: expected like 30d or a date YYYY-MM-DD, got {text!r}"
        ) from error


def group_changes(now: GridCounts, before: GridCounts, alert: Decimal) -> list[GroupChange]:
    """Each group's count now and before; `dropped` when it shrank by more than `alert` %."""
    was = before.by_group()
    changes = []
    for group, customers in now.by_group().items():
        earlier = was.get(group, 0)
        dropped = earlier > 0 and Decimal(earlier - customers) * 100 > alert * earlier
        changes.append(GroupChange(group, customers, earlier, dropped and group is not None))
    return changes


def share(part: int, whole: int) -> Decimal:
    """Percent, to one decimal (half up)."""
    if whole == 0:
        return Decimal("0.0")
    return (Decimal(part * 100) / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def grid_json(counts: GridCounts, changes: list[GroupChange] | None = None) -> dict[str, object]:
    grid, total = counts.grid, counts.total
    names = {g.group_id: g for g in grid.groups}
    by_change = {c.group: c for c in changes or []}
    groups: list[dict[str, object]] = []
    for group, customers in counts.by_group().items():
        entry: dict[str, object] = {
            "id": group or NO_GROUP,
            "name": names[group].name if group in names else "No group",
            "color": names[group].color if group in names else None,
            "customers": customers,
            "share": str(share(customers, total)),
        }
        if group in by_change:
            change = by_change[group]
            percent = change.percent
            entry |= {"before": change.before, "change": change.change}
            entry |= {"change_percent": None if percent is None else str(percent)}
            entry |= {"dropped": change.dropped}
        groups.append(entry)
    cells = [
        {
            "x": x,
            "y": y,
            "x_label": None if x is None else grid.x.labels()[x],
            "y_label": None if y is None else grid.y.labels()[y],
            "customers": sum(parts.values()),
            "share": str(share(sum(parts.values()), total)),
            "groups": {(g or NO_GROUP): n for g, n in parts.items()},
        }
        for (x, y), parts in counts.by_cell().items()
    ]
    return {
        "grid": grid.grid_id,
        "name": grid.name,
        "as_of": counts.as_of.isoformat(),
        "x": {"field": grid.x.field, "label": grid.x.label, "bins": list(grid.x.labels())},
        "y": {"field": grid.y.field, "label": grid.y.label, "bins": list(grid.y.labels())},
        "customers": total,
        "groups": groups,
        "cells": cells,
    }


def grid_bytes(counts: GridCounts, changes: list[GroupChange] | None, *, as_json: bool) -> bytes:
    """The machine output: `grid_json` as indented JSON, or `grid_csv`."""
    if as_json:
        return (json.dumps(grid_json(counts, changes), indent=2) + "\n").encode("utf-8")
    return grid_csv(counts)


def grid_csv(counts: GridCounts) -> bytes:
    """One row per cell and group: x, y (bin labels, empty off the grid), group, customers,
    share of all customers."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([counts.grid.x.field, counts.grid.y.field, "group", "customers", "share"])
    x_labels, y_labels = counts.grid.x.labels(), counts.grid.y.labels()
    for cell in counts.cells:
        writer.writerow(
            [
                "" if cell.x is None else x_labels[cell.x],
                "" if cell.y is None else y_labels[cell.y],
                cell.group or NO_GROUP,
                cell.customers,
                share(cell.customers, counts.total),
            ]
        )
    return out.getvalue().encode("utf-8")


def builtin_grid_list() -> list[Grid]:
    """The grids that ship with segcli, by name."""
    from segcli.spec.grid_parse import builtin_grids  # noqa: PLC0415

    return [load_grid(name) for name in builtin_grids()]
