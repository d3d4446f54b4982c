"""Frozen snapshots: atomic writes, manifests, never-overwrite, verify, diff, lock, faults."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import fault_writer
import polars as pl
import pytest

import segcli
from segcli.diff import diff_snapshots, latest_two, write_diff
from segcli.errors import ExitCode, LockedError, SnapshotError
from segcli.export import render_csv
from segcli.manifest import (
    InputFile,
    Manifest,
    describe_inputs,
    hash_bytes,
    hash_file,
    manifest_json,
    manifest_path,
    read_manifest,
)
from segcli.snapshot import (
    FILE_MODE,
    TEMP_SUFFIX,
    acquire_lock,
    write_file_atomic,
    write_snapshot,
)
from segcli.verify import check_snapshot, verify_snapshot

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

HEADER = b"Name,First Name,Last Name,Email Address,Date Registered,Country,Postal Code,"
HEADER += b"Lifetime Spend\n"
OLD = HEADER + b"Ann,Ann,,a@x.com,2024-01-01,GB,SW1,10.00\n"
NEW = OLD + b'"Lee, Bo",Bo,Lee,b@x.com,,GB,"a\nb",-2.50\n'
FAULT_WRITER = Path(__file__).with_name("fault_writer.py")


def manifest(
    *,
    segment_id: str = "vip",
    as_of: str = "2024-06-01T00:00:00+00:00",
    definition_sha256: str = "ab" * 32,
) -> Manifest:
    return Manifest(
        segment_id=segment_id,
        segment_name="VIP customers",
        definition_sha256=definition_sha256,
        as_of=as_of,
        timezone="Europe/London",
        inputs=(InputFile(path="/data/orders.csv", size=3, sha256="cd" * 32),),
    )


def temp_files(folder: Path) -> list[Path]:
    return sorted(folder.rglob(f"*{TEMP_SUFFIX}"))


def folder_bytes(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (lock file aside) by relative path, with its bytes."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != ".segcli.lock"
    }


@pytest.fixture
def snapshot_file(tmp_path: Path) -> Path:
    return tmp_path / "out" / "vip" / "2024-06-01.csv"


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


def test_manifest_records_inputs_and_facts_of_the_csv(snapshot_file: Path) -> None:
    write_snapshot(NEW, snapshot_file, manifest())
    document = json.loads(manifest_path(snapshot_file).read_text("utf-8"))
    assert list(document) == [
        "format",
        "segment_id",
        "segment_name",
        "definition_sha256",
        "as_of",
        "timezone",
        "inputs",
        "rows",
        "header",
        "output_size",
        "output_sha256",
        "tool_version",
        "created_at",
    ]
    assert document["format"] == "segcli-snapshot-manifest/1"
    assert document["inputs"] == [{"path": "/data/orders.csv", "size": 3, "sha256": "cd" * 32}]
    assert document["rows"] == 2  # the quoted line break does not end a row
    assert document["header"][0] == "Name"
    assert document["output_size"] == len(NEW)
    assert document["output_sha256"] == hash_bytes(NEW) == hash_file(snapshot_file)
    assert document["tool_version"] == segcli.__version__
    assert document["created_at"].endswith("Z")
    assert read_manifest(manifest_path(snapshot_file)).rows == 2


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


# --- verify ----------------------------------------------------------------------------------


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


def test_manifest_round_trips_and_rejects_garbage(tmp_path: Path) -> None:
    target = tmp_path / "x.csv"
    result = write_snapshot(NEW, target, manifest())
    assert read_manifest(manifest_path(target)) == result.manifest
    for text in ("not json", "[]", '{"format": "other/1"}'):
        manifest_path(target).write_text(text, "utf-8")
        with pytest.raises(SnapshotError, match=r"manifest .*x\.csv\.manifest\.json"):
            read_manifest(manifest_path(target))


def test_describe_inputs_streams_hashes_and_expands_folders(tmp_path: Path) -> None:
    (tmp_path / "parts").mkdir()
    (tmp_path / "parts" / "b.csv").write_bytes(b"bb")
    (tmp_path / "parts" / "a.csv").write_bytes(b"a")
    (tmp_path / "orders.csv").write_bytes(b"x" * 3_000_000)
    described = describe_inputs([tmp_path / "orders.csv", tmp_path / "parts"])
    assert [(Path(d.path).name, d.size) for d in described] == [
        ("orders.csv", 3_000_000),
        ("a.csv", 1),
        ("b.csv", 2),
    ]
    assert described[0].sha256 == hash_bytes(b"x" * 3_000_000)
    assert all(Path(d.path).is_absolute() for d in described)
    with pytest.raises(SnapshotError, match="cannot read input"):
        describe_inputs([tmp_path / "missing.csv"])


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


# --- crashes at every step, simulated ---------------------------------------------------------


class Crash(BaseException):
    """A stand-in for the process dying: raised at one step and at every step after it."""


@pytest.fixture
def crash_at(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[int], None]]:
    """Make the n-th file-system name change (replace, link, unlink, rename) and all after it
    'kill' the writer; the temp-file clean-up of a dying writer fails too, as in a real kill."""
    steps = {"count": 0, "crash_at": -1}

    def arm(step: int) -> None:
        steps["count"], steps["crash_at"] = 0, step

    for name in ("replace", "link", "unlink", "rename"):
        real = getattr(os, name)

        def step(*args: object, _real: Callable[..., None] = real, **kwargs: object) -> None:
            steps["count"] += 1
            if 0 <= steps["crash_at"] < steps["count"]:
                raise Crash
            _real(*args, **kwargs)

        monkeypatch.setattr(os, name, step)
    yield arm
    monkeypatch.undo()


def assert_no_partial_snapshot(folder: Path, allowed: set[bytes]) -> None:
    for csv_path in sorted(folder.rglob("*.csv")):
        assert check_snapshot(csv_path).status == "ok", csv_path
        assert csv_path.read_bytes() in allowed


@pytest.mark.parametrize("step", range(9))
def test_a_crash_at_any_step_of_a_replace_loses_nothing(
    tmp_path: Path, crash_at: Callable[[int], None], step: int
) -> None:
    target = tmp_path / "vip" / "2024-06-01.csv"
    write_snapshot(OLD, target, manifest())
    crash_at(step)
    with contextlib.suppress(Crash):
        write_snapshot(NEW, target, manifest(), replace=True)
    crash_at(-1)
    assert_no_partial_snapshot(tmp_path, {OLD, NEW})
    assert OLD in folder_bytes(tmp_path).values()
    with acquire_lock(tmp_path):  # the rerun
        write_snapshot(NEW, target, manifest(), replace=True)
    assert target.read_bytes() == NEW
    assert target.with_name("2024-06-01.replaced-1.csv").read_bytes() == OLD
    assert verify_snapshot(tmp_path).ok
    assert temp_files(tmp_path) == []


@pytest.mark.parametrize("step", range(5))
def test_a_crash_at_any_step_of_a_first_write_is_resumed(
    tmp_path: Path, crash_at: Callable[[int], None], step: int
) -> None:
    target = tmp_path / "vip" / "2024-06-01.csv"
    crash_at(step)
    with contextlib.suppress(Crash):
        write_snapshot(NEW, target, manifest())
    crash_at(-1)
    assert_no_partial_snapshot(tmp_path, {NEW})
    with acquire_lock(tmp_path):
        assert write_snapshot(NEW, target, manifest()).status in {"written", "unchanged"}
    assert verify_snapshot(tmp_path).ok
    assert len(verify_snapshot(tmp_path).checks) == 1
    assert temp_files(tmp_path) == []


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


# --- SIGKILL fault test ----------------------------------------------------------------------

FAULT_TRIALS = 30
FAULT_SEGMENTS = 6


def expected_versions() -> dict[str, set[bytes]]:
    """Allowed contents per file name (relative path) at any moment of a fault_writer run."""
    allowed: dict[str, set[bytes]] = {}
    for segment in range(FAULT_SEGMENTS):
        a, b, c = (fault_writer.snapshot_bytes(segment, v) for v in "ABC")
        folder = f"seg{segment:02d}"
        allowed[f"{folder}/2024-06-01.csv"] = {a}
        allowed[f"{folder}/2024-06-02.csv"] = {b, c}
        allowed[f"{folder}/2024-06-02.replaced-1.csv"] = {b}
    return allowed


def start_writer(out_dir: Path) -> subprocess.Popen[str]:
    writer = subprocess.Popen(
        [sys.executable, str(FAULT_WRITER), str(out_dir), str(FAULT_SEGMENTS)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None
    assert writer.stdout.readline() == "ready\n"
    return writer


def count_partial_files(out_dir: Path, allowed: dict[str, set[bytes]]) -> int:
    """CSVs under a final name that are not a complete, verifying, expected snapshot."""
    partial = 0
    for csv_path in out_dir.rglob("*.csv"):
        name = str(csv_path.relative_to(out_dir))
        complete = check_snapshot(csv_path).status == "ok"
        partial += not (complete and csv_path.read_bytes() in allowed.get(name, set()))
    return partial


def test_sigkill_at_random_moments_leaves_no_partial_snapshot(tmp_path: Path) -> None:
    rng = random.Random(20240601)
    calibration = start_writer(tmp_path / "calibration")
    started = time.perf_counter()  # from "ready" (imported, locked) to the end of the run
    calibration.communicate()
    window = (time.perf_counter() - started) * 1.1
    allowed = expected_versions()
    figures = {"trials": 0, "killed_mid_run": 0, "partial": 0, "orphan_manifests": 0, "temps": 0}
    for trial in range(FAULT_TRIALS):
        out_dir = tmp_path / f"trial-{trial:02d}"
        writer = start_writer(out_dir)
        time.sleep(rng.uniform(0, window))
        writer.send_signal(signal.SIGKILL)
        output, _ = writer.communicate()
        figures["trials"] += 1
        finished_first = "done" in output
        figures["killed_mid_run"] += not finished_first
        window *= 0.8 if finished_first else 1.05  # keep most kills inside the run, under load too
        figures["partial"] += count_partial_files(out_dir, allowed)
        figures["temps"] += len(temp_files(out_dir))
        figures["orphan_manifests"] += len(verify_snapshot(out_dir).with_status("incomplete"))
        published_b = {
            p.parent.name for p in out_dir.rglob("2024-06-02*.csv") if b"Member B" in p.read_bytes()
        }
        with acquire_lock(out_dir):  # the rerun: nights 1 and corrected 2
            fault_writer.run(out_dir, FAULT_SEGMENTS, rerun=True)
        assert_complete_set(out_dir, published_b)
    print(f"\nSIGKILL fault test: {figures}")
    assert figures["partial"] == 0
    assert figures["killed_mid_run"] >= FAULT_TRIALS // 4  # the test is not vacuous


def assert_complete_set(out_dir: Path, published_b: set[str]) -> None:
    result = verify_snapshot(out_dir)
    assert result.ok, [c for c in result.checks if c.status != "ok"]
    assert temp_files(out_dir) == []
    files = folder_bytes(out_dir)
    for segment in range(FAULT_SEGMENTS):
        folder = f"seg{segment:02d}"
        a, b, c = (fault_writer.snapshot_bytes(segment, v) for v in "ABC")
        assert files.pop(f"{folder}/2024-06-01.csv") == a
        assert files.pop(f"{folder}/2024-06-02.csv") == c
        if folder in published_b:  # a published B is never lost
            assert files.pop(f"{folder}/2024-06-02.replaced-1.csv") == b
    assert all(name.endswith(".manifest.json") for name in files), sorted(files)


# --- diff --------------------------------------------------------------------------------------


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
