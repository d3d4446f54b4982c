"""The command line: arguments → one library call → rendering → exit code.

Polars and the backends are imported inside commands, so `--help` and `validate` stay fast.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import sys
from collections.abc import Callable, Iterator, MutableMapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from typer.main import get_command_name
from typer.models import CommandInfo

from segcli import __version__
from segcli.errors import DefinitionError, ExitCode, SegcliError

if TYPE_CHECKING:
    from segcli.backends import Inputs
    from segcli.grid import GridCounts, GroupChange
    from segcli.inputs.settings import Settings
    from segcli.spec.model import Definition

app = typer.Typer(
    name="segcli",
    no_args_is_help=True,
    pretty_exceptions_enable=False,  # tracebacks only with --debug, never with locals
    add_completion=False,
    rich_markup_mode=None,
)


class State:
    debug = False


def _version(value: bool) -> None:
    if value:
        typer.echo(f"segcli {__version__}")
        raise typer.Exit


@app.callback()
def main_options(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks for errors (for bug reports).")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """segcli turns orders, order lines and customers (CSV or Parquet) into customer segments.

    Exit codes: 0 ok, 1 some segments failed, 2 bad usage or definition, 3 bad input data,
    75 another run holds the output folder, 70 internal error.
    """
    State.debug = debug
    del version


@contextmanager
def reporting() -> Iterator[None]:
    """Turn library errors into one clear message on stderr and the documented exit code."""
    from segcli import render

    try:
        yield
    except DefinitionError as error:
        if State.debug:
            raise
        render.print_diagnostics(error.diagnostics)
        raise typer.Exit(error.exit_code) from None
    except SegcliError as error:
        if State.debug:
            raise
        render.print_error(str(error))
        raise typer.Exit(error.exit_code) from None
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except Exception as error:
        if State.debug:
            raise
        render.print_error(
            f"internal error ({type(error).__name__}); rerun with --debug and report it"
        )
        raise typer.Exit(ExitCode.INTERNAL) from None


# ---- shared options ------------------------------------------------------------------------

LinesOpt = Annotated[
    list[Path] | None, typer.Option("--lines", help="Order lines file(s) (needed by purchased).")
]
CustomersOpt = Annotated[list[Path] | None, typer.Option("--customers", help="Customers file(s).")]
ReviewsOpt = Annotated[
    list[Path] | None, typer.Option("--reviews", help="Reviews file(s) (needed by reviewed).")
]
ProductsOpt = Annotated[
    list[Path] | None, typer.Option("--products", help="Products file (sku → brand, category…).")
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="Project config (YAML). Default: segcli.yaml beside the rules or the orders.",
    ),
]
PresetOpt = Annotated[str | None, typer.Option("--preset", help="Force an input layout: shopify.")]
MemoryOpt = Annotated[
    str | None,
    typer.Option(
        "--memory-limit",
        help="Memory the run may use, e.g. 1.5GB: larger data is read in more passes over "
        "the customers. Default: memory_limit in segcli.yaml, else 1.5GB.",
    ),
]
AsOfOpt = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Evaluate as of this date (YYYY-MM-DD = start of that day) or ISO datetime. "
        "Default: the definition's as_of, else the start of today.",
    ),
]

EngineOpt = Annotated[
    str,
    typer.Option(
        "--engine",
        help="Where segments are computed: polars (this machine) or spark (a Spark session: "
        "see docs/spark.md).",
    ),
]
SparkRemoteOpt = Annotated[
    str | None,
    typer.Option(
        "--spark-remote",
        help="Spark Connect URL (sc://host:15002) for --engine spark. Default: $SPARK_REMOTE, "
        "else the session spark-submit or Databricks configured, else local[*].",
    ),
]


def _open(
    orders: list[Path],
    lines: list[Path] | None,
    customers: list[Path] | None,
    reviews: list[Path] | None,
    products: list[Path] | None,
    config: Path | None,
    preset: str | None,
    near: Path,
    engine: str = "polars",
    spark_remote: str | None = None,
    memory_limit: str | None = None,
) -> Inputs:
    from segcli import api
    from segcli.inputs.config import find_project_config, load_settings
    from segcli.inputs.settings import Settings, check_size

    config_path = config if config is not None else find_project_config(near, orders)
    settings = load_settings(config_path) if config_path else None
    if spark_remote is not None:  # how PySpark's builder is told to use Spark Connect
        os.environ["SPARK_REMOTE"] = spark_remote
    if memory_limit is not None:
        limit = check_size(memory_limit, "--memory-limit")
        settings = dataclasses.replace(settings or Settings(), memory_limit=limit)
    return api.open_tables(
        orders,
        lines=lines,
        customers=customers,
        reviews=reviews,
        products=products,
        settings=settings,
        preset=preset,
        engine=engine,
    )


def _load_one(definition: Path) -> tuple[Definition, list[Definition]]:
    from segcli.spec.parse import load_with_dependencies

    return load_with_dependencies(definition)


# ---- commands ------------------------------------------------------------------------------


@app.command()
def build(
    definition: Annotated[Path, typer.Argument(help="The segment definition (YAML).")],
    orders: Annotated[list[Path], typer.Argument(help="Orders file(s), folder or glob.")],
    lines: LinesOpt = None,
    customers: CustomersOpt = None,
    reviews: ReviewsOpt = None,
    products: ProductsOpt = None,
    config: ConfigOpt = None,
    preset: PresetOpt = None,
    as_of: AsOfOpt = None,
    output: Annotated[
        str | None,
        typer.Option(
            "-o",
            "--output",
            help="Snapshot path, or - for stdout. Default: snapshots/<segment>/<as-of>.csv",
        ),
    ] = None,
    with_id: Annotated[
        bool, typer.Option("--with-id", help="Add a leading Customer ID column (for machines).")
    ] = False,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace", help="If a different snapshot exists, keep it renamed and write."
        ),
    ] = False,
    engine: EngineOpt = "polars",
    spark_remote: SparkRemoteOpt = None,
    memory_limit: MemoryOpt = None,
) -> None:
    """Build one segment and write it as a frozen snapshot CSV (with a manifest beside it)."""
    from segcli import api, render

    with reporting():
        target, library = _load_one(definition)
        tables = _open(
            orders, lines, customers, reviews, products, config, preset, definition.parent,
            engine, spark_remote, memory_limit,
        )  # fmt: skip
        instant = api.effective_as_of(target, as_of, tables.settings)
        path = (
            None
            if output == "-"
            else (Path(output) if output else api.default_output(target, instant, tables.settings))
        )
        with render.working(f"building {target.segment_id} as of {instant.date()}"):
            result, data = api.build_snapshot(
                target,
                tables,
                as_of=instant,
                output=path,
                with_id=with_id,
                library=library,
                replace=replace,
            )
        if path is None:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        where = "stdout" if path is None else str(path)
        note = " (unchanged: identical snapshot exists)" if result.status == "unchanged" else ""
        render.print_info(
            f"{target.segment_id}: {result.members} members → {where}{note} "
            f"[as of {instant.isoformat()}, {result.seconds:.2f} s]"
        )


@app.command()
def validate(
    definitions: Annotated[list[Path], typer.Argument(help="Definition files or folders.")],
    orders: Annotated[
        list[Path] | None,
        typer.Option("--orders", help="Also check the definitions against this data."),
    ] = None,
    lines: LinesOpt = None,
    customers: CustomersOpt = None,
    reviews: ReviewsOpt = None,
    products: ProductsOpt = None,
    config: ConfigOpt = None,
    preset: PresetOpt = None,
    as_of: AsOfOpt = None,
    exclusive: Annotated[
        bool,
        typer.Option("--exclusive", help="Also refuse priority ties (as run --exclusive does)."),
    ] = False,
) -> None:
    """Check segment definitions and grid files without reading any data (every problem, in
    every file).

    With --orders (and --lines, --customers…), also against the data: text values that never
    occur in it (an error, exit 2), segments that hold for nobody or everyone and periods that
    start before the first order (warnings, exit 0).
    """
    from segcli import api, render
    from segcli.spec.grid_parse import load_grids, looks_like_grid
    from segcli.spec.parse import definition_files, load_definitions

    with reporting():
        paths = [f for p in definitions for f in (definition_files(p) if p.is_dir() else [p])]
        grid_files = [p for p in paths if looks_like_grid(p)]
        problems = []
        try:
            for grid in load_grids(grid_files):
                render.print_info(f"ok  {grid.source}  (grid: {grid.name})")
        except DefinitionError as error:
            problems += error.diagnostics
        rest = [p for p in paths if p not in grid_files] if grid_files else definitions
        try:
            loaded = load_definitions(rest) if rest or not grid_files else []
        except DefinitionError as error:
            raise DefinitionError(problems + error.diagnostics) from None
        if problems:
            raise DefinitionError(problems)
        if exclusive:
            api.check_priorities(loaded)
        for item in loaded:
            render.print_info(f"ok  {item.source}  ({item.name})")
        if orders:
            near = definitions[0] if definitions else Path()
            tables = _open(orders, lines, customers, reviews, products, config, preset, near)
            instant = api.effective_as_of(None, as_of, tables.settings)
            report = api.lint_definitions(loaded, loaded, tables, instant)
            render.print_findings(report.findings)
            if report.errors:
                raise typer.Exit(ExitCode.BAD_DEFINITION)


@app.command(name="test")
def definition_tests(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Test files, or folders (a rules folder: its tests/). Default: rules"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
) -> None:
    """Run tests for definitions: inline rows, an as-of and the members expected, each
    evaluated as `build` would. Exit 0 when all pass, 1 when any fails, 2 on a bad test file.
    """
    from segcli import api, render

    with reporting():
        report = api.run_definition_tests(paths or [Path("rules")])
        if as_json:
            typer.echo(json.dumps(report.as_json(), indent=2))
        else:
            render.print_test_report(report)
        render.print_test_summary(report)
    raise typer.Exit(report.exit_code)


@app.command()
def schema(
    grid_files: Annotated[
        bool, typer.Option("--grid", help="The schema of grid files instead.")
    ] = False,
) -> None:
    """Print the JSON Schema of the segment language (for editors); --grid: of grid files."""
    from segcli.spec.schema import grid_schema, json_schema

    typer.echo(json.dumps(grid_schema() if grid_files else json_schema(), indent=2, sort_keys=True))


@app.command()
def explain(
    definition: Annotated[Path, typer.Argument(help="The segment definition (YAML).")],
    orders: Annotated[
        list[Path] | None,
        typer.Argument(help="Orders file(s): give the data to also print the engine's plan."),
    ] = None,
    lines: LinesOpt = None,
    customers: CustomersOpt = None,
    reviews: ReviewsOpt = None,
    products: ProductsOpt = None,
    config: ConfigOpt = None,
    preset: PresetOpt = None,
    as_of: AsOfOpt = None,
    engine: EngineOpt = "polars",
    spark_remote: SparkRemoteOpt = None,
) -> None:
    """Say what a segment means: its rules in plain words, the periods as dates, the semantics
    in force (which orders count, how spend is computed) and, given the data, the engine's plan."""
    from segcli import api
    from segcli.explain import explain_text
    from segcli.inputs.settings import Settings

    with reporting():
        target, library = _load_one(definition)
        tables = None
        if orders:
            tables = _open(
                orders, lines, customers, reviews, products, config, preset, definition.parent,
                engine, spark_remote,
            )  # fmt: skip
        settings = tables.settings if tables else _settings(config, definition.parent) or Settings()
        instant = api.effective_as_of(target, as_of, settings)
        typer.echo(explain_text(target, library, instant, settings, tables))


