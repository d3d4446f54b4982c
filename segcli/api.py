"""The library: everything the CLI does is one call here."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from segcli.backends import DEFAULT_ENGINE, InputRequest, Inputs, PassStore, load_engine
from segcli.errors import InputError, Span, UsageError
from segcli.inputs.settings import Settings
from segcli.periods import as_of_label, resolve_as_of
from segcli.plan import (
    EXPORT_COLUMNS,
    FeaturePlan,
    grid_groups,
    plan_features,
    segment_column,
    walk_conditions,
)
from segcli.spec.model import Definition, Registered, Score
from segcli.spec.parse import load_definitions, load_with_dependencies, parse_definition
from segcli.spec.segment_refs import definition_sha256

if TYPE_CHECKING:
    import polars as pl

    from segcli.deftests import SuiteReport
    from segcli.diff import DiffResult
    from segcli.history import History
    from segcli.inputs.sources import PathSpec
    from segcli.lint import LintReport
    from segcli.manifest import InputFile, Manifest
    from segcli.normalize import NormalizeResult
    from segcli.reasons import DiffReasons
    from segcli.why import SegmentWhy

__all__ = [
    "BuildResult",
    "build_members",
    "build_snapshot",
    "check_priorities",
    "customer_segments",
    "diff_reasons",
    "lint_definitions",
    "load_definitions",
    "load_with_dependencies",
    "member_keys",
    "members_table",
    "membership_history",
    "normalize_inputs",
    "open_tables",
    "parse_definition",
    "plan_segments",
    "run_definition_tests",
    "store_members",
]

AsOf = date | datetime | str | None


def open_tables(
    orders: PathSpec,
    *,
    lines: PathSpec | None = None,
    customers: PathSpec | None = None,
    reviews: PathSpec | None = None,
    products: PathSpec | None = None,
    settings: Settings | None = None,
    preset: str | None = None,
    engine: str = DEFAULT_ENGINE,
) -> Inputs:
    """Open the exports for an engine (lazily: only headers are read here).

    Each argument takes files, folders of parts or globs. Raises InputError (exit 3) for
    unreadable files and UsageError for a bad preset, time zone or engine name."""
    request = InputRequest(
        orders, lines, customers, reviews, products, settings or Settings(), preset
    )
    return load_engine(engine).open_inputs(request)


def normalize_inputs(tables: Inputs, out: str | Path, *, replace: bool = False) -> NormalizeResult:
    """Write the tables in the canonical layout as Parquet, with the settings that still apply
    (`segcli.yaml`), into the new folder `out` (see segcli.normalize): building from it gives
    the same snapshots as building from the exports `tables` were read from. The exports are
    read by the single-machine readers (inputs opened for the default engine)."""
    from segcli.inputs.tables import Tables  # noqa: PLC0415
    from segcli.normalize import normalize_tables  # noqa: PLC0415

    if not isinstance(tables, Tables):
        raise UsageError(
            f"normalize reads exports on this machine; open them for the polars engine, "
            f"not {tables.engine}"
        )
    return normalize_tables(tables, Path(out), replace=replace)


def effective_as_of(definition: Definition | None, as_of: AsOf, settings: Settings) -> datetime:
    """--as-of wins, then the definition's as_of, then the start of today."""
    chosen = as_of if as_of is not None else (definition.as_of if definition else None)
    return resolve_as_of(chosen, settings.timezone)


def plan_segments(
    segments: Sequence[Definition],
    tables: Inputs,
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
    tables: Inputs,
    as_of: datetime,
    library: Sequence[Definition] = (),
) -> pl.DataFrame:
    """One collected table: export columns and a flag per segment, for every customer who is a
    member of at least one of the segments (the others are never materialised), computed by the
    engine that opened the inputs."""
    plan = plan_segments(segments, tables, as_of, library)
    return load_engine(tables.engine).members_table(plan, tables)


def store_members(
    segments: Sequence[Definition],
    tables: Inputs,
    as_of: datetime,
    library: Sequence[Definition],
    store: PassStore,
) -> int:
    """`members_table` given to `store` in parts, one per pass over the customers, as each is
    finished (the parts it holds are not computed again); returns the number of parts."""
    plan = plan_segments(segments, tables, as_of, library)
    return load_engine(tables.engine).store_members(plan, tables, store)


def build_members(
    definition: Definition,
    tables: Inputs,
    as_of: datetime,
    library: Sequence[Definition] = (),
) -> pl.DataFrame:
    """The export rows (export columns, sorted by customer key) of one segment."""
    table = members_table([definition], tables, as_of, library)
    flag = segment_column(definition)
    return table.filter(table[flag]).select(EXPORT_COLUMNS).sort("customer_key")


