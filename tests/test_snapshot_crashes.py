"""Frozen snapshots (snapshot.py) survive a crash: at every step of a write, simulated, and
SIGKILL at random moments of a real writer process (fault_writer.py)."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import fault_writer
import pytest
from snapshot_samples import NEW, OLD, folder_bytes, manifest, temp_files

from segcli.snapshot import acquire_lock, write_snapshot
from segcli.verify import check_snapshot, verify_snapshot

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

FAULT_WRITER = Path(__file__).with_name("fault_writer.py")


# --- crashes at every step, simulated --------------------------------------------------------


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
