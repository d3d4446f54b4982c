"""Runs in passes resume (segcli.resume): each finished pass is kept in the work folder, a rerun
continues from the next pass, and a run killed at any moment leaves no partial snapshot."""

from __future__ import annotations

import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from snapshot_samples import temp_files

from segcli import api
from segcli.backends import Inputs
from segcli.inputs.config import load_settings
from segcli.nightly import run_segments
from segcli.resume import WORK_NAME, WorkFolder
from segcli.verify import check_snapshot, verify_snapshot

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
# Segments of rules/ that read every kind of input (order lines, reviews, emails of orders)
SEGMENTS = (
    "big_baskets",
    "brand_buyers",
    "lapsed_big_spenders",
    "reviewed_product",
    "unidentified_buyers",
    "vip",
)
FAULT_RUN = Path(__file__).with_name("fault_run.py")
AS_OF = "2024-06-01"
PASSES = 5
KILLS = 20


def write_config(folder: Path) -> Path:
    """A project: a rules folder of SEGMENTS and a config asking for PASSES passes."""
    rules = folder / "rules"
    rules.mkdir()
    for segment in SEGMENTS:
        source = ROOT / "rules" / f"{segment}.yaml"
        (rules / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    config = folder / "segcli.yaml"
    config.write_text(f"passes: {PASSES}\n", encoding="utf-8")
    return config


def run_args(out: Path, config: Path) -> list[str]:
    files = {
        "orders": "orders",
        "lines": "order_lines",
        "customers": "customers",
        "reviews": "reviews",
        "products": "products",
    }
    inputs = [part for r, f in files.items() for part in (f"--{r}", str(SAMPLE / f"{f}.csv"))]
    rules = str(config.parent / "rules")
    options = ["--out", str(out), "--as-of", AS_OF, "-q", "--config", str(config)]
    return ["run", rules, *inputs, *options]


def run_in_process(out: Path, config: Path, *, with_id: bool = False) -> int:
    tables = _tables(config)
    as_of = api.effective_as_of(None, AS_OF, tables.settings)
    rules = config.parent / "rules"
    return int(run_segments(rules, tables, out, as_of, with_id=with_id).exit_code)


def snapshots(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*.csv"))}


class Runner:
    """fault_run.py: `segcli run`s forked from one process that has imported everything."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(FAULT_RUN)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._line() == "ready"

    def run(self, arguments: list[str], kill_after: float) -> str:
        """ "killed" or "exit <code>"."""
        assert self.process.stdin is not None
        self.process.stdin.write("\t".join([str(kill_after), *arguments]) + "\n")
        self.process.stdin.flush()
        return self._line()

    def close(self) -> None:
        self.process.communicate()

    def _line(self) -> str:
        assert self.process.stdout is not None
        return self.process.stdout.readline().strip()


def assert_no_partial_snapshot(out: Path, expected: dict[str, bytes]) -> None:
    for name, data in snapshots(out).items():
        assert check_snapshot(out / name).status == "ok", name
        assert data == expected[name], name


def saved_passes(out: Path) -> int:
    return len(list((out / WORK_NAME).glob("pass-*.parquet")))


def test_sigkill_at_random_moments_of_a_run_in_passes_then_the_rerun_completes(
    tmp_path: Path,
) -> None:
    config = write_config(tmp_path)
    runner = Runner()
    try:
        started = time.perf_counter()
        assert runner.run(run_args(tmp_path / "uninterrupted", config), 600) == "exit 0"
        window = (time.perf_counter() - started) * 1.1
        expected = snapshots(tmp_path / "uninterrupted")
        assert len(expected) == len(SEGMENTS)
        figures = _kill_runs(runner, tmp_path, config, window, expected)
    finally:
        runner.close()
    out = tmp_path / f"chain-{figures['completed']}"
    assert run_in_process(out, config) == 0  # the rerun
    print(f"\nSIGKILL fault test, runs in {PASSES} passes: {figures}")
    assert snapshots(out) == expected
    assert not (out / WORK_NAME).exists()
    assert verify_snapshot(out).ok
    assert temp_files(out) == []
    assert figures["kills"] >= KILLS
    assert figures["resumed"] > 0  # some rerun found finished passes to continue from


def _kill_runs(
    runner: Runner, tmp_path: Path, config: Path, window: float, expected: dict[str, bytes]
) -> dict[str, int]:
    """Runs killed at random moments, each continuing the last's folder, until KILLS kills;
    a run that completes first starts a new folder. After each: no partial snapshot."""
    rng = random.Random(16)
    figures = {"trials": 0, "kills": 0, "resumed": 0, "completed": 0}
    while figures["kills"] < KILLS and figures["trials"] < 3 * KILLS:
        out = tmp_path / f"chain-{figures['completed']}"
        figures["resumed"] += out.exists() and saved_passes(out) > 0
        ended = runner.run(run_args(out, config), rng.uniform(0, window))
        figures["trials"] += 1
        assert_no_partial_snapshot(out, expected)
        if ended == "killed":
            figures["kills"] += 1
            window *= 1.05
        else:  # finished first: a complete set, the work folder gone
            assert ended == "exit 0"
            assert snapshots(out) == expected
            assert not (out / WORK_NAME).exists()
            figures["completed"] += 1
            window *= 0.8
    return figures


def test_a_rerun_takes_the_finished_passes_from_the_work_folder(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    complete = tmp_path / "complete"
    assert run_in_process(complete, config, with_id=True) == 0
    # A finished pass 1 of a killed attempt, planted: emptied, so that if the rerun takes it
    # rather than computing it again, pass 1's members are missing from the snapshots.
    resumed = tmp_path / "resumed"
    store = _work_folder(resumed, config, with_id=True)
    part = _first_pass(config)
    store.save(0, PASSES, part.clear())
    assert run_in_process(resumed, config, with_id=True) == 0
    missing = set(part["customer_key"].to_list())
    assert missing
    resumed_files = snapshots(resumed)
    for name, data in snapshots(complete).items():
        assert _keys(resumed_files[name]) == _keys(data) - missing, name
    assert not (resumed / WORK_NAME).exists()


def test_a_work_folder_of_another_run_is_not_used(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    complete = tmp_path / "complete"
    assert run_in_process(complete, config) == 0
    other = tmp_path / "other"
    planted = _work_folder(other, config)
    stale = WorkFolder(other / WORK_NAME, '{"as_of": "another night"}\n', planted.render)
    stale.save(0, PASSES, _first_pass(config).clear())
    assert run_in_process(other, config) == 0
    assert snapshots(other) == snapshots(complete)
    assert not (other / WORK_NAME).exists()


def _tables(config: Path) -> Inputs:
    return api.open_tables(
        SAMPLE / "orders.csv",
        lines=SAMPLE / "order_lines.csv",
        customers=SAMPLE / "customers.csv",
        reviews=SAMPLE / "reviews.csv",
        products=SAMPLE / "products.csv",
        settings=load_settings(config),
    )


def _work_folder(out: Path, config: Path, *, with_id: bool = False) -> WorkFolder:
    """The work folder `segcli run` makes (and what it keeps of each pass), for `run_in_process`."""
    from segcli.nightly import load_segments, pass_renderer
    from segcli.resume import work_folder

    definitions, _broken = load_segments(config.parent / "rules")
    tables = _tables(config)
    as_of = api.effective_as_of(None, AS_OF, tables.settings)
    render = pass_renderer(definitions, tables.settings.timezone, with_id=with_id)
    return work_folder(out, definitions, definitions, tables, as_of, render, [with_id])


def _first_pass(config: Path) -> pl.DataFrame:
    """Pass 1 of PASSES of the run, computed as the run computes it."""
    from segcli.nightly import load_segments

    definitions, _broken = load_segments(config.parent / "rules")
    tables = _tables(config)
    as_of = api.effective_as_of(None, AS_OF, tables.settings)
    keep = _KeepFirst(Path(tempfile.mkdtemp(dir=config.parent)))
    assert api.store_members(definitions, tables, as_of, definitions, keep) == PASSES
    assert keep.first is not None
    return keep.first


class _KeepFirst:
    """A PassStore that keeps pass 1 (and holds no finished pass), its shared files in
    `scratch`."""

    def __init__(self, scratch: Path) -> None:
        self.first: pl.DataFrame | None = None
        self.scratch = scratch

    def done(self, _index: int, _count: int) -> bool:
        return False

    def save(self, index: int, _count: int, members: pl.DataFrame) -> None:
        if index == 0:
            self.first = members

    def keep_file(self, name: str, write: Callable[[Path], None]) -> Path:
        path = self.scratch / name
        write(path)
        return path


def _keys(data: bytes) -> set[str]:
    """The customer keys of a snapshot written --with-id."""
    return set(pl.read_csv(data, infer_schema=False)["Customer ID"].to_list())


def test_a_work_folder_that_cannot_be_written_fails_the_run_with_one_line(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / WORK_NAME).write_text("not a folder", encoding="utf-8")
    done = subprocess.run(
        [str(Path(sys.executable).with_name("segcli")), *run_args(out, config)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("error: cannot keep ")  # the first file the run keeps there
    assert f" {out / WORK_NAME}/" in line
    assert snapshots(out) == {}


def test_a_shared_file_is_used_only_once_complete(tmp_path: Path) -> None:
    store = WorkFolder(tmp_path / WORK_NAME, '{"as_of": "tonight"}\n', lambda members: members)
    written: list[Path] = []

    def killed(path: Path) -> None:
        path.mkdir()
        (path / "half.parquet").write_bytes(b"half")
        raise KeyboardInterrupt  # the run stops in the middle of writing

    def write(path: Path) -> None:
        written.append(path)
        path.mkdir()
        pl.DataFrame({"x": [1]}).write_parquet(path / "part.parquet")

    with pytest.raises(KeyboardInterrupt):
        store.keep_file("lines", killed)
    assert not (tmp_path / WORK_NAME / "lines").exists()
    kept = store.keep_file("lines", write)  # the rerun writes it again, from nothing
    assert sorted(p.name for p in kept.iterdir()) == ["part.parquet"]
    assert store.keep_file("lines", write) == kept  # then takes it as it is
    assert len(written) == 1
