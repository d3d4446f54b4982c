"""The segcli benchmark: `make bench SCALE=S|M|L` (or `python bench/run.py --scale S`).

`python bench/run.py --scale 2L --memory` measures only `segcli run rules/` with the default
settings against one pass (peak RSS, wall and CPU; see memory.py), at any scale.

For one scale: generate the data if needed (bench/generate.py), then
1. per bench segment (bench/segments/*.yaml), from Parquet: segcli as a library call and as a
   whole CLI process, the hand-written Polars query in-process and as a script process, DuckDB
   SQL; medians of warm runs, ratios to hand-written Polars, peak RSS of each process; for both
   data shapes (the benchmark's own, and Parquet as a warehouse writes it: see generate.py);
2. the same from CSV (segcli vs `pl.scan_csv` + the hand-written query, and DuckDB);
3. `segcli run` over every rules/*.yaml (one shared pass) against the same segments built one by
   one, and against the floor: scanning the columns those rules need from each table plus one
   group-by per table;
4. `segcli grid` (retention and rfm) against `segcli build rules/vip.yaml`, as CLI processes;
5. the start-up cost: `segcli --help` and `segcli validate rules/`.
Every segment's members must agree between segcli, Polars and DuckDB (and the one-pass run with
the one-by-one builds), and from Parquet `segcli build --with-id` and both reference scripts must
write the same snapshot CSV byte for byte, or the benchmark stops with the difference. Prints
one markdown report and writes it to bench/results/<scale>.md; a full run also rewrites its
scale's blocks in docs/performance.md and the README (bench/pages.py).
"""

from __future__ import annotations

import argparse
import compileall
import difflib
import itertools
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import generate  # noqa: E402
import polars as pl  # noqa: E402
import reference_duckdb  # noqa: E402
import reference_polars  # noqa: E402
from floor import floor_seconds  # noqa: E402
from measure import Timing, machine, run_process, timed, timed_process  # noqa: E402
from memory import memory_section  # noqa: E402
from pages import Figure, Run, write_pages  # noqa: E402
from report import megabytes, ratio, seconds, table  # noqa: E402

from segcli import api  # noqa: E402
from segcli.backends import Inputs  # noqa: E402
from segcli.spec.model import Definition  # noqa: E402

ROOT = BENCH.parent
RULES = ROOT / "rules"
SEGMENTS = BENCH / "segments"
RESULTS = BENCH / "results"
PYTHON = sys.executable
SEGCLI = str(Path(sys.executable).parent / "segcli")
TARGET_SEGMENT, TARGET_RUN, TARGET_CSV, TARGET_START = 1.3, 1.3, 1.5, 0.3
TARGET_RSS_GB = 1.5  # peak RSS of `segcli run rules/`, whatever the scale


@dataclass(slots=True)
class Bench:
    scale: str
    folder: Path
    as_of: datetime
    runs: int
    report: list[str] = field(default_factory=list)
    shape: str = "benchmark"  # of the data in `folder` (see generate.py)
    # figure name -> (target, unit, in the README, values): the pages' summary (bench/pages.py)
    noted: dict[str, tuple[float, str, bool, list[float]]] = field(default_factory=dict)

    def files(self, fmt: str, *, reviews: bool = False) -> dict[str, Path]:
        names = ["orders", "order_lines", "customers", *(["reviews"] if reviews else [])]
        return {t: self.folder / fmt / f"{t}.{fmt}" for t in names}

    def tables(self, fmt: str, *, reviews: bool = False) -> Inputs:
        f = self.files(fmt, reviews=reviews)
        return api.open_tables(
            f["orders"], lines=f["order_lines"], customers=f["customers"], reviews=f.get("reviews")
        )

    def data_args(self, fmt: str, *, reviews: bool = False) -> list[str]:
        f = self.files(fmt, reviews=reviews)
        args = ["--lines", str(f["order_lines"]), "--customers", str(f["customers"])]
        return args + (["--reviews", str(f["reviews"])] if reviews else [])

    @property
    def snapshots(self) -> Path:
        """Where the processes' snapshot CSVs are written, to be compared byte for byte."""
        return self.folder / "snapshots"

    def say(self, text: str) -> None:
        print(text, flush=True)
        self.report.append(text)

    def note(
        self, name: str, value: float | None, target: float, unit: str = "×", *, readme: bool = True
    ) -> None:
        """One value of a figure for the pages (a figure over segments gathers one per segment)."""
        if value is not None:
            self.noted.setdefault(name, (target, unit, readme, []))[3].append(value)

    def figures(self) -> tuple[Figure, ...]:
        """The noted figures: ratios first, then memory, then start-up times."""
        found = [Figure(name, tuple(values), target, unit, readme)
                 for name, (target, unit, readme, values) in self.noted.items()]  # fmt: skip
        return tuple(sorted(found, key=lambda f: ("×", "GB", "s").index(f.unit)))


