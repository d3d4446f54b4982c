"""Timing and memory: medians of warm runs in-process, and wall time + peak RSS of processes."""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
TIME = "/usr/bin/time" if Path("/usr/bin/time").exists() else shutil.which("time")


@dataclass(frozen=True, slots=True)
class Timing:
    seconds: float  # median of the timed runs
    rss_mb: float | None = None  # peak resident set size of the process (largest over runs)


def timed(action: Callable[[], T], runs: int, *, warm_up: bool = True) -> tuple[Timing, T]:
    """One warm-up call, then the median wall time of `runs` calls; returns the last result."""
    result = action() if warm_up else None
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - started)
    assert result is not None
    return Timing(statistics.median(times)), result


def run_process(command: Sequence[str], stdout: Path | None = None) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one process; stdout to a file or /dev/null; raises if
    it fails. RSS comes from /usr/bin/time, which forks the command from its own small process:
    a child forked straight from this (large) process would report our high-water mark."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        wrapped = [TIME, "-f", "%M", "-o", report.name, *command] if TIME else list(command)
        with open(stdout or os.devnull, "wb") as sink:
            started = time.perf_counter()
            done = subprocess.run(wrapped, stdout=sink, stderr=subprocess.PIPE, check=False)
            elapsed = time.perf_counter() - started
        if done.returncode != 0:
            message = done.stderr.decode(errors="replace").strip()[-2000:]
            raise RuntimeError(f"{' '.join(command)} exited {done.returncode}:\n{message}")
        text = report.read().strip().splitlines()
    rss_kb = float(text[-1]) if TIME and text else float("nan")
    return elapsed, rss_kb / 1024


def timed_process(
    command: Sequence[str],
    runs: int,
    before: Callable[[], None] | None = None,
    *,
    warm_up: bool = True,
    stdout: Path | None = None,
) -> Timing:
    """One warm-up run, then the median of `runs`; `before` runs ahead of each (untimed);
    `stdout`: the file each run writes its standard output to (the last run's is kept)."""
    times, peak = [], 0.0
    for attempt in range(runs + 1 if warm_up else runs):
        if before is not None:
            before()
        seconds, rss = run_process(command, stdout)
        peak = max(peak, rss)
        if attempt or not warm_up:
            times.append(seconds)
    return Timing(statistics.median(times), peak)


def machine() -> str:
    """One line: CPU model, cores, memory, OS, Python."""
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    return (
        f"{model}, {os.cpu_count()} cores, {pages / 2**30:.0f} GiB RAM, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )
