"""tests/random_shops.py, as the differential tests of every engine use it: the same seed makes
the same example, and a shop's frames hold the cells its CSV files hold."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from random_shops import random_example, segment_example, shop_frames, write_files


@pytest.mark.parametrize("seed", [0, 1, 2**32 - 1])
def test_a_seed_makes_the_same_example_every_time(seed: int) -> None:
    assert random_example(seed) == random_example(seed)
    assert segment_example(seed) == segment_example(seed)


@pytest.mark.parametrize("seed", range(12))
def test_frames_hold_the_cells_of_the_files(seed: int, tmp_path: Path) -> None:
    example = random_example(seed)
    paths = write_files(tmp_path, example)
    for table, frame in shop_frames(example.shop).items():
        with paths[table].open(newline="", encoding="utf-8") as file:
            header, *rows = csv.reader(file)
        assert frame.columns == header
        assert [list(row) for row in frame.iter_rows()] == rows
