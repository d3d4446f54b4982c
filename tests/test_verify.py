"""`segcli verify` (verify.py): every kind of change to a snapshot is found."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from snapshot_samples import NEW, manifest

from segcli.errors import SnapshotError
from segcli.manifest import manifest_path
from segcli.snapshot import write_snapshot
from segcli.verify import check_snapshot, verify_snapshot

if TYPE_CHECKING:
    from collections.abc import Callable


@pytest.mark.parametrize(
    ("tamper", "problem"),
    [
        (lambda data: data.replace(b"10.00", b"99.00"), "sha256"),
        (lambda data: data + b"Eve,,,,,,,0.00\n", "3 rows, manifest says 2"),
        (lambda data: data[:-30], "size"),
        (lambda data: data.replace(b"Name,First", b"Nom,First", 1), "header differs"),
        (lambda data: data.replace(b"Ann", b"\xff\xfe"), "not valid UTF-8"),
    ],
)
def test_verify_finds_every_kind_of_change(
    snapshot_file: Path, tamper: Callable[[bytes], bytes], problem: str
) -> None:
    write_snapshot(NEW, snapshot_file, manifest())
    assert verify_snapshot(snapshot_file).ok
    snapshot_file.write_bytes(tamper(NEW))
    check = verify_snapshot(snapshot_file).checks[0]
    assert check.status == "mismatch"
    assert any(problem in text for text in check.problems), check.problems


def test_verify_reports_an_unreadable_manifest(snapshot_file: Path) -> None:
    write_snapshot(NEW, snapshot_file, manifest())
    manifest_path(snapshot_file).write_text('{"format": "segcli-snapshot-manifest/1"}', "utf-8")
    check = check_snapshot(snapshot_file)
    assert check.status == "mismatch"
    assert "malformed" in check.problems[0]


def test_verify_folder_is_recursive_and_accepts_a_manifest_path(tmp_path: Path) -> None:
    for segment in ("vip", "lapsed"):
        write_snapshot(NEW, tmp_path / segment / "2024-06-01.csv", manifest(segment_id=segment))
    (tmp_path / "vip" / "notes.txt").write_text("not a snapshot", "utf-8")
    result = verify_snapshot(tmp_path)
    assert result.ok
    assert [c.path.parent.name for c in result.checks] == ["lapsed", "vip"]
    assert verify_snapshot(manifest_path(tmp_path / "vip" / "2024-06-01.csv")).ok
    with pytest.raises(SnapshotError, match="no snapshot at"):
        verify_snapshot(tmp_path / "vip" / "2020-01-01.csv")
