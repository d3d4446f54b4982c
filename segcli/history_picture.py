"""`segcli history --png`: the members over time as a line chart (matplotlib, the `plot` extra).

The upper panel is the member count at each date; the lower one the customers who entered
(above the axis) and left (below it) since the date before. The Agg backend draws without a
display, and the file carries no creation date: the same series gives the same bytes.
"""

from __future__ import annotations

import io
from pathlib import Path

from segcli.grid_picture import DPI, require_matplotlib
from segcli.history import History
from segcli.snapshot import write_file_atomic

ENTERED, LEFT, MEMBERS = "#2e7d32", "#c62828", "#1f4e8c"


def draw_history(history: History, path: Path) -> None:
    """Write the chart to `path` as PNG, atomically (never a partial file)."""
    require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415
    from matplotlib.figure import Figure  # noqa: PLC0415

    days = [p.day for p in history.points]
    figure = Figure(figsize=(9, 5.5), dpi=DPI)
    FigureCanvasAgg(figure)
    upper, lower = figure.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    upper.plot(days, [p.members for p in history.points], color=MEMBERS, marker="o")
    upper.set_ylabel("members")
    upper.set_ylim(bottom=0)
    upper.set_title(f"{history.name} ({history.segment_id}), every {history.every}")
    upper.grid(visible=True, alpha=0.3)
    width = _bar_width(history)
    entered = [p.entered or 0 for p in history.points]
    left = [-(p.left or 0) for p in history.points]
    lower.bar(days, entered, width=width, color=ENTERED, label="entered")
    lower.bar(days, left, width=width, color=LEFT, label="left")
    lower.axhline(0, color="black", linewidth=0.8)
    lower.set_ylabel("since the date before")
    lower.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)  # never over a bar
    lower.grid(visible=True, alpha=0.3)
    figure.autofmt_xdate()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    write_file_atomic(path, buffer.getvalue())


def _bar_width(history: History) -> float:
    """Bars a little narrower than the step between dates (in days)."""
    return {"day": 0.8, "week": 5.0}.get(history.every, 20.0)
