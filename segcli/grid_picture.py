"""`segcli grid --png/--svg`: the grid as a picture (matplotlib, the optional extra `plot`).

Each cell is filled with the colour of the group that holds most of its customers and shows
its count; the legend gives each group's total (and change, with --compare). The Agg backend
draws without a display, so it runs the same on a server as on a laptop.
"""

from __future__ import annotations

import importlib
import io
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from segcli.errors import UsageError
from segcli.grid import GridCounts, GroupChange, share
from segcli.snapshot import write_file_atomic

if TYPE_CHECKING:
    from matplotlib.axes import Axes

Kind = Literal["png", "svg"]
EMPTY = "#f4f4f4"
DPI = 100


def require_matplotlib() -> None:
    """Fail before any data is read when the picture cannot be drawn."""
    try:
        importlib.import_module("matplotlib")
    except ImportError:
        raise UsageError("--png/--svg need matplotlib: pip install 'segcli[plot]'") from None


def draw_grid(
    counts: GridCounts, changes: list[GroupChange] | None, path: Path, kind: Kind
) -> None:
    """Write the picture to `path` atomically (never a partial file)."""
    require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415
    from matplotlib.figure import Figure  # noqa: PLC0415

    grid = counts.grid
    columns, rows = len(grid.x.edges), len(grid.y.edges)
    figure = Figure(figsize=(1.1 * columns + 4.2, 0.75 * rows + 1.8), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_axes((0.09, 0.14, 0.5, 0.72))
    _cells(axes, counts)
    axes.set_title(f"{grid.name} as of {counts.as_of.date()} ({counts.total} customers)")
    _legend(figure, axes, counts, changes)
    buffer = io.BytesIO()
    figure.savefig(buffer, format=kind, dpi=DPI, metadata=_metadata(kind))
    write_file_atomic(path, buffer.getvalue())


def _metadata(kind: Kind) -> dict[str, str | None]:
    """No creation date in the file: the same counts give the same bytes."""
    return {"Software": None} if kind == "png" else {"Date": None}


def _cells(axes: Axes, counts: GridCounts) -> None:
    from matplotlib.patches import Rectangle  # noqa: PLC0415

    grid = counts.grid
    colors = {g.group_id: g.color for g in grid.groups}
    cells = counts.by_cell()
    for x in range(len(grid.x.edges)):
        for y in range(len(grid.y.edges)):
            parts = cells.get((x, y), {})
            number = sum(parts.values())
            main = max(parts, key=lambda g: parts[g], default=None)
            fill = colors.get(main, EMPTY) if main is not None else EMPTY
            axes.add_patch(Rectangle((x, y), 1, 1, facecolor=fill, edgecolor="white", lw=2))
            if number:
                text = f"{number}\n{share(number, counts.total)} %"
                ink = "white" if _dark(fill) else "black"
                axes.text(x + 0.5, y + 0.5, text, ha="center", va="center", color=ink, fontsize=8)
    axes.set_xlim(0, len(grid.x.edges))
    axes.set_ylim(0, len(grid.y.edges))
    axes.set_xticks([i + 0.5 for i in range(len(grid.x.edges))], grid.x.labels())
    axes.set_yticks([i + 0.5 for i in range(len(grid.y.edges))], grid.y.labels())
    axes.set_xlabel(grid.x.label)
    axes.set_ylabel(grid.y.label)
    axes.tick_params(length=0)
    for spine in axes.spines.values():
        spine.set_visible(False)


def _legend(
    figure: object, axes: Axes, counts: GridCounts, changes: list[GroupChange] | None
) -> None:
    from matplotlib.patches import Patch  # noqa: PLC0415

    by_change = {c.group: c for c in changes or []}
    handles = []
    for group in counts.grid.groups:
        customers = counts.by_group().get(group.group_id, 0)
        label = f"{group.name}: {customers} ({share(customers, counts.total)} %)"
        change = by_change.get(group.group_id)
        if change is not None:
            percent = "" if change.percent is None else f", {change.percent:+} %"
            label += f"  {change.change:+}{percent}" + ("  ▼ drop" if change.dropped else "")
        handles.append(Patch(facecolor=group.color, label=label))
    none = counts.by_group().get(None, 0)
    if none:
        handles.append(Patch(facecolor=EMPTY, label=f"No group: {none}"))
    axes.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.03, 1.0), frameon=False)
    del figure


def _dark(color: str) -> bool:
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return 0.299 * red + 0.587 * green + 0.114 * blue < 140
