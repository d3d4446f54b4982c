"""Frozen snapshots (snapshot.py): atomic writes, never-overwrite, replace, write failures, lock.

Crashes mid-write are in test_snapshot_crashes.py.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from snapshot_samples import NEW, OLD, folder_bytes, manifest, temp_files

from segcli.errors import ExitCode, LockedError, SnapshotError
from segcli.manifest import manifest_json, manifest_path
from segcli.snapshot import (
    FILE_MODE,
    TEMP_SUFFIX,
    acquire_lock,
    write_file_atomic,
    write_snapshot,
)
from segcli.verify import verify_snapshot

if TYPE_CHECKING:
    from collections.abc import Iterator


# --- writing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o277])
def test_write_creates_csv_and_manifest_mode_0600(snapshot_file: Path, umask: int) -> None:
    previous = os.umask(umask)
    try:
        result = write_snapshot(NEW, snapshot_file, manifest())
    finally:
        os.umask(previous)
    assert result.status == "written"
    assert snapshot_file.read_bytes() == NEW
    assert result.manifest_path == snapshot_file.with_name("2024-06-01.csv.manifest.json")
    for path in (snapshot_file, result.manifest_path):
        assert path.stat().st_mode & 0o777 == FILE_MODE
    assert temp_files(snapshot_file.parent) == []


def test_same_bytes_again_is_a_no_op(snapshot_file: Path) -> None:
    first = write_snapshot(NEW, snapshot_file, manifest())
    before = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in snapshot_file.parent.iterdir()}
    again = write_snapshot(NEW, snapshot_file, manifest(definition_sha256="ef" * 32))
    assert again.status == "unchanged"
    assert again.manifest == first.manifest  # the manifest on disk, untouched
    after = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in snapshot_file.parent.iterdir()}
    assert after == before


def test_different_bytes_are_refused_without_replace(snapshot_file: Path) -> None:
    write_snapshot(OLD, snapshot_file, manifest())
    before = folder_bytes(snapshot_file.parent)
    with pytest.raises(SnapshotError) as raised:
        write_snapshot(NEW, snapshot_file, manifest())
    assert str(raised.value) == (
        f"snapshot {snapshot_file} exists with different content; pass --replace to keep both"
    )
    assert raised.value.exit_code == ExitCode.SEGMENTS_FAILED
    assert folder_bytes(snapshot_file.parent) == before


def test_replace_keeps_the_old_snapshot_beside_the_new(snapshot_file: Path) -> None:
    write_snapshot(OLD, snapshot_file, manifest())
    old_manifest = manifest_path(snapshot_file).read_bytes()
    result = write_snapshot(NEW, snapshot_file, manifest(), replace=True)
    kept = snapshot_file.with_name("2024-06-01.replaced-1.csv")
    assert (result.status, result.replaced_path) == ("replaced", kept)
    assert kept.read_bytes() == OLD
    assert manifest_path(kept).read_bytes() == old_manifest
    assert snapshot_file.read_bytes() == NEW
    third = write_snapshot(OLD + b"x,,,,,,,0.00\n", snapshot_file, manifest(), replace=True)
    assert third.replaced_path == snapshot_file.with_name("2024-06-01.replaced-2.csv")
    assert third.replaced_path.read_bytes() == NEW
    assert verify_snapshot(snapshot_file.parent).ok
    assert len(verify_snapshot(snapshot_file.parent).checks) == 3
    assert write_snapshot(OLD + b"x,,,,,,,0.00\n", snapshot_file, manifest()).status == "unchanged"


def test_csv_without_manifest_is_incomplete_then_completed(snapshot_file: Path) -> None:
    snapshot_file.parent.mkdir(parents=True)
    snapshot_file.write_bytes(NEW)
    assert verify_snapshot(snapshot_file).checks[0].status == "incomplete"
    with pytest.raises(SnapshotError, match="different content"):
        write_snapshot(OLD, snapshot_file, manifest())
    assert write_snapshot(NEW, snapshot_file, manifest()).status == "completed"
    assert verify_snapshot(snapshot_file).ok


def test_manifest_without_csv_is_an_interrupted_write_that_a_rerun_completes(
    snapshot_file: Path,
) -> None:
    snapshot_file.parent.mkdir(parents=True)
    manifest_path(snapshot_file).write_bytes(manifest_json(manifest()))
    check = verify_snapshot(snapshot_file.parent).checks[0]
    assert (check.path, check.status) == (snapshot_file, "incomplete")
    assert write_snapshot(NEW, snapshot_file, manifest()).status == "written"
    assert verify_snapshot(snapshot_file.parent).ok


def test_identical_csv_with_a_wrong_manifest_is_refused(snapshot_file: Path) -> None:
    write_snapshot(NEW, snapshot_file, manifest())
    manifest_path(snapshot_file).write_text("{}", "utf-8")
    with pytest.raises(SnapshotError, match="does not match its manifest"):
        write_snapshot(NEW, snapshot_file, manifest())
    result = write_snapshot(NEW, snapshot_file, manifest(), replace=True)
    assert result.status == "replaced"
    assert manifest_path(result.replaced_path or snapshot_file).read_text("utf-8") == "{}"


def test_write_file_atomic_replaces_and_is_private(tmp_path: Path) -> None:
    target = tmp_path / "diffs" / "entered.csv"
    write_file_atomic(target, b"one")
    write_file_atomic(target, b"two")
    assert target.read_bytes() == b"two"
    assert target.stat().st_mode & 0o777 == FILE_MODE
    assert temp_files(tmp_path) == []


def test_file_systems_without_hard_links_fall_back_to_rename(
    snapshot_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(_source: object, _target: object) -> None:
        raise OSError(errno.EPERM, os.strerror(errno.EPERM))

    monkeypatch.setattr(os, "link", no_links)
    assert write_snapshot(OLD, snapshot_file, manifest()).status == "written"
    assert write_snapshot(OLD, snapshot_file, manifest()).status == "unchanged"
    assert write_snapshot(NEW, snapshot_file, manifest(), replace=True).status == "replaced"
    monkeypatch.undo()
    assert snapshot_file.with_name("2024-06-01.replaced-1.csv").read_bytes() == OLD
    assert verify_snapshot(snapshot_file.parent).ok
    assert temp_files(snapshot_file.parent) == []


def test_data_that_is_not_utf8_csv_is_refused(snapshot_file: Path) -> None:
    with pytest.raises(SnapshotError, match="is not UTF-8 CSV"):
        write_snapshot(b"Name\n\xff\n", snapshot_file, manifest())
    assert not snapshot_file.exists()


# --- write failures --------------------------------------------------------------------------


def test_no_space_left_gives_a_clear_error_and_changes_nothing(
    snapshot_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    earlier = snapshot_file.with_name("2024-05-01.csv")
    write_snapshot(OLD, earlier, manifest())
    before = folder_bytes(snapshot_file.parent)

    def no_space(_fd: int, _data: object) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "write", no_space)
    with pytest.raises(SnapshotError) as raised:
        write_snapshot(NEW, snapshot_file, manifest())
    monkeypatch.undo()
    message = str(raised.value)
    assert message.startswith(f"cannot write snapshot {snapshot_file}: No space left on device")
    assert "\n" not in message
    assert folder_bytes(snapshot_file.parent) == before  # no temp file, earlier intact
    assert verify_snapshot(snapshot_file.parent).ok


@pytest.mark.parametrize("failing_write", [1, 2, 3])
def test_failure_on_any_temp_write_of_a_replace_leaves_all_as_it_was(
    snapshot_file: Path, monkeypatch: pytest.MonkeyPatch, failing_write: int
) -> None:
    write_snapshot(OLD, snapshot_file, manifest())
    before = folder_bytes(snapshot_file.parent)
    real_write, calls = os.write, [0]

    def write_until_full(fd: int, data: bytes) -> int:
        calls[0] += 1
        if calls[0] == failing_write:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", write_until_full)
    with pytest.raises(SnapshotError, match="No space left on device"):
        write_snapshot(NEW, snapshot_file, manifest(), replace=True)
    monkeypatch.undo()
    assert folder_bytes(snapshot_file.parent) == before


@pytest.mark.parametrize("code", [errno.EACCES, errno.EROFS, errno.EDQUOT])
def test_refused_temp_file_is_a_clear_error(
    snapshot_file: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    real_open = os.open

    def refuse_temps(path: str | Path, flags: int, mode: int = 0o777) -> int:
        if str(path).endswith(TEMP_SUFFIX):
            raise OSError(code, os.strerror(code), str(path))
        return real_open(path, flags, mode)

    monkeypatch.setattr(os, "open", refuse_temps)
    with pytest.raises(SnapshotError, match=f"{snapshot_file}: {os.strerror(code)}"):
        write_snapshot(NEW, snapshot_file, manifest())
    monkeypatch.undo()
    assert list(snapshot_file.parent.iterdir()) == []


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """Make `folder` really read-only. chmod does not stop root, so as root the folder becomes a
    tmpfs mount remounted read-only (its files copied in first)."""
    if os.geteuid() != 0:
        folder.chmod(0o500)
        try:
            yield
        finally:
            folder.chmod(0o700)
        return
    saved = {p.name: p.read_bytes() for p in folder.iterdir()}
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(folder)], check=True)
    try:
        for name, data in saved.items():
            (folder / name).write_bytes(data)
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        yield
    finally:
        subprocess.run(["umount", str(folder)], check=True)
        for name, data in saved.items():
            (folder / name).write_bytes(data)


def test_read_only_folder(snapshot_file: Path) -> None:
    earlier = snapshot_file.with_name("2024-05-01.csv")
    write_snapshot(OLD, earlier, manifest())
    folder = snapshot_file.parent
    with read_only(folder):
        with pytest.raises(SnapshotError, match=f"cannot write snapshot {snapshot_file}: "):
            write_snapshot(NEW, snapshot_file, manifest())
        assert sorted(p.name for p in folder.iterdir()) == [
            "2024-05-01.csv",
            "2024-05-01.csv.manifest.json",
        ]
        assert verify_snapshot(folder).ok


def test_path_under_a_file_is_a_clear_error(tmp_path: Path) -> None:
    """Fails for root too: a regular file cannot hold a folder."""
    (tmp_path / "out").write_text("I am a file", "utf-8")
    target = tmp_path / "out" / "vip" / "2024-06-01.csv"
    with pytest.raises(SnapshotError, match=f"cannot write snapshot {target}: Not a directory"):
        write_snapshot(NEW, target, manifest())
    with pytest.raises(SnapshotError, match="Not a directory"):
        write_file_atomic(tmp_path / "out" / "diff" / "entered.csv", b"x")


# --- the output lock -------------------------------------------------------------------------


def test_a_held_lock_refuses_a_second_run(tmp_path: Path) -> None:
    with acquire_lock(tmp_path / "out") as lock:
        assert lock.path == tmp_path / "out" / ".segcli.lock"
        with pytest.raises(LockedError) as raised, acquire_lock(tmp_path / "out"):
            pass
        assert raised.value.exit_code == ExitCode.LOCKED
        assert int(ExitCode.LOCKED) == 75
        assert str(raised.value).startswith(
            f"another segcli run (pid {os.getpid()}) holds {lock.path}; "
        )
    with acquire_lock(tmp_path / "out"):  # released on exit
        pass


def test_taking_the_lock_removes_stale_temp_files(tmp_path: Path) -> None:
    stale = tmp_path / "vip" / f".2024-06-01.csv.0123abcd{TEMP_SUFFIX}"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"half a snap")
    keep = tmp_path / "vip" / "2024-05-01.csv"
    keep.write_bytes(b"x")
    with acquire_lock(tmp_path) as lock:
        assert lock.stale_temp_files == (stale,)
    assert not stale.exists()
    assert keep.exists()


HOLD_LOCK_SCRIPT = """
import sys, time
from pathlib import Path
from segcli.snapshot import acquire_lock
with acquire_lock(Path(sys.argv[1])):
    print("ready", flush=True)
    time.sleep(60)
"""


def test_a_killed_holder_releases_the_lock(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            HOLD_LOCK_SCRIPT,
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline() == "ready\n"
    with pytest.raises(LockedError, match=f"pid {holder.pid}"), acquire_lock(tmp_path):
        pass
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    holder.stdout.close()
    with acquire_lock(tmp_path):
        pass