def check(segment: str, fmt: str, found: dict[str, list[str]]) -> int:
    """Every engine found the same members, or stop with the difference."""
    (first_name, first), *others = found.items()
    for name, keys in others:
        if keys != first:
            only_a, only_b = sorted(set(first) - set(keys)), sorted(set(keys) - set(first))
            raise SystemExit(
                f"MISMATCH {segment} ({fmt}): {first_name} {len(first)} vs {name} {len(keys)} "
                f"members; only {first_name}: {only_a[:10]}; only {name}: {only_b[:10]}"
            )
    return len(first)


def same_bytes(segment: str, fmt: str, written: dict[str, Path]) -> None:
    """Every process wrote the same snapshot CSV, byte for byte, or stop with a diff."""
    (first_name, first), *others = written.items()
    expected = first.read_bytes()
    for name, path in others:
        found = path.read_bytes()
        if found != expected:
            diff = difflib.unified_diff(
                expected.decode().splitlines(), found.decode().splitlines(), first_name, name,
                lineterm="", n=1,
            )  # fmt: skip
            shown = "\n".join(itertools.islice(diff, 40))
            raise SystemExit(f"SNAPSHOT BYTES DIFFER {segment} ({fmt}):\n{shown}")


def segcli_keys(frame: pl.DataFrame) -> list[str]:
    return [str(k) for k in frame["customer_key"].to_list()]


# ---- 1 and 2: one segment ------------------------------------------------------------------


def parquet_row(b: Bench, segment: str, definition: Definition) -> tuple[list[str | int], Timing]:
    lib, frame = timed(lambda: api.build_members(definition, b.tables("parquet"), b.as_of), b.runs)
    pol, polars_keys = timed(
        lambda: reference_polars.members(
            segment, reference_polars.scan(b.folder, "parquet"), b.as_of
        ),
        b.runs,
    )
    db = reference_duckdb.connect(b.folder, "parquet", b.as_of)
    duck, duck_keys = timed(lambda: reference_duckdb.members(segment, db, b.as_of), b.runs)
    found = {"segcli": segcli_keys(frame), "polars": polars_keys, "duckdb": duck_keys}
    members = check(segment, "parquet", found)
    orders = str(b.files("parquet")["orders"])
    out = b.snapshots / segment
    out.mkdir(parents=True, exist_ok=True)
    cli = timed_process(
        [SEGCLI, "build", str(definition.source), orders, *b.data_args("parquet"),
         "--as-of", generate.AS_OF, "--with-id", "-o", "-"], b.runs, stdout=out / "segcli.csv",
    )  # fmt: skip
    script = timed_process(
        reference_command("reference_polars.py", segment, b, "parquet"), b.runs,
        stdout=out / "polars.csv",
    )  # fmt: skip
    _, duck_rss = run_process(
        reference_command("reference_duckdb.py", segment, b, "parquet"), out / "duckdb.csv"
    )
    same_bytes(segment, "parquet", {n: out / f"{n}.csv" for n in ("segcli", "polars", "duckdb")})
    b.note(f"one segment from Parquet, library call × Polars ({b.shape} shape)",
           lib.seconds / pol.seconds, TARGET_SEGMENT, readme=False)  # fmt: skip
    b.note(f"one segment from Parquet, whole process × script ({b.shape} shape)",
           cli.seconds / script.seconds, TARGET_SEGMENT)  # fmt: skip
    return [
        segment, members, seconds(lib.seconds), ratio(lib.seconds, pol.seconds, TARGET_SEGMENT),
        seconds(cli.seconds), ratio(cli.seconds, script.seconds, TARGET_SEGMENT),
        seconds(pol.seconds), seconds(script.seconds), seconds(duck.seconds),
        ratio(duck.seconds, pol.seconds), megabytes(cli.rss_mb), megabytes(script.rss_mb),
        megabytes(duck_rss),
    ], lib  # fmt: skip