def _settings(config: Path | None, near: Path) -> Settings | None:
    from segcli.inputs.config import find_config, load_settings

    path = config if config is not None else find_config(near)
    return load_settings(path) if path else None


@app.command()
def preview(
    definition: Annotated[Path, typer.Argument(help="The segment definition (YAML).")],
    orders: Annotated[list[Path], typer.Argument(help="Orders file(s), folder or glob.")],
    lines: LinesOpt = None,
    customers: CustomersOpt = None,
    reviews: ReviewsOpt = None,
    products: ProductsOpt = None,
    config: ConfigOpt = None,
    preset: PresetOpt = None,
    as_of: AsOfOpt = None,
    rows: Annotated[int, typer.Option("-n", "--rows", help="How many rows to show.")] = 10,
    engine: EngineOpt = "polars",
    spark_remote: SparkRemoteOpt = None,
) -> None:
    """Show how many customers a segment holds and its first rows, without writing a snapshot."""
    from segcli import api, render
    from segcli.export import render_csv

    with reporting():
        target, library = _load_one(definition)
        tables = _open(
            orders, lines, customers, reviews, products, config, preset, definition.parent,
            engine, spark_remote,
        )  # fmt: skip
        instant = api.effective_as_of(target, as_of, tables.settings)
        members = api.build_members(target, tables, instant, library)
        data = render_csv(members.head(rows), timezone=tables.settings.timezone)
        render.print_preview(target.name, members.height, instant, data)


