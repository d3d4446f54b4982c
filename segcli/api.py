"""The library: everything the CLI does is one call here."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from segcli.backends import DEFAULT_ENGINE, InputRequest, load_engine
from segcli.errors import InputError, UsageError
from segcli.inputs.settings import Settings
from segcli.inputs.tables import Tables
from segcli.periods import as_of_label, resolve_as_of
from segcli.plan import (
    EXPORT_COLUMNS,
    FeaturePlan,
    plan_features,
    segment_column,
    walk_conditions,
)
from segcli.spec.model import Definition, Registered
from segcli.spec.parse import load_definitions, load_with_dependencies, parse_definition

if TYPE_CHECKING:
    import polars as pl

    from segcli.manifest import InputFile, Manifest

__all__ = [
    "BuildResult",
    "build_members",
    "build_snapshot",
    "load_definitions",
    "load_with_dependencies",
    "member_keys",
    "members_table",
    "open_tables",
    "parse_definition",
    "plan_segments",
]

AsOf = date | datetime | str | None


def open_tables(*args: object, engine: str = DEFAULT_ENGINE, **kwargs: object) -> Tables:
    """Read the exports (see segcli.inputs.read.open_tables for the arguments) with the named
    engine (see segcli.backends)."""
    if engine != DEFAULT_ENGINE:
        kwargs["settings"] = kwargs.get("settings") or Settings()
        request = InputRequest(*args, **kwargs)  # type: ignore[arg-type]
        return load_engine(engine).open_inputs(request)  # type: ignore[return-value]
    from segcli.inputs.read import open_tables as read  # noqa: PLC0415

    return read(*args, **kwargs)  # type: ignore[arg-type]


def effective_as_of(definition: Definition | None, as_of: AsOf, settings: Settings) -> datetime:
    """--as-of wins, then the definition's as_of, then the start of today."""
    chosen = as_of if as_of is not None else (definition.as_of if definition else None)
    return resolve_as_of(chosen, settings.timezone)


def plan_segments(
    segments: Sequence[Definition],
    tables: Tables,
    as_of: datetime,
    library: Sequence[Definition] = (),
) -> FeaturePlan:
    """The feature plan, checked against what the data can answer."""
    plan = plan_features(segments, as_of, tables.settings.timezone, library)
    if plan.needs_lines and not tables.has_lines:
        raise UsageError("a segment uses purchased/items_purchased: pass the order lines (--lines)")
    if plan.needs_reviews and not tables.has_reviews:
        raise UsageError("a segment uses reviewed: pass the reviews file (--reviews)")
    if not tables.has_registration_date:
        _refuse_registered(segments, plan)
    return plan


def _refuse_registered(segments: Sequence[Definition], plan: FeaturePlan) -> None:
    for definition in segments:
        for condition in walk_conditions(definition.rule, plan.library):
            if isinstance(condition, Registered):
                where = f"{condition.span}: " if condition.span else ""
                raise InputError(
                    f"{where}'registered' cannot be answered: the customers data has no "
                    "registration date (Shopify customers exports carry none); "
                    "remove the rule or map a registration column in the project config"
                )


def members_table(
    segments: Sequence[Definition],
    tables: Tables,
    as_of: datetime,
    library: Sequence[Definition] = (),
) -> pl.DataFrame:
    """One collected table: export columns and a flag per segment, for every customer who is a
    member of at least one of the segments (the others are never materialised)."""
    from segcli.backends.polars import (  # noqa: PLC0415
        build_members_table,
        id_order,
        id_order_query,
        item_cell_query,
        line_features,
        order_email_query,
    )
    from segcli.inputs.read import collect  # noqa: PLC0415

    plan = plan_segments(segments, tables, as_of, library)
    if tables.engine != DEFAULT_ENGINE:
        return load_engine(tables.engine).members_table(plan, tables)
    exclude = tables.settings.exclude_statuses
    lines = None
    if plan.needs_lines:  # up to five queries, one after the other: see line_features
        query = item_cell_query(plan, tables)
        cells = None if query is None else collect(query, tables, ["lines"])
        check = id_order_query(plan, tables, gated=True)
        order = None if check is None else id_order(collect(check, tables, ["orders", "lines"]))
        per_line = line_features(plan, tables, exclude, cells, gated=True, order=order)
        lines = collect(per_line, tables, ["orders", "customers", "lines", "products"])
    query = order_email_query(plan, tables, exclude, lines)
    emails = None if query is None else collect(query, tables, ["orders", "customers"])
    return _collect(build_members_table(plan, tables, exclude, lines, emails), tables, plan)


