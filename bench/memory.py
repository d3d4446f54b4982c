"""Memory flat in the size of the data: `segcli run rules/` with the default settings against one
pass (`--memory-limit 100GB`), from Parquet, as whole processes.

The two are run in turns, `rounds` times each (one-pass, default, one-pass, ...), so both see the
same load on a shared machine; each run reports wall seconds, CPU seconds (user + system) and
peak RSS from /usr/bin/time. Targets: the default run peaks at ≤ 1.5 GB (DESIGN: the default
memory limit) and takes ≤ 1.3× the one-pass run's time. The two runs' snapshots must be the same
bytes, or the benchmark stops with the difference.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import generate
from measure import TIME
from pages import Figure
from report import table

if TYPE_CHECKING:
    from collections.abc import Sequence

LIMIT_MB = 1500  # the default --memory-limit, 1.5GB
TARGET_TIME = 1.3  # × the one-pass run
ONE_PASS = ("--memory-limit", "100GB")


@dataclass(frozen=True, slots=True)
class ProcessRun:
    wall: float  # seconds
    cpu: float  # user + system seconds
    rss_mb: float  # peak resident set size


def run_measured(command: Sequence[str]) -> ProcessRun:
    """One process, measured by /usr/bin/time (which forks it from its own small process)."""
    if TIME is None:
        raise SystemExit("the memory figures need /usr/bin/time")
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        wrapped = [TIME, "-f", "%e %U %S %M", "-o", report.name, *command]
        done = subprocess.run(wrapped, capture_output=True, check=False)
        if done.returncode != 0:
            message = done.stderr.decode(errors="replace").strip()[-2000:]
            raise RuntimeError(f"{' '.join(command)} exited {done.returncode}:\n{message}")
        wall, user, system, rss_kb = report.read().split()[-4:]
    return ProcessRun(float(wall), float(user) + float(system), float(rss_kb) / 1024)


def snapshots(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*.csv"))}


def paired_runs(
    command: Sequence[str], rounds: int, work: Path
) -> tuple[list[ProcessRun], list[ProcessRun]]:
    """`rounds` one-pass and default runs, alternated; their snapshots compared byte for byte."""
    runs: dict[str, list[ProcessRun]] = {"one": [], "default": []}
    for _ in range(rounds):
        written = {}
        for name, extra in (("one", ONE_PASS), ("default", ())):
            out = work / name
            shutil.rmtree(out, ignore_errors=True)
            runs[name].append(run_measured([*command, "--out", str(out), *extra]))
            written[name] = snapshots(out)
        if written["one"] != written["default"] or not written["one"]:
            differ = sorted(
                k for k in written["one"] if written["default"].get(k) != written["one"][k]
            )
            raise SystemExit(f"SNAPSHOT BYTES DIFFER between one pass and passes: {differ[:5]}")
    return runs["one"], runs["default"]


def memory_rows(one: list[ProcessRun], default: list[ProcessRun]) -> list[list[str]]:
    """One row per run kind (medians of wall and CPU, the largest peak), then the ratios."""
    rows = []
    for name, runs in (("one pass (`--memory-limit 100GB`)", one), ("default settings", default)):
        wall = statistics.median(r.wall for r in runs)
        cpu = statistics.median(r.cpu for r in runs)
        peak = max(r.rss_mb for r in runs)
        rows.append([name, f"{wall:.1f}", f"{cpu:.1f}", f"{peak:,.0f}", _each(runs)])
    wall_ratio = statistics.median(d.wall / o.wall for o, d in zip(one, default, strict=True))
    cpu_ratio = statistics.median(d.cpu / o.cpu for o, d in zip(one, default, strict=True))
    peak = max(r.rss_mb for r in default)
    rows.append([
        "default ÷ one pass (median of the rounds' ratios)",
        f"{wall_ratio:.2f}× {'✓' if wall_ratio <= TARGET_TIME else '✗'}",
        f"{cpu_ratio:.2f}×",
        f"{'✓' if peak <= LIMIT_MB else '✗'} (≤ {LIMIT_MB:,})",
        "",
    ])  # fmt: skip
    return rows


def _each(runs: Sequence[ProcessRun]) -> str:
    return "; ".join(f"{r.wall:.0f} s, {r.cpu:.0f} s CPU, {r.rss_mb:,.0f} MB" for r in runs)


def memory_section(
    segcli: str, rules: Path, folder: Path, rounds: int
) -> tuple[list[str], tuple[Figure, ...]]:
    """The markdown lines of the memory table for the Parquet data in `folder`, and its two
    figures against their targets (for the benchmark pages)."""
    parquet = folder / "parquet"
    command = [segcli, "run", str(rules), "--orders", str(parquet / "orders.parquet"),
               "--lines", str(parquet / "order_lines.parquet"),
               "--customers", str(parquet / "customers.parquet"),
               "--reviews", str(parquet / "reviews.parquet"),
               "--as-of", generate.AS_OF, "--quiet"]  # fmt: skip
    work = Path(tempfile.mkdtemp(prefix="segcli-bench-memory-"))
    try:
        one, default = paired_runs(command, rounds, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    headers = ["`segcli run rules/` from Parquet", "wall s", "CPU s", "peak RSS MB", "each run"]
    title = (
        f"\n### Memory: `segcli run rules/`, default settings against one pass "
        f"({rounds} paired rounds; target ≤ {LIMIT_MB:,} MB and ≤ {TARGET_TIME}× one pass)\n"
    )
    return [title, table(headers, memory_rows(one, default))], memory_figures(one, default)


def memory_figures(one: list[ProcessRun], default: list[ProcessRun]) -> tuple[Figure, ...]:
    peak_gb = max(r.rss_mb for r in default) / 1000
    wall_ratio = statistics.median(d.wall / o.wall for o, d in zip(one, default, strict=True))
    return (
        Figure("peak RSS of `segcli run rules/`, default settings", (peak_gb,), 1.5, "GB"),
        Figure("time of the default run × one pass (wall)", (wall_ratio,), TARGET_TIME, "×"),
    )