@app.command()
def why(
    definition: Annotated[Path, typer.Argument(help="The segment definition (YAML).")],
    customer: Annotated[str, typer.Argument(help="The customer's id or email.")],
    orders: Annotated[list[Path], typer.Argument(help="Orders file(s), folder or glob.")],
    lines: LinesOpt = None,
    customers: CustomersOpt = None,
    reviews: ReviewsOpt = None,
    products: ProductsOpt = None,
    config: ConfigOpt = None,
    preset: PresetOpt = None,
    as_of: AsOfOpt = None,
    engine: EngineOpt = "polars",
    spark_remote: SparkRemoteOpt = None,
) -> None:
    """Explain one customer: which rules held, which did not, and the values they saw."""
    from segcli import api, render
    from segcli.why import why_lines

    with reporting():
        target, library = _load_one(definition)
        tables = _open(
            orders, lines, customers, reviews, products, config, preset, definition.parent,
            engine, spark_remote,
        )  # fmt: skip
        instant = api.effective_as_of(target, as_of, tables.settings)
        member, lines_ = why_lines(target, library, tables, instant, customer)
        render.print_why(target.segment_id, member, lines_)


@app.command()
def segments(
    customer: Annotated[str, typer.Argument(help="The customer's id or email.")],
    rules_dir: Annotated[Path, typer.Argument(help="Folder of segment definitions (*.yaml).")],
    orders: Annotated[list[Path], typer.Argument(help="Orders file(s), folder or glob.")],
    lines: LinesOpt = None,
    customers: CustomersOpt = None,
    reviews: ReviewsOpt = None,
    products: ProductsOpt = None,
    config: ConfigOpt = None,
    preset: PresetOpt = None,
    as_of: AsOfOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
) -> None:
    """Which segments of a folder one customer is in now, with the rule values for each
    (reads only that customer's rows)."""
    from segcli import api, render

    with reporting():
        definitions = api.load_definitions([rules_dir])
        answer = api.customer_segments(
            definitions, customer, orders, lines=lines, customers=customers, reviews=reviews,
            products=products, settings=_settings(config, rules_dir), preset=preset, as_of=as_of,
        )  # fmt: skip
        if as_json:
            typer.echo(json.dumps(answer.as_json(), indent=2))
        else:
            render.print_customer_segments(answer)


