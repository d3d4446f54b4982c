"""Checking snapshots against their manifests (``segcli verify``).

Each snapshot gets one status:

- ``ok``: CSV and manifest present; size, sha256, header and row count agree.
- ``mismatch``: the manifest is unreadable, or the CSV differs from it (edited, truncated...).
- ``incomplete``: a CSV without manifest, or a manifest without CSV. segcli itself never leaves
  a CSV without manifest; a manifest alone is a write that was interrupted between its two
  renames, and the next run of that segment and as-of completes it.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal

from segcli.errors import SnapshotError
from segcli.manifest import (
    MANIFEST_SUFFIX,
    Manifest,
    csv_shape,
    hash_file,
    manifest_path,
    read_manifest,
    snapshot_path,
)

if TYPE_CHECKING:
    from pathlib import Path

SnapshotStatus = Literal["ok", "mismatch", "incomplete"]
SNAPSHOT_SUFFIX: Final = ".csv"


@dataclass(frozen=True, slots=True)
class SnapshotCheck:
    path: Path  # the snapshot CSV (which may be the missing half)
    status: SnapshotStatus
    problems: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class VerifyResult:
    checks: tuple[SnapshotCheck, ...]

    @property
    def ok(self) -> bool:
        return all(check.status == "ok" for check in self.checks)

    def with_status(self, status: SnapshotStatus) -> tuple[SnapshotCheck, ...]:
        return tuple(check for check in self.checks if check.status == status)


def verify_snapshot(path: Path) -> VerifyResult:
    """Check one snapshot (its CSV or its manifest), or every snapshot under a folder."""
    if path.is_dir():
        return VerifyResult(tuple(check_snapshot(csv) for csv in find_snapshots(path)))
    csv_path = snapshot_path(path) if path.name.endswith(MANIFEST_SUFFIX) else path
    if not csv_path.exists() and not manifest_path(csv_path).exists():
        raise SnapshotError(f"no snapshot at {path}")
    return VerifyResult((check_snapshot(csv_path),))


def find_snapshots(folder: Path) -> list[Path]:
    """Every snapshot CSV under ``folder`` (recursively), with or without its manifest, sorted."""
    found = {p for p in folder.rglob(f"*{SNAPSHOT_SUFFIX}") if p.is_file()}
    found.update(snapshot_path(p) for p in folder.rglob(f"*{MANIFEST_SUFFIX}") if p.is_file())
    return sorted(found)


def check_snapshot(csv_path: Path) -> SnapshotCheck:
    """The status of one snapshot, with each problem found in plain words."""
    manifest_file = manifest_path(csv_path)
    if not manifest_file.exists():
        return SnapshotCheck(csv_path, "incomplete", ("no manifest beside the CSV",))
    if not csv_path.exists():
        problem = "manifest without its CSV (an interrupted write; rerun to complete it)"
        return SnapshotCheck(csv_path, "incomplete", (problem,))
    try:
        manifest = read_manifest(manifest_file)
        problems = compare_with_manifest(csv_path, manifest)
    except SnapshotError as error:
        problems = [str(error)]
    return SnapshotCheck(csv_path, "mismatch" if problems else "ok", tuple(problems))


def compare_with_manifest(csv_path: Path, manifest: Manifest) -> list[str]:
    """Differences between a CSV file and its manifest (empty when they agree)."""
    problems: list[str] = []
    try:
        size = csv_path.stat().st_size
        digest = hash_file(csv_path)
        with csv_path.open("rb") as stream:
            shape = csv_shape(stream)
    except OSError as error:
        raise SnapshotError(f"cannot read {csv_path}: {error.strerror}") from error
    except (UnicodeDecodeError, csv.Error):
        shape = None
        problems.append("the CSV is not valid UTF-8 CSV")
    if size != manifest.output_size:
        problems.append(f"size {size} bytes, manifest says {manifest.output_size}")
    if digest != manifest.output_sha256:
        problems.append(f"sha256 {digest[:12]}…, manifest says {manifest.output_sha256[:12]}…")
    if shape is not None and shape.header != manifest.header:
        problems.append("header differs from the manifest's")
    if shape is not None and shape.rows != manifest.rows:
        problems.append(f"{shape.rows} rows, manifest says {manifest.rows}")
    return problems