def _collect(lazy: pl.LazyFrame, tables: Tables, plan: FeaturePlan) -> pl.DataFrame:
    from segcli.inputs.read import collect  # noqa: PLC0415

    roles = ["orders", "customers"]
    roles += ["lines", "products"] if plan.needs_lines else []
    roles += ["reviews"] if plan.needs_reviews else []
    return collect(lazy, tables, roles)


def build_members(
    definition: Definition,
    tables: Tables,
    as_of: datetime,
    library: Sequence[Definition] = (),
) -> pl.DataFrame:
    """The export rows (export columns, sorted by customer key) of one segment."""
    table = members_table([definition], tables, as_of, library)
    flag = segment_column(definition)
    return table.filter(table[flag]).select(EXPORT_COLUMNS).sort("customer_key")


def member_keys(
    definition: Definition,
    tables: Tables,
    as_of: AsOf = None,
    *,
    library: Sequence[Definition] = (),
) -> list[str]:
    """Sorted identity keys of the segment's exported members."""
    instant = effective_as_of(definition, as_of, tables.settings)
    rows = build_members(definition, tables, instant, library)
    return [str(k) for k in rows["customer_key"].to_list()]


@dataclass(frozen=True, slots=True)
class BuildResult:
    output: Path | None  # None when written to stdout
    members: int
    as_of: datetime
    seconds: float
    status: str  # "written", "unchanged", "stdout"


def default_output(definition: Definition, as_of: datetime, settings: Settings) -> Path:
    return (
        Path("snapshots") / definition.segment_id / f"{as_of_label(as_of, settings.timezone)}.csv"
    )


def build_snapshot(
    definition: Definition,
    tables: Tables,
    *,
    as_of: AsOf = None,
    output: Path | None = None,
    with_id: bool = False,
    library: Sequence[Definition] = (),
    replace: bool = False,
) -> tuple[BuildResult, bytes]:
    """Build one segment; write it as a frozen snapshot, or only return the bytes (output None)."""
    from segcli.export import render_csv  # noqa: PLC0415

    started = time.monotonic()
    instant = effective_as_of(definition, as_of, tables.settings)
    rows = build_members(definition, tables, instant, library)
    data = render_csv(rows, timezone=tables.settings.timezone, with_id=with_id)
    if output is None:
        return BuildResult(None, rows.height, instant, time.monotonic() - started, "stdout"), data
    status = _write(definition, tables, instant, data, rows.height, output, replace=replace)
    return BuildResult(output, rows.height, instant, time.monotonic() - started, status), data


def _write(
    definition: Definition,
    tables: Tables,
    as_of: datetime,
    data: bytes,
    rows: int,
    output: Path,
    *,
    replace: bool,
) -> str:
    from segcli.snapshot import write_snapshot  # noqa: PLC0415

    del rows  # counted again from the bytes by the manifest
    return write_snapshot(
        data, output, make_manifest(definition, tables, as_of), replace=replace
    ).status


def make_manifest(
    definition: Definition,
    tables: Tables,
    as_of: datetime,
    inputs: Sequence[InputFile] | None = None,
) -> Manifest:
    """The caller's part of a snapshot manifest; the writer adds hashes and counts of the output.

    `inputs`: the input files described once for many snapshots (hashing them is the cost);
    by default they are described here."""
    from segcli.manifest import Manifest, describe_inputs  # noqa: PLC0415

    return Manifest(
        segment_id=definition.segment_id,
        segment_name=definition.name,
        definition_sha256=definition.source_sha256,
        as_of=as_of.isoformat(),
        timezone=tables.settings.timezone,
        inputs=tuple(describe_inputs(tables.sources) if inputs is None else inputs),
    )
