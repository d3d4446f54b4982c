"""Shared fixtures: where the project and its sample data live."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_TABLES = ("orders", "order_lines", "customers", "reviews")


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def sample_csvs() -> dict[str, Path]:
    """The canonical CSV files of sample_data/, by table."""
    paths = {table: ROOT / "sample_data" / f"{table}.csv" for table in SAMPLE_TABLES}
    missing = [str(p) for p in paths.values() if not p.exists()]
    assert not missing, f"sample data missing: {missing}"
    return paths


@pytest.fixture
def snapshot_file(tmp_path: Path) -> Path:
    """Where a snapshot of segment `vip` as of 2024-06-01 goes; its folders do not exist yet."""
    return tmp_path / "out" / "vip" / "2024-06-01.csv"