@app.command()
def history(
    definition: Annotated[Path, typer.Argument(help="The segment definition (YAML).")],
    orders: Annotated[list[Path], typer.Argument(help="Orders file(s), folder or glob.")],
    start: Annotated[str, typer.Option("--from", help="The first date (YYYY-MM-DD).")],
    end: Annotated[
        str,
        typer.Option("--to", help="The last date (YYYY-MM-DD; included if a step lands on it)."),
    ],
    every: Annotated[str, typer.Option("--every", help="The step: day, week or month.")] = "month",
    lines: LinesOpt = None,
    customers: CustomersOpt = None,
    reviews: ReviewsOpt = None,
    products: ProductsOpt = None,
    config: ConfigOpt = None,
    preset: PresetOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the series as JSON.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print the series as CSV.")] = False,
    output: Annotated[
        str | None, typer.Option("-o", "--output", help="Write --json/--csv here (- = stdout).")
    ] = None,
    png: Annotated[Path | None, typer.Option("--png", help="Draw the series as a PNG.")] = None,
    memory_limit: MemoryOpt = None,
) -> None:
    """One segment's members at each date from --from to --to, and who entered and left since
    the date before; each date is an as-of like --as-of DATE (the start of that day)."""
    from segcli import api, render
    from segcli.errors import UsageError
    from segcli.history import history_bytes

    with reporting():
        if as_json and as_csv:
            raise UsageError("--json or --csv, not both")
        if output is not None and not (as_json or as_csv):
            raise UsageError("-o writes --csv or --json: add one of them")
        if png is not None:
            from segcli.grid_picture import require_matplotlib

            require_matplotlib()
        target, library = _load_one(definition)
        tables = _open(
            orders, lines, customers, reviews, products, config, preset, definition.parent,
            memory_limit=memory_limit,
        )  # fmt: skip
        with render.working(f"history of {target.segment_id}"):
            series = api.membership_history(
                target, tables, start=start, end=end, every=every, library=library,
                progress=render.print_history_progress,
            )  # fmt: skip
        machine = as_json or as_csv
        render.print_history(series, to_stderr=machine and output in (None, "-"))
        if png is not None:
            from segcli.history_picture import draw_history

            draw_history(series, png)
            render.print_info(f"wrote {png}")
        if machine:
            _emit(history_bytes(series, as_json=as_json), output)


