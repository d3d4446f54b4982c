"""`segcli run`: one pass, frozen snapshots, resume after SIGKILL, lock, guards, failures."""

from __future__ import annotations

import errno
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from commands import segcli
from typer.testing import CliRunner

from segcli.cli import app
from segcli.errors import ExitCode
from segcli.snapshot import acquire_lock
from segcli.verify import verify_snapshot

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "sample_data"
AS_OF = "2025-01-01"
SEGMENTS = ("vip", "loyal", "one_time_buyers", "brand_buyers", "vip_newsletter", "cross_sell")


def data_args() -> list[str]:
    return [
        "--orders",
        str(DATA / "orders.parquet"),
        "--lines",
        str(DATA / "order_lines.parquet"),
        "--customers",
        str(DATA / "customers.parquet"),
        "--as-of",
        AS_OF,
    ]


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    """A small rules folder: six real rules files (vip_newsletter references vip)."""
    folder = tmp_path / "rules"
    folder.mkdir()
    for name in SEGMENTS:
        shutil.copy(ROOT / "rules" / f"{name}.yaml", folder)
    return folder


def snapshot_files(out: Path) -> dict[str, bytes]:
    """Every published file (the lock file, which holds the last runner's pid, left aside)."""
    return {
        str(p.relative_to(out)): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name != ".segcli.lock"
    }


def test_run_publishes_every_segment_and_a_rerun_is_a_byte_identical_no_op(
    rules: Path, tmp_path: Path
) -> None:
    out, report = tmp_path / "out", tmp_path / "report.json"
    first = segcli("run", str(rules), *data_args(), "--out", str(out), "--report", str(report))
    assert first.returncode == 0, first.stderr
    assert first.stdout == ""  # stdout carries data only; run has none
    summary = json.loads(report.read_text("utf-8"))
    assert {s["segment"]: s["status"] for s in summary["segments"]} == dict.fromkeys(
        SEGMENTS, "written"
    )
    for name in SEGMENTS:
        snapshot = out / name / f"{AS_OF}.csv"
        assert (snapshot.stat().st_mode & 0o777) == 0o600
        assert verify_snapshot(snapshot).ok
    before = snapshot_files(out)
    again = segcli("run", str(rules), *data_args(), "--out", str(out), "--report", str(report))
    assert again.returncode == 0, again.stderr
    assert {s["status"] for s in json.loads(report.read_text("utf-8"))["segments"]} == {"kept"}
    assert snapshot_files(out) == before


