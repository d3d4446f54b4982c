"""Whole-process times of the short commands: the checkout question and start-up.

1. `segcli segments CUSTOMER rules/ …` at one scale from Parquet (issue 14: under a second),
   for a customer named by id and by email (looked up in the customers file; both answers
   must be the same);
2. start-up: `segcli --help`, `segcli validate rules/`, and `segcli build rules/vip.yaml` over
   `sample_data/` (10k orders: mostly start-up).

    .venv/bin/python bench/checkout.py --scale M [--runs 5] [--customer C0123457] [--startup-only]

Wall and CPU seconds (user + system of the process and its threads), median of N runs after one
warm-up run. Prints Markdown tables on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parent.parent
AS_OF = "2025-01-01"
TARGET = 1.0  # seconds, wall (issue 14)


def _command(customer: str, data: Path, *, as_json: bool) -> list[str]:
    tables = {t: str(data / f"{t}.parquet") for t in ("orders", "order_lines", "customers")}
    return [
        sys.executable, "-m", "segcli", "segments", customer, str(ROOT / "rules"),
        tables["orders"], "--lines", tables["order_lines"], "--customers", tables["customers"],
        "--reviews", str(data / "reviews.parquet"), "--as-of", AS_OF,
        *(["--json"] if as_json else []),
    ]  # fmt: skip


def _timed(command: list[str]) -> tuple[float, float, str]:
    """Wall and CPU seconds (user + system, the child's threads included) and stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout


def _email(customer: str, data: Path) -> str | None:
    rows = pl.scan_parquet(data / "customers.parquet").filter(pl.col("customer_id") == customer)
    email = rows.select("email").collect().item()
    return None if email is None else str(email)


def _medians(command: list[str], runs: int) -> tuple[float, float]:
    _timed(command)  # warm the file cache and the bytecode
    times = [_timed(command) for _ in range(runs)]
    return statistics.median(t[0] for t in times), statistics.median(t[1] for t in times)


def checkout_table(scale: str, runs: int, customer: str) -> None:
    data = ROOT / "bench" / "data" / scale / "parquet"
    email = _email(customer, data)
    names = {"id": customer} | ({} if email is None else {"email": email})  # no email: by id
    answers = [json.loads(_timed(_command(v, data, as_json=True))[2]) for v in names.values()]
    if any(a["segments"] != answers[0]["segments"] for a in answers):
        sys.exit("the answers by id and by email differ")
    print(f"### segcli segments at {scale} (median of {runs}; {os.cpu_count()} cores)\n")
    print("| named by | wall s | CPU s | target (wall) |")
    print("|---|---:|---:|---|")
    for kind, name in names.items():
        wall, cpu = _medians(_command(name, data, as_json=False), runs)
        mark = "✓" if wall < TARGET else "✗"
        print(f"| {kind} | {wall:.2f} | {cpu:.2f} | < {TARGET:.0f} s {mark} |")


def startup_table(runs: int) -> None:
    segcli = [sys.executable, "-m", "segcli"]
    sample = ROOT / "sample_data"
    build = [
        *segcli, "build", "rules/vip.yaml", str(sample / "orders.parquet"),
        "--lines", str(sample / "order_lines.parquet"),
        "--customers", str(sample / "customers.parquet"), "--as-of", AS_OF, "-o", "-",
    ]  # fmt: skip
    commands = {
        "segcli --help": [*segcli, "--help"],
        "segcli validate rules/": [*segcli, "validate", "rules/"],
        "segcli build rules/vip.yaml (sample_data/)": build,
    }
    print(f"### Start-up (median of {runs}; {os.cpu_count()} cores)\n")
    print("| command | wall s | CPU s |")
    print("|---|---:|---:|")
    for label, command in commands.items():
        wall, cpu = _medians(command, runs)
        print(f"| `{label}` | {wall:.2f} | {cpu:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", default="M")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--customer", default="C0123457")
    parser.add_argument("--startup-only", action="store_true")
    args = parser.parse_args()
    if not args.startup_only:
        checkout_table(args.scale, args.runs, args.customer)
        print()
    startup_table(args.runs)


if __name__ == "__main__":
    main()