def reference_command(script: str, segment: str, b: Bench, fmt: str) -> list[str]:
    return [PYTHON, str(BENCH / script), segment, "--data", str(b.folder), "--format", fmt,
            "--as-of", generate.AS_OF]  # fmt: skip


def csv_row(
    b: Bench, segment: str, definition: Definition, parquet: Timing | None
) -> list[str | int]:
    lib, frame = timed(
        lambda: api.build_members(definition, b.tables("csv"), b.as_of),
        b.runs,
        warm_up=b.scale == "S",
    )
    pol, polars_keys = timed(
        lambda: reference_polars.members(segment, reference_polars.scan(b.folder, "csv"), b.as_of),
        b.runs,
        warm_up=b.scale == "S",
    )
    db = reference_duckdb.connect(b.folder, "csv", b.as_of)
    duck, duck_keys = timed(
        lambda: reference_duckdb.members(segment, db, b.as_of), b.runs, warm_up=b.scale == "S"
    )
    found = {"segcli": segcli_keys(frame), "polars": polars_keys, "duckdb": duck_keys}
    check(segment, "csv", found)
    b.note("one segment from CSV, library call × scan_csv + Polars", lib.seconds / pol.seconds,
           TARGET_CSV)  # fmt: skip
    return [
        segment, seconds(lib.seconds), seconds(pol.seconds),
        ratio(lib.seconds, pol.seconds, TARGET_CSV), seconds(duck.seconds),
        ratio(lib.seconds, parquet.seconds if parquet else None),
    ]  # fmt: skip


def parquet_section(b: Bench, definitions: dict[str, Definition]) -> dict[str, Timing]:
    """One segment at a time from Parquet; returns segcli's library timings by segment."""
    rows, parquet_lib = [], {}
    for segment, definition in definitions.items():
        row, parquet_lib[segment] = parquet_row(b, segment, definition)
        rows.append(row)
        print("  ", *row, file=sys.stderr, flush=True)
    b.say(f"\n### One segment from Parquet, {b.shape} shape (median of {b.runs} warm runs, "
          "seconds; RSS in MB)\n")  # fmt: skip
    b.say(table(["segment", "members", "segcli lib", "× Polars (≤1.3)", "segcli CLI",
                 "× script (≤1.3)", "Polars", "Polars script", "DuckDB", "DuckDB × Polars",
                 "RSS segcli CLI", "RSS Polars script", "RSS DuckDB script"], rows))  # fmt: skip
    return parquet_lib


def csv_section(
    b: Bench, definitions: dict[str, Definition], parquet_lib: dict[str, Timing]
) -> None:
    rows = []
    for segment, definition in definitions.items():
        rows.append(csv_row(b, segment, definition, parquet_lib.get(segment)))
        print("  ", *rows[-1], file=sys.stderr, flush=True)
    b.say(f"\n### One segment from CSV (median of {b.runs} warm runs, seconds)\n")
    b.say(table(["segment", "segcli lib", "scan_csv + Polars", "× Polars (≤1.5)", "DuckDB",
                 "segcli CSV × Parquet"], rows))  # fmt: skip


# ---- 3: all rules in one pass --------------------------------------------------------------


def one_by_one(
    b: Bench, rules: Sequence[Definition], fmt: str
) -> tuple[float, dict[str, list[str]]]:
    """Sum over the rules of each built alone (one run each, after a warm-up at S only)."""
    tables, total, members = b.tables(fmt, reviews=True), 0.0, {}
    for definition in rules:
        build = partial(api.build_members, definition, tables, b.as_of, rules)
        timing, frame = timed(build, 1, warm_up=b.scale == "S")
        total += timing.seconds
        members[definition.segment_id] = segcli_keys(frame)
    return total, members