def test_run_snapshots_equal_single_builds(rules: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert segcli("run", str(rules), *data_args(), "--out", str(out)).returncode == 0
    for name in SEGMENTS:
        single = segcli(
            "build",
            str(rules / f"{name}.yaml"),
            str(DATA / "orders.parquet"),
            "--lines",
            str(DATA / "order_lines.parquet"),
            "--customers",
            str(DATA / "customers.parquet"),
            "--as-of",
            AS_OF,
            "-o",
            "-",
        )
        assert single.returncode == 0, single.stderr
        assert single.stdout.encode() == (out / name / f"{AS_OF}.csv").read_bytes(), name


def test_sigkill_at_random_points_never_leaves_a_partial_snapshot(
    rules: Path, tmp_path: Path
) -> None:
    """20 trials: kill -9 `segcli run` at a random moment; afterwards no temp or partial file
    sits under a final name, every snapshot present verifies, and a rerun completes the set."""
    rng = random.Random(20261122)
    started = time.monotonic()
    assert segcli("run", str(rules), *data_args(), "--out", str(tmp_path / "warm")).returncode == 0
    full_run = time.monotonic() - started
    killed_mid_run = 0
    for trial in range(20):
        out = tmp_path / f"trial{trial}"
        command = [
            sys.executable,
            "-m",
            "segcli",
            "run",
            str(rules),
            *data_args(),
            "--out",
            str(out),
        ]
        process = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(rng.uniform(0.3, 1.1) * full_run)
        finished_first = process.poll() is not None
        killed_mid_run += not finished_first
        full_run *= 0.8 if finished_first else 1.05  # kills stay inside the run under load
        process.send_signal(signal.SIGKILL)
        process.wait()
        _assert_no_partial_snapshot(out)
        rerun = segcli("run", str(rules), *data_args(), "--out", str(out))
        assert rerun.returncode == 0, rerun.stderr
        assert verify_snapshot(out).ok
        assert sorted(p.parent.name for p in out.rglob(f"{AS_OF}.csv")) == sorted(SEGMENTS)
    assert killed_mid_run >= 5, "the kills should land while the run is still working"


def _assert_no_partial_snapshot(out: Path) -> None:
    if not out.exists():
        return
    for csv_file in out.rglob("*.csv"):
        assert verify_snapshot(csv_file).ok, f"{csv_file} is under a final name but does not verify"
    leftovers = [p for p in out.rglob("*") if p.is_file() and not p.name.startswith(".")]
    for path in leftovers:
        assert path.suffix == ".csv" or path.name.endswith(".csv.manifest.json"), path


def test_a_second_concurrent_run_exits_at_once_with_its_own_code(
    rules: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with acquire_lock(out):
        result = segcli("run", str(rules), *data_args(), "--out", str(out))
    assert result.returncode == ExitCode.LOCKED
    assert "holds" in result.stderr
    assert ".segcli.lock" in result.stderr
    assert not list(out.rglob("*.csv"))


def test_one_broken_segment_does_not_stop_the_others(rules: Path, tmp_path: Path) -> None:
    (rules / "broken.yaml").write_text("name: broken\nrules:\n  order_cnt: 2\n", "utf-8")
    (rules / "needs_reviews.yaml").write_text(
        "name: reviewers\nrules:\n  reviewed: {sku: X}\n", "utf-8"
    )
    out, report = tmp_path / "out", tmp_path / "report.json"
    result = segcli("run", str(rules), *data_args(), "--out", str(out), "--report", str(report))
    assert result.returncode == ExitCode.SEGMENTS_FAILED
    statuses = {
        s["segment"]: s["status"] for s in json.loads(report.read_text("utf-8"))["segments"]
    }
    assert statuses.pop("broken") == "failed"
    assert statuses.pop("needs_reviews") == "failed"
    assert set(statuses.values()) == {"written"}
    assert "unknown field 'order_cnt'" in result.stderr
    assert "--reviews" in result.stderr


def test_a_cycle_is_reported_with_its_path(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "a.yaml").write_text("name: a\nrules:\n  in_segment: b\n", "utf-8")
    (rules / "b.yaml").write_text("name: b\nrules:\n  in_segment: a\n", "utf-8")
    (rules / "ok.yaml").write_text("name: ok\nrules:\n  order_count: {at_least: 1}\n", "utf-8")
    result = segcli("run", str(rules), *data_args(), "--out", str(tmp_path / "out"))
    assert result.returncode == ExitCode.SEGMENTS_FAILED
    assert "segment cycle: a -> b -> a" in result.stderr
    assert (tmp_path / "out" / "ok" / f"{AS_OF}.csv").exists()


def test_count_guards_hold_back_a_snapshot(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "tiny.yaml").write_text(
        "name: tiny\nmin_members: 1000000\nrules:\n  order_count: {at_least: 1}\n", "utf-8"
    )
    (rules / "swing.yaml").write_text(
        "name: swing\nmax_change_percent: 10\nrules:\n  order_count: {at_least: 1}\n", "utf-8"
    )
    out = tmp_path / "out"
    first = segcli("run", str(rules), *data_args(), "--out", str(out))
    assert first.returncode == ExitCode.SEGMENTS_FAILED
    assert "fewer than min_members 1000000" in first.stderr
    assert not (out / "tiny").exists() or not list((out / "tiny").glob("*.csv"))
    assert (out / "swing" / f"{AS_OF}.csv").exists()  # no previous snapshot: nothing to compare
    (rules / "swing.yaml").write_text(
        "name: swing\nmax_change_percent: 10\nrules:\n  order_count: {at_least: 5}\n", "utf-8"
    )
    later = segcli("run", str(rules), *data_args()[:-2], "--as-of", "2025-01-02", "--out", str(out))
    assert later.returncode == ExitCode.SEGMENTS_FAILED
    assert "exceeds max_change_percent 10" in later.stderr
    assert not (out / "swing" / "2025-01-02.csv").exists()


def test_a_write_failure_is_a_clear_error_and_keeps_earlier_snapshots(
    rules: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    runner = CliRunner()
    first = runner.invoke(app, ["run", str(rules), *data_args(), "--out", str(out)])
    assert first.exit_code == 0, first.output
    before = snapshot_files(out)

    def disk_full(_fd: int, _data: bytes) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "write", disk_full)
    later = runner.invoke(
        app, ["run", str(rules), *data_args()[:-2], "--as-of", "2025-01-02", "--out", str(out)]
    )
    monkeypatch.undo()
    assert later.exit_code == ExitCode.SEGMENTS_FAILED
    assert "No space left on device" in later.output
    assert snapshot_files(out) == before
    assert verify_snapshot(out).ok


def test_a_run_hashes_each_input_once_for_all_its_manifests(
    rules: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Six snapshots, one hash per input file: hashing is most of a big run's manifest cost."""
    from segcli import api, manifest
    from segcli.nightly import run_segments

    hashed: list[str] = []
    real = manifest.hash_file

    def counting(path: Path) -> str:
        hashed.append(path.name)
        return real(path)

    monkeypatch.setattr(manifest, "hash_file", counting)
    tables = api.open_tables(
        DATA / "orders.parquet",
        lines=DATA / "order_lines.parquet",
        customers=DATA / "customers.parquet",
    )
    as_of = api.effective_as_of(None, AS_OF, tables.settings)
    report = run_segments(rules, tables, tmp_path / "out", as_of)
    assert [s.status for s in report.segments] == ["written"] * len(SEGMENTS)
    assert sorted(hashed) == ["customers.parquet", "order_lines.parquet", "orders.parquet"]
    for snapshot in (tmp_path / "out").glob("*/*.csv"):
        assert verify_snapshot(snapshot).ok