def member_keys(
    definition: Definition,
    tables: Inputs,
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
    tables: Inputs,
    *,
    as_of: AsOf = None,
    output: Path | None = None,
    with_id: bool = False,
    library: Sequence[Definition] = (),
    replace: bool = False,
) -> tuple[BuildResult, bytes]:
    """Build one segment; write it as a frozen snapshot, or only return the bytes (output None)."""
    from segcli.export import render_csv  # noqa: PLC0415
    from segcli.snapshot import write_snapshot  # noqa: PLC0415

    started = time.monotonic()
    instant = effective_as_of(definition, as_of, tables.settings)
    rows = build_members(definition, tables, instant, library)
    data = render_csv(rows, timezone=tables.settings.timezone, with_id=with_id)
    if output is None:
        return BuildResult(None, rows.height, instant, time.monotonic() - started, "stdout"), data
    manifest = make_manifest(definition, tables, instant, library=library)
    status = write_snapshot(data, output, manifest, replace=replace).status
    return BuildResult(output, rows.height, instant, time.monotonic() - started, status), data


def make_manifest(
    definition: Definition,
    tables: Inputs,
    as_of: datetime,
    inputs: Sequence[InputFile] | None = None,
    *,
    library: Sequence[Definition] = (),
) -> Manifest:
    """The caller's part of a snapshot manifest; the writer adds hashes and counts of the output.

    `inputs`: the input files described once for many snapshots (hashing them is the cost);
    by default they are described here. `library`: the definitions `in_segment` may name, whose
    hashes the definition's hash covers."""
    from segcli.manifest import Manifest  # noqa: PLC0415

    engine = load_engine(tables.engine)
    return Manifest(
        segment_id=definition.segment_id,
        segment_name=definition.name,
        definition_sha256=definition_sha256(definition, library),
        as_of=as_of.isoformat(),
        timezone=tables.settings.timezone,
        inputs=tuple(engine.describe_inputs(tables) if inputs is None else inputs),
        input_fingerprint=engine.fingerprint,
    )


def run_definition_tests(paths: Sequence[Path]) -> SuiteReport:
    """`segcli test`: every test file of the paths (a rules folder: its `tests/` subfolder),
    each evaluated by `member_keys` over its inline rows. Bad test files or definitions raise
    one DefinitionError before any test runs."""
    from segcli.deftests import run_tests  # noqa: PLC0415

    return run_tests(list(paths))


def lint_definitions(
    definitions: Sequence[Definition],
    library: Sequence[Definition],
    tables: Inputs,
    as_of: datetime,
) -> LintReport:
    """`segcli validate --orders`: the definitions checked against the data (see segcli.lint)."""
    from segcli.lint import lint_definitions as lint  # noqa: PLC0415

    return lint(definitions, library, tables, as_of)


def check_priorities(definitions: Sequence[Definition]) -> None:
    """For `--exclusive`: one DefinitionError naming every priority shared by two segments."""
    from segcli.exclusive import check_priorities as check  # noqa: PLC0415

    check(definitions)


@dataclass(frozen=True, slots=True)
class CustomerSegments:
    """`segcli segments CUSTOMER`: every segment of a folder for one customer."""

    customer: str
    as_of: datetime
    segments: tuple[SegmentWhy, ...]
    unanswered: tuple[tuple[str, str], ...]  # (segment, why the data cannot answer it)

    def as_json(self) -> dict[str, object]:
        return {
            "customer": self.customer,
            "as_of": self.as_of.isoformat(),
            "member_of": [s.segment for s in self.segments if s.member],
            "segments": [
                {
                    "segment": s.segment,
                    "name": s.name,
                    "member": s.member,
                    "rules": [
                        {"depth": x.depth, "held": x.held, "rule": x.text, "value": x.value}
                        for x in s.lines
                    ],
                }
                for s in self.segments
            ],
            "unanswered": [{"segment": s, "message": m} for s, m in self.unanswered],
        }


