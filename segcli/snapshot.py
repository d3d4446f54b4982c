"""Frozen snapshots: atomic, never-overwritten CSV files with a manifest, and the output lock.

A **complete snapshot** is a CSV and its manifest (``<name>.csv.manifest.json``, see
:mod:`segcli.manifest`), both present and agreeing. How one is written:

1. Every byte is written first, to hidden temp files in the snapshot's folder
   (``.<final name>.<random>.segcli-tmp``, mode 0600 whatever the umask), each fsynced. A write
   failure (no space, no permission, read-only folder) removes the temp files and raises a
   SnapshotError naming the snapshot; nothing under a final name has changed.
2. The manifest is renamed into place, the folder fsynced; then the CSV is linked into place
   (``link()`` refuses to overwrite; ``rename()`` where links are not supported) and the folder
   fsynced again. The CSV's appearance is the commit point, so **a CSV never exists under its
   final name without its complete manifest**. A crash between the two leaves a manifest
   without CSV: an interrupted write, which the next write of that snapshot simply completes.
3. A snapshot is never overwritten. Writing the same bytes again is a no-op ("unchanged");
   different bytes are refused unless ``replace=True``, which keeps the old CSV and manifest as
   ``<stem>.replaced-<n>.csv`` (+ manifest), then publishes the new pair. Nothing is deleted.

Temp files left by a killed run are removed by :func:`acquire_lock` (only the lock holder may
write into the folder, so any temp file found then is stale).
"""

from __future__ import annotations

import contextlib
import csv
import errno
import fcntl
import os
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal

from segcli.errors import LockedError, SnapshotError
from segcli.manifest import (
    Manifest,
    complete_manifest,
    hash_file,
    manifest_json,
    manifest_path,
    read_manifest,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

__all__ = [
    "FILE_MODE",
    "LOCK_NAME",
    "TEMP_SUFFIX",
    "OutputLock",
    "WriteResult",
    "acquire_lock",
    "remove_stale_temp_files",
    "replaced_path",
    "write_file_atomic",
    "write_snapshot",
]

TEMP_SUFFIX: Final = ".segcli-tmp"
LOCK_NAME: Final = ".segcli.lock"
FILE_MODE: Final = 0o600

WriteStatus = Literal["written", "unchanged", "completed", "replaced"]


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What write_snapshot did.

    ``written``: a new snapshot; ``unchanged``: the same bytes were already there (no-op);
    ``completed``: the same bytes were there without a manifest, which was added;
    ``replaced``: the old snapshot now lives at ``replaced_path`` and the new one at ``path``.
    """

    status: WriteStatus
    path: Path
    manifest_path: Path
    manifest: Manifest  # the manifest now on disk
    replaced_path: Path | None = None


@dataclass(frozen=True, slots=True)
class OutputLock:
    path: Path
    stale_temp_files: tuple[Path, ...]  # removed when the lock was taken


def write_snapshot(
    data: bytes, path: Path, manifest: Manifest, *, replace: bool = False
) -> WriteResult:
    """Publish ``data`` as the snapshot ``path`` with its manifest, atomically, never overwriting.

    The manifest's computed fields (rows, header, output size and hash, tool version, created-at)
    are filled in from ``data``.
    """
    try:
        completed = complete_manifest(manifest, data)
    except (UnicodeDecodeError, csv.Error) as error:
        raise SnapshotError(f"data for snapshot {path} is not UTF-8 CSV") from error
    try:
        return _write_snapshot(data, path, completed, replace=replace)
    except OSError as error:
        raise SnapshotError(_write_failure(path, error)) from error


def write_file_atomic(path: Path, data: bytes) -> None:
    """Write a non-snapshot file (e.g. a diff) atomically, mode 0600; it may replace the old."""
    try:
        _make_folder(path.parent)
        with _temp_files(path.parent, {path: data}) as temps:
            temps[path].replace(path)
        _fsync_folder(path.parent)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise SnapshotError(f"cannot write {path}: {reason}") from error


@contextlib.contextmanager
def acquire_lock(out_dir: Path) -> Iterator[OutputLock]:
    """Hold ``<out_dir>/.segcli.lock`` (flock, non-blocking) for the duration of a run.

    A lock held by another process raises LockedError at once. The kernel releases the lock when
    its holder exits, also on kill -9; the lock file itself is left in place on purpose.
    Taking the lock removes temp files that killed runs left in the folder tree.
    """
    lock_path = out_dir / LOCK_NAME
    try:
        _make_folder(out_dir)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
    except OSError as error:
        raise SnapshotError(f"cannot create lock file {lock_path}: {error.strerror}") from error
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _lock_holder(fd)
            raise LockedError(
                f"another segcli run{holder} holds {lock_path}; "
                "wait for it to finish (a killed run releases it at once)"
            ) from None
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            stale = remove_stale_temp_files(out_dir)
        except OSError as error:
            raise SnapshotError(f"cannot prepare {out_dir}: {error.strerror}") from error
        yield OutputLock(path=lock_path, stale_temp_files=stale)
    finally:
        os.close(fd)


def remove_stale_temp_files(folder: Path) -> tuple[Path, ...]:
    """Remove segcli temp files under ``folder``; call only while holding its lock."""
    stale = tuple(sorted(folder.rglob(f".*{TEMP_SUFFIX}")))
    for temp in stale:
        temp.unlink(missing_ok=True)
    return stale


def replaced_path(path: Path, number: int) -> Path:
    """``2024-06-01.csv`` → ``2024-06-01.replaced-<number>.csv``."""
    return path.with_name(f"{path.stem}.replaced-{number}{path.suffix}")


def _write_snapshot(data: bytes, path: Path, manifest: Manifest, *, replace: bool) -> WriteResult:
    _make_folder(path.parent)
    if not path.exists():  # a manifest alone is an interrupted write: completed below
        _publish(data, path, manifest)
        return WriteResult("written", path, manifest_path(path), manifest)
    if path.stat().st_size == len(data) and hash_file(path) == manifest.output_sha256:
        return _keep_identical(data, path, manifest, replace=replace)
    if not replace:
        raise SnapshotError(
            f"snapshot {path} exists with different content; pass --replace to keep both"
        )
    return _replace(data, path, manifest)


def _keep_identical(data: bytes, path: Path, manifest: Manifest, *, replace: bool) -> WriteResult:
    """The CSV already holds these bytes: a no-op, or add its missing manifest."""
    existing = manifest_path(path)
    if not existing.exists():
        with _temp_files(path.parent, {existing: manifest_json(manifest)}) as temps:
            temps[existing].replace(existing)
        _fsync_folder(path.parent)
        return WriteResult("completed", path, existing, manifest)
    try:
        on_disk = read_manifest(existing)
    except SnapshotError:
        on_disk = None
    if on_disk is not None and _same_facts(on_disk, manifest):
        return WriteResult("unchanged", path, existing, on_disk)
    if replace:
        return _replace(data, path, manifest)
    raise SnapshotError(
        f"snapshot {path} does not match its manifest; check it with 'segcli verify', "
        "or pass --replace to keep it aside and write a new one"
    )


def _same_facts(on_disk: Manifest, fresh: Manifest) -> bool:
    """Whether a manifest on disk states the same facts of the CSV as a fresh one."""
    return (on_disk.output_sha256, on_disk.output_size, on_disk.rows, on_disk.header) == (
        fresh.output_sha256,
        fresh.output_size,
        fresh.rows,
        fresh.header,
    )


def _replace(data: bytes, path: Path, manifest: Manifest) -> WriteResult:
    """Keep the old CSV (and manifest) under the first free ``replaced-<n>`` name; publish."""
    number = 1
    while replaced_path(path, number).exists():
        number += 1
    kept = replaced_path(path, number)
    _publish(data, path, manifest, set_aside=kept)
    return WriteResult("replaced", path, manifest_path(path), manifest, replaced_path=kept)


def _publish(data: bytes, path: Path, manifest: Manifest, *, set_aside: Path | None = None) -> None:
    """Write all temps, set the old snapshot aside (if asked), commit the new CSV last.

    Only fully written, fsynced files are ever renamed, and no step leaves a CSV under any name
    without its manifest beside it:
    old manifest copied to the kept name → old CSV moved to the kept name (the old manifest now
    describes nothing: an interrupted write) → new manifest → new CSV.
    """
    folder = path.parent
    manifest_file = manifest_path(path)
    contents = {path: data, manifest_file: manifest_json(manifest)}
    kept_manifest = None
    if set_aside is not None and manifest_file.exists():
        kept_manifest = manifest_path(set_aside)
        contents[kept_manifest] = manifest_file.read_bytes()
    with _temp_files(folder, contents) as temps:
        if kept_manifest is not None:
            temps[kept_manifest].replace(kept_manifest)
            _fsync_folder(folder)
        if set_aside is not None:
            _move_no_clobber(path, set_aside)
        temps[manifest_file].replace(manifest_file)
        _fsync_folder(folder)
        _link_no_clobber(temps[path], path)
        _fsync_folder(folder)


@contextlib.contextmanager
def _temp_files(folder: Path, contents: dict[Path, bytes]) -> Iterator[dict[Path, Path]]:
    """Write each content to its own fsynced temp file; remove whatever is left at the end."""
    temps: dict[Path, Path] = {}
    try:
        for final, data in contents.items():
            temp = folder / f".{final.name}.{secrets.token_hex(6)}{TEMP_SUFFIX}"
            temps[final] = temp
            _write_fsynced(temp, data)
        yield temps
    finally:
        for temp in temps.values():
            temp.unlink(missing_ok=True)


def _write_fsynced(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)  # the mode given to open() is narrowed by the umask
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


def _move_no_clobber(source: Path, target: Path) -> None:
    if _link_no_clobber(source, target):
        source.unlink()


def _link_no_clobber(source: Path, target: Path) -> bool:
    """Give ``source`` also the name ``target`` unless ``target`` exists (True); where the file
    system has no hard links, rename ``source`` to ``target`` instead (False)."""
    try:
        os.link(source, target)
    except FileExistsError:
        raise SnapshotError(f"snapshot {target} appeared while it was being written") from None
    except OSError as error:
        if error.errno not in {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV}:
            raise
        if target.exists():  # no hard links here (e.g. some network file systems)
            raise SnapshotError(f"snapshot {target} appeared while it was being written") from None
        source.rename(target)
        return False
    return True


def _make_folder(folder: Path) -> None:
    """Create the folder (and parents); a file in the way is ENOTDIR, not a puzzling EEXIST."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(folder)) from None


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    except OSError as error:
        if error.errno not in {errno.EINVAL, errno.ENOTSUP}:  # not every FS syncs folders
            raise
    finally:
        os.close(fd)


def _lock_holder(fd: int) -> str:
    try:
        text = os.pread(fd, 32, 0).decode("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return ""
    return f" (pid {text})" if text.isdigit() else ""


def _write_failure(path: Path, error: OSError) -> str:
    reason = error.strerror or type(error).__name__
    if error.errno == errno.ENOSPC:
        reason += "; free some space and rerun"
    return f"cannot write snapshot {path}: {reason}; earlier snapshots are untouched"