@app.command()
def run(
    rules_dir: Annotated[Path, typer.Argument(help="Folder of segment definitions (*.yaml).")],
    orders: Annotated[list[Path], typer.Option("--orders", help="Orders file(s), folder or glob.")],
    out: Annotated[
        Path, typer.Option("--out", help="Snapshot folder: <out>/<segment>/<as-of>.csv")
    ],
    lines: LinesOpt = None,
    customers: CustomersOpt = None,
    reviews: ReviewsOpt = None,
    products: ProductsOpt = None,
    config: ConfigOpt = None,
    preset: PresetOpt = None,
    as_of: AsOfOpt = None,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace", help="Rebuild existing snapshots; keep a differing old one renamed."
        ),
    ] = False,
    with_id: Annotated[bool, typer.Option("--with-id", help="Add a Customer ID column.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only failures.")] = False,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write a JSON summary of the run here.")
    ] = None,
    exclusive: Annotated[
        bool,
        typer.Option(
            "--exclusive",
            help="Each customer only in the highest-priority segment that holds (priority: N).",
        ),
    ] = False,
    engine: EngineOpt = "polars",
    spark_remote: SparkRemoteOpt = None,
    memory_limit: MemoryOpt = None,
) -> None:
    """Build every segment in a folder in one pass over the data (safe for cron).

    Existing snapshots for the same as-of that verify are kept (a rerun resumes a failed night).
    Data larger than --memory-limit is read in passes; each finished pass is kept in
    <out>/.segcli-work/ until the run completes, so a killed run resumes from the next pass.
    Exit 0 when every segment is published or kept, 1 when any failed or broke its count guard.
    """
    from segcli import api, render
    from segcli.nightly import run_segments

    with reporting():
        tables = _open(
            orders, lines, customers, reviews, products, config, preset, rules_dir,
            engine, spark_remote, memory_limit,
        )  # fmt: skip
        instant = api.effective_as_of(None, as_of, tables.settings)
        with render.working(f"building the segments of {rules_dir} as of {instant.date()}"):
            result = run_segments(
                rules_dir,
                tables,
                out,
                instant,
                replace=replace,
                with_id=with_id,
                progress=None if quiet else render.print_outcome,
                exclusive=exclusive,
            )
        if quiet:
            for outcome in result.segments:
                if outcome.status in ("failed", "guarded"):
                    render.print_outcome(outcome)
        if report is not None:
            from segcli.snapshot import write_file_atomic

            text = json.dumps(result.as_json(), indent=2) + "\n"
            write_file_atomic(report, text.encode("utf-8"))
        if not quiet:
            render.print_run_summary(result)
    raise typer.Exit(result.exit_code)