def customer_segments(
    definitions: Sequence[Definition],
    customer: str,
    orders: PathSpec,
    *,
    lines: PathSpec | None = None,
    customers: PathSpec | None = None,
    reviews: PathSpec | None = None,
    products: PathSpec | None = None,
    settings: Settings | None = None,
    preset: str | None = None,
    as_of: AsOf = None,
) -> CustomerSegments:
    """Which of the segments one customer (id or email) is in, with the rule values, from one
    plan over that customer's rows only (from Parquet only those rows are parsed: see
    segcli.checkout). Segments the data cannot answer (e.g. `purchased` without order lines)
    are listed apart; an unknown customer is a UsageError. The as-of: `as_of`, else today."""
    import tempfile  # noqa: PLC0415

    from segcli.checkout import customer_tables  # noqa: PLC0415
    from segcli.why import customer_segments as evaluate  # noqa: PLC0415

    settings = settings or Settings()
    instant = effective_as_of(None, as_of, settings)
    with tempfile.TemporaryDirectory(prefix="segcli-customer-") as folder:
        tables = customer_tables(
            customer, orders, lines=lines, customers=customers, reviews=reviews,
            products=products, settings=settings, preset=preset, folder=Path(folder),
        )  # fmt: skip
        if tables is None:
            raise UsageError("no customer with that id or email in the data")
        answerable, unanswered = _answerable(definitions, tables, instant)
        found = evaluate(answerable, definitions, tables, instant, customer)
    if found is None:
        raise UsageError("no customer with that id or email in the data")
    return CustomerSegments(customer, instant, tuple(found), tuple(unanswered))


def _answerable(
    definitions: Sequence[Definition], tables: Inputs, as_of: datetime
) -> tuple[list[Definition], list[tuple[str, str]]]:
    from segcli.errors import SegcliError  # noqa: PLC0415

    answerable: list[Definition] = []
    unanswered: list[tuple[str, str]] = []
    for definition in definitions:
        try:
            plan_segments([definition], tables, as_of, definitions)
        except SegcliError as error:
            unanswered.append((definition.segment_id, str(error)))
        else:
            answerable.append(definition)
    return answerable, unanswered


def diff_reasons(
    old: Path,
    new: Path,
    definition: Definition,
    library: Sequence[Definition],
    tables: Inputs,
) -> tuple[DiffResult, DiffReasons]:
    """`segcli diff OLD NEW --why`: who entered and left, and for each the rules that flipped
    between the two snapshots' as-ofs, with their values at both (see segcli.reasons)."""
    from segcli.diff import diff_snapshots  # noqa: PLC0415
    from segcli.reasons import diff_reasons as reasons  # noqa: PLC0415

    result = diff_snapshots(old, new)
    return result, reasons(result, definition, library, tables)


def membership_history(
    definition: Definition,
    tables: Inputs,
    *,
    start: date | str,
    end: date | str,
    every: str = "month",
    library: Sequence[Definition] = (),
    progress: Callable[[int, int], None] | None = None,
) -> History:
    """`segcli history`: the segment's members at each date from `start` to `end` (every day,
    week or month; see history.history_dates), each date an as-of as `--as-of DATE` gives, and
    who entered and left since the date before, from one pass over the data per chunk of dates
    (Engine.membership_over_time). A segment that reads RFM scores is refused (UsageError)."""
    from segcli.history import History, count_points, history_dates, parse_day  # noqa: PLC0415

    first = parse_day(start, "--from") if isinstance(start, str) else start
    last = parse_day(end, "--to") if isinstance(end, str) else end
    days = history_dates(first, last, every)
    timezone = tables.settings.timezone
    instants = [resolve_as_of(day, timezone) for day in days]
    plans = [plan_segments([definition], tables, t, library) for t in instants]
    _refuse_scores(definition, plans[0])
    engine = load_engine(tables.engine)
    flags = engine.membership_over_time(plans, tables, progress)
    points = count_points(flags, days, instants)
    return History(definition.segment_id, definition.name, every, timezone, points)


def _refuse_scores(definition: Definition, plan: FeaturePlan) -> None:
    """RFM scores rank every buyer at the as-of: a history would rank them at every date."""
    if not plan.needs_scores:
        return
    library = plan.library
    found: list[tuple[Span | None, str]] = [  # a grid's own rules sit in its file: name the group
        (g.span, g.field if g.field == "rfm_group" else f"grid {g.grid}")
        for g in grid_groups(definition.rule, library)
        if any(isinstance(c, Score) for c in walk_conditions(g.rule, library))
    ]
    found += [
        (c.span, c.field) for c in walk_conditions(definition.rule, library) if isinstance(c, Score)
    ]
    span, what = found[0] if found else (None, "RFM scores")
    where = f"{span}: " if span else ""
    raise UsageError(
        f"{where}history does not compute RFM scores ({what}) at each date; "
        "build the dates one by one (segcli build --as-of DATE)"
    )