def one_pass_members(frame: pl.DataFrame, rules: Sequence[Definition]) -> dict[str, list[str]]:
    found = {}
    for definition in rules:
        rows = frame.filter(pl.col(f"segment:{definition.segment_id}")).sort("customer_key")
        found[definition.segment_id] = segcli_keys(rows)
    return found


def cli_run(b: Bench, fmt: str, rules_dir: Path, runs: int) -> Timing:
    out = Path(tempfile.mkdtemp(prefix="segcli-bench-"))
    try:
        f = b.files(fmt, reviews=True)
        command = [SEGCLI, "run", str(rules_dir), "--orders", str(f["orders"]),
                   *b.data_args(fmt, reviews=True), "--as-of", generate.AS_OF, "--out", str(out),
                   "--quiet"]  # fmt: skip
        return timed_process(command, runs, before=lambda: _empty(out), warm_up=b.scale == "S")
    finally:
        shutil.rmtree(out, ignore_errors=True)


def _empty(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()


def run_rows(
    b: Bench, rules: Sequence[Definition], fmt: str, expected: dict[str, list[str]]
) -> tuple[list[list[str]], dict[str, list[str]]]:
    """One format's rows: CLI run, one pass, one by one, floor. At M/L the CSV side runs once,
    and is checked against the Parquet members instead of being built one by one."""
    big, n = b.scale != "S", len(rules)
    runs = 1 if big and fmt == "csv" else b.runs
    tables = b.tables(fmt, reviews=True)
    one, frame = timed(partial(api.members_table, rules, tables, b.as_of), runs, warm_up=runs > 1)
    alone, members = (None, expected) if big and fmt == "csv" else one_by_one(b, rules, fmt)
    for segment, keys in one_pass_members(frame, rules).items():
        check(segment, f"{fmt}, one pass", {"one pass": keys, "one by one": members[segment]})
    floor = floor_seconds(b.folder, fmt, runs)
    cli = cli_run(b, fmt, RULES, 1 if big else b.runs) if fmt == "parquet" else None
    rows = [
        [f"{fmt}: `segcli run rules/` (CLI, writes {n} snapshots)",
         seconds(cli.seconds if cli else None), ratio(cli.seconds if cli else None, floor),
         megabytes(cli.rss_mb if cli else None)],
        [f"{fmt}: one pass, library (`members_table`)", seconds(one.seconds),
         ratio(one.seconds, floor, TARGET_RUN), "–"],
        [f"{fmt}: the same {n} segments one by one (sum)", seconds(alone), ratio(alone, floor),
         "–"],
        [f"{fmt}: floor (needed columns + one group-by per table)", seconds(floor), "1.00×", "–"],
    ]  # fmt: skip
    for row in rows:
        print("  ", *row, file=sys.stderr, flush=True)
    kind = "Parquet" if fmt == "parquet" else "CSV"
    b.note(f"all rules/ in one pass × floor ({kind})", one.seconds / floor, TARGET_RUN)
    if cli is not None and cli.rss_mb is not None:
        peak_gb = cli.rss_mb * 2**20 / 1e9
        b.note("peak RSS of `segcli run rules/` (Parquet)", peak_gb, TARGET_RSS_GB, "GB")
    return rows, members


def run_section(b: Bench, *, csv_only: bool = False) -> None:
    rules = api.load_definitions([RULES])
    if csv_only:  # the Parquet members to check the CSV pass against, untimed
        frame = api.members_table(rules, b.tables("parquet", reviews=True), b.as_of)
        parquet: list[list[str]] = []
        members = one_pass_members(frame, rules)
    else:
        parquet, members = run_rows(b, rules, "parquet", {})
    csv, _ = run_rows(b, rules, "csv", members)
    runs = "one run each at M/L for CSV, the CLI run and one-by-one builds"
    b.say(f"\n### All {len(rules)} rules/ segments (seconds, median of {b.runs}; {runs})\n")
    b.say(table(["what", "seconds", "× floor (one pass ≤1.3)", "peak RSS MB"], parquet + csv))


# ---- 4: grids ------------------------------------------------------------------------------


def grid_section(b: Bench) -> None:
    """A grid is one pass like a segment: its cost next to one segment's, from Parquet."""
    f = b.files("parquet")
    data = [str(f["orders"]), "--customers", str(f["customers"]), "--as-of", generate.AS_OF]
    vip = timed_process([SEGCLI, "build", str(RULES / "vip.yaml"), *data, "-o", "-"], b.runs)
    rows = [["`segcli build rules/vip.yaml`", seconds(vip.seconds), "1.00×",
             megabytes(vip.rss_mb)]]  # fmt: skip
    for grid in ("retention", "rfm"):
        took = timed_process([SEGCLI, "grid", *data, "--grid", grid, "--json"], b.runs)
        rows.append([f"`segcli grid --grid {grid}`", seconds(took.seconds),
                     ratio(took.seconds, vip.seconds), megabytes(took.rss_mb)])  # fmt: skip
    b.say(f"\n### Grids against one segment (CLI from Parquet, median of {b.runs}, seconds)\n")
    b.say(table(["command", "seconds", "× vip build", "peak RSS MB"], rows))


# ---- 5: Spark -------------------------------------------------------------------------------


def spark_section(b: Bench, definitions: dict[str, Definition]) -> None:
    """Each segment built by the CLI on the Spark engine (a local session on every core: 2 on
    the benchmark machine; start-up included) next to the default engine, from Parquet; both
    write the same bytes."""
    rows = []
    for segment, definition in definitions.items():
        out = b.snapshots / segment
        out.mkdir(parents=True, exist_ok=True)
        orders = str(b.files("parquet")["orders"])
        command = [SEGCLI, "build", str(definition.source), orders, *b.data_args("parquet"),
                   "--as-of", generate.AS_OF, "--with-id", "-o", "-"]  # fmt: skip
        polars = timed_process(command, 1, warm_up=False, stdout=out / "engine-polars.csv")
        spark = timed_process(
            [*command, "--engine", "spark"], 1, warm_up=False, stdout=out / "engine-spark.csv"
        )
        same_bytes(segment, "spark", {n: out / f"engine-{n}.csv" for n in ("polars", "spark")})
        rows.append([segment, seconds(polars.seconds), seconds(spark.seconds),
                     ratio(spark.seconds, polars.seconds), megabytes(polars.rss_mb)])  # fmt: skip
    cores = os.cpu_count()
    b.say(
        f"\n### The Spark engine, local[{cores}] (CLI from Parquet, one run, seconds; same bytes)\n"
    )
    b.say(table(["segment", "polars", "spark", "× polars", "polars RSS MB"], rows))


# ---- 6: start-up ---------------------------------------------------------------------------


def startup_section(b: Bench) -> None:
    help_ = timed_process([SEGCLI, "--help"], 5)
    validate = timed_process([SEGCLI, "validate", str(RULES)], 5)
    rows = [
        ["`segcli --help`", seconds(help_.seconds), "✓" if help_.seconds <= TARGET_START else "✗"],
        ["`segcli validate rules/`", seconds(validate.seconds),
         "✓" if validate.seconds <= TARGET_START else "✗"],
    ]  # fmt: skip
    b.note("start-up, `segcli --help`", help_.seconds, TARGET_START, "s", readme=False)
    b.note("start-up, `segcli validate rules/`", validate.seconds, TARGET_START, "s", readme=False)
    b.say("\n### Start-up (median of 5 process runs, seconds; target ≤ 0.3)\n")
    b.say(table(["command", "seconds", "met"], rows))


# ---- main ----------------------------------------------------------------------------------


def header(b: Bench, command: str) -> str:
    """Prints the run's header; returns its data line (row counts)."""
    counts = {t: pl.scan_parquet(p).select(pl.len()).collect().item()
              for t, p in b.files("parquet", reviews=True).items()}  # fmt: skip
    data = "Data: " + ", ".join(f"{t} {n:,}" for t, n in counts.items())
    b.say(f"## Scale {b.scale}\n")
    b.say(f"`{command}` — {time.strftime('%Y-%m-%d')}, as-of {generate.AS_OF}")
    b.say(f"Machine: {machine_line()}")
    b.say(data)
    b.say(f"Load average at start: {load()} (the machine is shared: timings are noisy)")
    return data


def machine_line() -> str:
    import duckdb

    return f"{machine()}, Polars {pl.__version__}, DuckDB {duckdb.__version__}"


def command_line() -> str:
    """How this run was started, as a reader would type it."""
    return " ".join(["python bench/run.py", *sys.argv[1:]])


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def memory_only(scale: str, rounds: int) -> None:
    """`--memory`: the memory table alone, written to bench/results/<scale>-memory.md and to
    the pages' `<scale>-memory` block."""
    folder = generate.ensure(scale)
    lines = [f"## Scale {scale}: memory\n", f"`python bench/run.py --scale {scale} --memory`"]
    lines += [f"Machine: {machine()}; Polars {pl.__version__}", f"Load average at start: {load()}"]
    section, figures = memory_section(SEGCLI, RULES, folder, rounds)
    lines += section
    lines.append(f"\nLoad average at end: {load()}.")
    print("\n".join(lines), flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{scale}-memory.md").write_text("\n".join(lines) + "\n")
    when = time.strftime("%Y-%m-%d")
    data = f"Data: the generated scale {scale}, Parquet"
    tables = "\n".join(section)
    run = Run(f"{scale}-memory", command_line(), when, machine_line(), data, figures, tables,
              readme=False)  # fmt: skip  # the README keeps one short table a scale
    write_pages(run)


def compile_segcli() -> None:
    """Write segcli's bytecode before any process is timed, as installing it from a wheel does.

    An editable checkout run with PYTHONDONTWRITEBYTECODE set
    otherwise compiles every segcli module from source in each process, a cost no installed
    copy pays."""
    compileall.compile_dir(ROOT / "segcli", quiet=2)


def main() -> None:
    parser = argparse.ArgumentParser(description="segcli benchmark")
    parser.add_argument("--scale", choices=sorted(generate.SCALES), default="S")
    parser.add_argument("--runs", type=int, help="timed runs per figure (default 5 at S, else 3)")
    parser.add_argument(
        "--spark",
        action="store_true",
        help="also build each segment on the Spark engine, local[2] (needs segcli[spark], Java)",
    )
    parser.add_argument(
        "--segments-only",
        action="store_true",
        help="only the one-segment tables from Parquet (both data shapes, bytes compared)",
    )
    parser.add_argument(
        "--csv-only",
        action="store_true",
        help="only the CSV tables: one segment from CSV, and rules/ in one pass from CSV",
    )
    parser.add_argument(
        "--memory",
        action="store_true",
        help="only `segcli run rules/`, default settings against one pass, paired (peak RSS)",
    )
    args = parser.parse_args()
    compile_segcli()
    if args.memory:
        memory_only(args.scale, args.runs or 3)
        return
    started = time.monotonic()
    folder = generate.ensure(args.scale)
    as_of = reference_polars.parse_as_of(generate.AS_OF)
    b = Bench(args.scale, folder, as_of, args.runs or (5 if args.scale == "S" else 3))
    warehouse = generate.ensure(args.scale, "warehouse")
    w = Bench(args.scale, warehouse, as_of, b.runs, b.report, shape="warehouse", noted=b.noted)
    definitions = {d.segment_id: d for d in api.load_definitions(sorted(SEGMENTS.glob("*.yaml")))}
    command = command_line()
    data = header(b, command)
    first_table = len(b.report)
    if args.csv_only:
        csv_section(b, definitions, {})
        run_section(b, csv_only=True)
    else:
        parquet_lib = parquet_section(b, definitions)
        parquet_section(w, definitions)
    if not (args.segments_only or args.csv_only):
        csv_section(b, definitions, parquet_lib)
        run_section(b)
        grid_section(b)
        startup_section(b)
    if args.spark:
        spark_section(b, definitions)
    b.say(f"\nLoad average at end: {load()}.")
    b.say(f"\nBenchmark wall time {time.monotonic() - started:.0f} s (including generation).")
    RESULTS.mkdir(exist_ok=True)
    partial = "-segments" if args.segments_only else "-csv" if args.csv_only else ""
    (RESULTS / f"{args.scale}{partial}.md").write_text("\n".join(b.report) + "\n")
    if not partial:  # a partial run would blank the figures it did not measure
        tables = "\n".join(b.report[first_table:])
        when = time.strftime("%Y-%m-%d")
        write_pages(Run(args.scale, command, when, machine_line(), data, b.figures(), tables))


if __name__ == "__main__":
    main()