@app.command()
def verify(
    path: Annotated[
        Path, typer.Argument(help="A snapshot CSV, its manifest, or a folder of them.")
    ],
) -> None:
    """Check snapshots against their manifests (file hash, row count, header).

    Exit 0 when every snapshot verifies, 1 when any does not.
    """
    from segcli import render
    from segcli.verify import verify_snapshot

    with reporting():
        result = verify_snapshot(path)
        for check in result.checks:
            render.print_check(check.path, check.status, check.problems)
        render.print_info(
            f"{len(result.checks)} snapshot(s): {len(result.with_status('ok'))} ok, "
            f"{len(result.checks) - len(result.with_status('ok'))} not"
        )
        if not result.checks:
            render.print_error(f"no snapshots under {path}")
    raise typer.Exit(ExitCode.OK if result.ok and result.checks else ExitCode.SEGMENTS_FAILED)


@app.command()
def diff(
    old: Annotated[Path, typer.Argument(help="Older snapshot CSV, or a segment folder.")],
    new: Annotated[
        Path | None, typer.Argument(help="Newer snapshot CSV (omit with a segment folder).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("-o", "--out", help="Write entered.csv and left.csv here.")
    ] = None,
    why: Annotated[
        bool,
        typer.Option("--why", help="The rule that flipped for each change (needs --orders)."),
    ] = False,
    orders: Annotated[
        list[Path] | None, typer.Option("--orders", help="Orders file(s), for --why.")
    ] = None,
    lines: LinesOpt = None,
    customers: CustomersOpt = None,
    reviews: ReviewsOpt = None,
    products: ProductsOpt = None,
    config: ConfigOpt = None,
    preset: PresetOpt = None,
    definition: Annotated[
        Path | None,
        typer.Option("--definition", help="For --why. Default: rules/<segment>.yaml"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="With --why: print JSON.")] = False,
    limit: Annotated[int, typer.Option("--limit", help="With --why: customers shown.")] = 20,
) -> None:
    """Who entered and who left a segment between two snapshots.

    With a segment folder (e.g. snapshots/vip), compares its latest two snapshots. With --why
    and the data, the rules that flipped for each of them, with their values at both as-ofs.
    """
    from segcli import api, render
    from segcli.diff import diff_snapshots, latest_two, write_diff
    from segcli.errors import UsageError

    with reporting():
        if new is None:
            if not old.is_dir():
                raise UsageError("give two snapshots, or one segment folder")
            old, new = latest_two(old)
        if why and not orders:
            raise UsageError("--why evaluates the rules: give the data with --orders")
        if why and orders:
            from segcli.manifest import manifest_path, read_manifest

            segment = read_manifest(manifest_path(new)).segment_id
            path = definition or Path("rules") / f"{segment}.yaml"
            target, library = _load_one(path)
            tables = _open(orders, lines, customers, reviews, products, config, preset, path)
            result, reasons = api.diff_reasons(old, new, target, library, tables)
        else:
            result, reasons = diff_snapshots(old, new), None
        summary = (
            f"{old.name} → {new.name}: {result.entered_count} entered, "
            f"{result.left_count} left, {result.stayed} stayed (matched by {result.matched_by})"
        )
        if reasons is not None and as_json:
            typer.echo(json.dumps(reasons.as_json(), indent=2))
        elif reasons is not None:
            typer.echo(summary)
            render.print_reasons(reasons, limit)
        else:
            typer.echo(summary)
        if out is not None:
            entered, left = write_diff(result, out)
            render.print_info(f"wrote {entered} and {left}")


@app.command()
def normalize(
    orders: Annotated[list[Path], typer.Argument(help="Orders file(s), folder or glob.")],
    out: Annotated[
        Path, typer.Option("--out", help="The folder to write: new or empty (see --replace).")
    ],
    lines: LinesOpt = None,
    customers: CustomersOpt = None,
    reviews: ReviewsOpt = None,
    products: ProductsOpt = None,
    config: ConfigOpt = None,
    preset: PresetOpt = None,
    replace: Annotated[
        bool,
        typer.Option("--replace", help="Replace the tables of an earlier normalize in --out."),
    ] = False,
) -> None:
    """Write the inputs in the canonical layout: typed Parquet tables (orders, order_lines,
    customers, reviews) and the settings that still apply (segcli.yaml), in a new folder.

    Building from that folder gives the same snapshots as building from the exports.
    """
    from segcli import api, render

    with reporting():
        tables = _open(orders, lines, customers, reviews, products, config, preset, orders[0])
        with render.working(f"normalizing into {out}"):
            result = api.normalize_inputs(tables, out, replace=replace)
        for table in result.tables:
            render.print_info(f"{table.path}: {table.rows} rows")
        render.print_info(
            f"{result.config}: the settings that still apply [{result.seconds:.2f} s]"
        )


@app.command()
def inspect(
    files: Annotated[list[Path], typer.Argument(help="Export files, folders or globs.")],
    config: ConfigOpt = None,
    preset: PresetOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Show how segcli reads export files: detected layout and column mapping, rows, orders,
    customers, date range, nulls per column, currencies, and warnings."""
    from segcli import render
    from segcli.inputs.inspect import inspect_files

    with reporting():
        settings = _settings(config, files[0].parent if files else Path())
        report = inspect_files(files, settings=settings, preset=preset)
        if as_json:
            typer.echo(json.dumps(report, indent=2, sort_keys=True, default=str))
        else:
            render.print_inspect(report)


@app.command()
def grid(
    orders: Annotated[
        list[Path] | None, typer.Argument(help="Orders file(s), folder or glob.")
    ] = None,
    lines: LinesOpt = None,
    customers: CustomersOpt = None,
    reviews: ReviewsOpt = None,
    products: ProductsOpt = None,
    config: ConfigOpt = None,
    preset: PresetOpt = None,
    as_of: AsOfOpt = None,
    grid_ref: Annotated[
        str, typer.Option("--grid", help="A built-in grid (see --list) or a grid file.")
    ] = "retention",
    compare: Annotated[
        str | None,
        typer.Option(
            "--compare", help="Also count as of 30d (days) before, or a date; show change."
        ),
    ] = None,
    alert: Annotated[
        float, typer.Option("--alert", help="Warn when a group drops by more than this %.")
    ] = 20.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the counts as JSON.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print the counts as CSV.")] = False,
    output: Annotated[
        str | None, typer.Option("-o", "--output", help="Write --json/--csv here (- = stdout).")
    ] = None,
    png: Annotated[Path | None, typer.Option("--png", help="Draw the grid as a PNG.")] = None,
    svg: Annotated[Path | None, typer.Option("--svg", help="Draw the grid as an SVG.")] = None,
    list_grids: Annotated[bool, typer.Option("--list", help="List the built-in grids.")] = False,
) -> None:
    """Place every customer on a grid (retention: orders × days since the last order; rfm:
    Shopify's RFM groups) and count each cell and group; --compare shows each group's change."""
    from decimal import Decimal

    from segcli import api, render
    from segcli import grid as grids
    from segcli.errors import UsageError

    with reporting():
        if list_grids:
            render.print_grid_list(grids.builtin_grid_list())
            return
        if not orders:
            raise UsageError("give the orders file(s), or --list")
        if as_json and as_csv:
            raise UsageError("--json or --csv, not both")
        chosen = grids.find_grid(grid_ref)
        if png is not None or svg is not None:
            from segcli.grid_picture import require_matplotlib

            require_matplotlib()
        tables = _open(orders, lines, customers, reviews, products, config, preset, Path())
        instant = api.effective_as_of(None, as_of, tables.settings)
        other = None
        if compare is not None:
            other = grids.compare_as_of(compare, instant, tables.settings.timezone)
        with render.working(f"counting {chosen.grid_id} as of {instant.date()}"):
            counts, changes = grids.count_with_changes(
                chosen, tables, instant, other, Decimal(str(alert))
            )
        render.print_grid(counts, changes)
        _draw(counts, changes, png, svg)
        if as_json or as_csv:
            _emit(grids.grid_bytes(counts, changes, as_json=as_json), output)


def _draw(
    counts: GridCounts, changes: list[GroupChange] | None, png: Path | None, svg: Path | None
) -> None:
    from segcli import render
    from segcli.grid_picture import draw_grid

    for path, kind in ((png, "png"), (svg, "svg")):
        if path is not None:
            draw_grid(counts, changes, path, "png" if kind == "png" else "svg")
            render.print_info(f"wrote {path}")


def _emit(data: bytes, output: str | None) -> None:
    """Machine output to stdout (`-o -` or no -o) or atomically to a file."""
    if output is None or output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    from segcli.snapshot import write_file_atomic

    write_file_atomic(Path(output), data)


# Polars' allocator (jemalloc) turns freed pages into "muzzy" ones that stay in RSS for another
# second (Polars sets dirty_decay_ms:500,muzzy_decay_ms:1000). A run is a few large queries one
# after the other, so without this each query starts on top of the last one's pages; returning
# them at once lowers the peak RSS of a large run at no measurable cost in time (figures in
# docs/performance.md). A user's own _RJEM_MALLOC_CONF is left as it is.
ALLOCATOR_CONF = "muzzy_decay_ms:0"


def tune_allocator(environ: MutableMapping[str, str] = os.environ) -> None:
    """Before Polars is imported: return freed memory promptly, unless the user configured it."""
    environ.setdefault("_RJEM_MALLOC_CONF", ALLOCATOR_CONF)


def command_app(args: Sequence[str]) -> typer.Typer:
    """The app narrowed to the one command `args` names, else the whole app.

    Typer turns every registered command's signature into Click options before it parses the
    arguments, and that costs more than some commands' own work at start-up. A process runs
    one command, so only that one is built; without a known command name (no arguments,
    `--help`, a misspelt name and its suggestions) the whole app answers as before. The main
    options (`--debug`, `--version`, `--help`) take no value, so the first argument that is not
    an option is the command's name."""
    name = next((arg for arg in args if not arg.startswith("-")), None)
    chosen = [c for c in app.registered_commands if _command_name(c) == name]
    if len(chosen) != 1 or app.registered_groups:
        return app
    narrow = copy.copy(app)
    narrow.registered_commands = chosen
    return narrow


def _command_name(info: CommandInfo) -> str:
    return info.name or get_command_name(info.callback.__name__ if info.callback else "")


def main() -> None:
    """Console entry point."""
    tune_allocator()
    command: Callable[[], object] = command_app(sys.argv[1:])
    command()
