"""The command line: arguments → one library call → rendering → exit code.

Polars and the backends are imported inside commands, so `--help` and `validate` stay fast.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from segcli import __version__
from segcli.errors import DefinitionError, ExitCode, SegcliError

if TYPE_CHECKING:
    from segcli.inputs.tables import Tables
    from segcli.spec.model import Definition

app = typer.Typer(
    name="segcli",
    help="Customer segments from e-commerce exports: YAML definitions in, frozen snapshot CSVs out.",
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
CustomersOpt = Annotated[
    list[Path] | None, typer.Option("--customers", help="Customers file(s).")
]
ReviewsOpt = Annotated[
    list[Path] | None, typer.Option("--reviews", help="Reviews file(s) (needed by reviewed).")
]
ProductsOpt = Annotated[
    list[Path] | None, typer.Option("--products", help="Products file (sku → brand, category…).")
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", help="Project config (YAML). Default: segcli.yaml beside the rules."),
]
PresetOpt = Annotated[
    str | None, typer.Option("--preset", help="Force an input layout: shopify.")
]
AsOfOpt = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Evaluate as of this date (YYYY-MM-DD = start of that day) or ISO datetime. "
        "Default: the definition's as_of, else the start of today.",
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
) -> Tables:
    from segcli.inputs.config import find_config, load_settings
    from segcli.inputs.read import open_tables

    config_path = config if config is not None else find_config(near)
    settings = load_settings(config_path) if config_path else None
    return open_tables(
        orders, lines=lines, customers=customers, reviews=reviews, products=products,
        settings=settings, preset=preset,
    )  # fmt: skip


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
            "-o", "--output",
            help="Snapshot path, or - for stdout. Default: snapshots/<segment>/<as-of>.csv",
        ),
    ] = None,  # fmt: skip
    with_id: Annotated[
        bool, typer.Option("--with-id", help="Add a leading Customer ID column (for machines).")
    ] = False,
    replace: Annotated[
        bool,
        typer.Option("--replace", help="If a different snapshot exists, keep it renamed and write."),
    ] = False,
) -> None:
    """Build one segment and write it as a frozen snapshot CSV (with a manifest beside it)."""
    from segcli import api, render

    with reporting():
        target, library = _load_one(definition)
        tables = _open(orders, lines, customers, reviews, products, config, preset,
                       definition.parent)  # fmt: skip
        instant = api.effective_as_of(target, as_of, tables.settings)
        path = None if output == "-" else (
            Path(output) if output else api.default_output(target, instant, tables.settings)
        )
        result, data = api.build_snapshot(
            target, tables, as_of=instant, output=path, with_id=with_id, library=library,
            replace=replace,
        )  # fmt: skip
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
) -> None:
    """Check segment definitions without reading any data (every problem, in every file)."""
    from segcli import render
    from segcli.spec.parse import load_definitions

    with reporting():
        paths = _definition_paths(definitions)
        loaded = load_definitions(paths)
        for item in loaded:
            render.print_info(f"ok  {item.source}  ({item.name})")


def _definition_paths(items: list[Path]) -> list[Path]:
    paths: list[Path] = []
    for item in items:
        if item.is_dir():
            paths.extend(sorted([*item.glob("*.yaml"), *item.glob("*.yml")]))
        else:
            paths.append(item)
    return paths


@app.command()
def schema() -> None:
    """Print the JSON Schema of the segment language (for editors)."""
    from segcli.spec.schema import json_schema

    typer.echo(json.dumps(json_schema(), indent=2, sort_keys=True))


def main() -> None:
    """Console entry point."""
    command: Callable[[], object] = app
    command()
