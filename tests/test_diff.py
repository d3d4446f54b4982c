"""`segcli diff` (diff.py): who entered and who left a segment between two snapshots."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from snapshot_samples import NEW, OLD, manifest

from segcli.diff import diff_snapshots, latest_two, write_diff
from segcli.errors import SnapshotError
from segcli.export import render_csv
from segcli.snapshot import FILE_MODE, write_snapshot


def export(rows: list[tuple[str, str | None, int]], *, with_id: bool = False) -> bytes:
    frame = pl.DataFrame(
        {
            "customer_key": [key for key, _, _ in rows],
            "email": [email for _, email, _ in rows],
            "first_name": ["=Eve" if key == "C9" else f"F{key}" for key, _, _ in rows],
            "spend_cents": [cents for _, _, cents in rows],
        }
    )
    return render_csv(frame, timezone="UTC", with_id=with_id)


def snapshots(tmp_path: Path, *, old_id: bool, new_id: bool) -> tuple[Path, Path]:
    old_rows = [("C1", "a@x.com", 100), ("C2", "b@x.com", 200), ("C3", None, 5)]
    new_rows = [("C2", "b@x.com", 250), ("C3", None, 5), ("C9", "e,ve@x.com", -100)]
    old, new = tmp_path / "seg" / "2024-06-01.csv", tmp_path / "seg" / "2024-06-02.csv"
    write_snapshot(export(old_rows, with_id=old_id), old, manifest(as_of="2024-06-01"))
    write_snapshot(export(new_rows, with_id=new_id), new, manifest(as_of="2024-06-02"))
    return old, new


def test_diff_by_email_counts_entered_left_stayed(tmp_path: Path) -> None:
    old, new = snapshots(tmp_path, old_id=False, new_id=True)
    result = diff_snapshots(old, new)
    assert result.matched_by == "Email Address"
    assert (result.entered_count, result.left_count, result.stayed) == (1, 1, 2)
    assert result.entered.get_column("Email Address").to_list() == ["e,ve@x.com"]
    assert result.left.get_column("Email Address").to_list() == ["a@x.com"]


def test_diff_by_customer_id_when_both_have_it(tmp_path: Path) -> None:
    old, new = snapshots(tmp_path, old_id=True, new_id=True)
    result = diff_snapshots(old, new)
    assert result.matched_by == "Customer ID"
    assert result.entered.get_column("Customer ID").to_list() == ["C9"]
    assert result.left.get_column("Customer ID").to_list() == ["C1"]
    assert result.stayed == 2


def test_write_diff_rows_are_the_snapshot_rows_byte_for_byte(tmp_path: Path) -> None:
    old, new = snapshots(tmp_path, old_id=False, new_id=False)
    entered, left = write_diff(diff_snapshots(old, new), tmp_path / "diff")
    new_lines, old_lines = new.read_bytes().splitlines(), old.read_bytes().splitlines()
    assert entered.read_bytes() == b"\n".join([new_lines[0], new_lines[3]]) + b"\n"
    assert entered.read_bytes().splitlines()[1].startswith(b"'=Eve,'=Eve,,\"e,ve@x.com\",")
    assert left.read_bytes() == b"\n".join([old_lines[0], old_lines[1]]) + b"\n"
    assert entered.stat().st_mode & 0o777 == FILE_MODE


def test_latest_two_by_as_of_skipping_replaced_and_incomplete(tmp_path: Path) -> None:
    old, new = snapshots(tmp_path, old_id=False, new_id=False)
    folder = old.parent
    write_snapshot(OLD, folder / "2024-05-01.csv", manifest(as_of="2024-05-01"))
    write_snapshot(NEW, new, manifest(as_of="2024-06-02"), replace=True)
    (folder / "2024-07-01.csv").write_bytes(NEW)  # no manifest: not a complete snapshot
    assert latest_two(folder) == (old, new)
    single = tmp_path / "single"
    write_snapshot(OLD, single / "2024-06-01.csv", manifest())
    with pytest.raises(SnapshotError, match="holds 1 complete snapshot"):
        latest_two(single)


def test_diff_refuses_files_not_in_the_export_format(tmp_path: Path) -> None:
    other = tmp_path / "other.csv"
    other.write_bytes(b"id,email\n1,a@x.com\n")
    old, _ = snapshots(tmp_path, old_id=False, new_id=False)
    with pytest.raises(SnapshotError, match="not in the segcli export format"):
        diff_snapshots(old, other)
