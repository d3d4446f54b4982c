"""`segcli grid --png/--svg`: the picture read back (size, not blank, the groups' colours), and
the one-line error without matplotlib."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image  # Pillow comes with matplotlib (the plot extra; make install has it)

from segcli.spec.grid_parse import load_grid

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
DATA = [str(SAMPLE / "orders.parquet"), "--customers", str(SAMPLE / "customers.parquet")]


def _rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


@pytest.mark.parametrize("grid", ["retention", "rfm"])
def test_the_png_shows_every_cell_in_its_groups_colour(tmp_path: Path, grid: str) -> None:
    picture = tmp_path / "grid.png"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "segcli",
            "grid",
            *DATA,
            "--grid",
            grid,
            "--as-of",
            "2025-01-01",
            "--png",
            str(picture),
            "--json",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    spec = load_grid(grid)
    with Image.open(picture) as image:
        columns, rows = len(spec.x.edges), len(spec.y.edges)
        assert image.size == (round(110 * columns + 420), round(75 * rows + 180))
        pixels = image.convert("RGB")
        counts = {rgb: n for n, rgb in pixels.getcolors(maxcolors=1 << 20) or []}
    assert len(counts) > 10  # not blank
    # Each cell's largest group, by the JSON; its colour fills at least a cell's inside.
    colors = {g.group_id: g.color for g in spec.groups}
    shown = {max(c["groups"], key=c["groups"].get) for c in report["cells"] if c["x"] is not None}
    assert shown
    for group in shown:
        assert counts.get(_rgb(colors[group]), 0) > 1000, group


def test_the_svg_is_written(tmp_path: Path) -> None:
    picture = tmp_path / "grid.svg"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "segcli",
            "grid",
            *DATA,
            "--as-of",
            "2025-01-01",
            "--svg",
            str(picture),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    text = picture.read_text(encoding="utf-8")
    assert text.startswith("<?xml")
    assert "#1a9850" in text  # Loyal's colour


def test_without_matplotlib_the_picture_is_a_one_line_error(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['matplotlib'] = None; "
        "sys.argv = ['segcli', 'grid', *sys.argv[1:]]; "
        "from segcli.cli import main; main()"
    )
    picture = tmp_path / "grid.png"
    result = subprocess.run(
        [sys.executable, "-c", code, *DATA, "--png", str(picture)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: --png/--svg need matplotlib: pip install 'segcli[plot]'"
    ]
    assert not picture.exists()
