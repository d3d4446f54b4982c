"""`segcli run`: every segment of a folder from one plan and one pass, published as snapshots.

Data larger than the memory budget is read in passes over the customers; each finished pass is
kept in a work folder beside the output until the run completes, so a killed run resumes from
the next pass (segcli.resume).

A segment whose snapshot for this as-of already exists and verifies is kept as it is (the record
of that night is frozen); `replace=True` rebuilds it and keeps the old file beside the new one if
they differ. One broken segment does not stop the others.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from segcli.backends import Inputs
from segcli.errors import DefinitionError, ExitCode, SegcliError, SnapshotError
from segcli.periods import as_of_label
from segcli.spec.model import Definition

if TYPE_CHECKING:
    import polars as pl

    from segcli.manifest import InputFile, Manifest
    from segcli.resume import WorkFolder

Status = Literal["written", "unchanged", "kept", "replaced", "completed", "failed", "guarded"]
FAILED: tuple[Status, ...] = ("failed", "guarded")


@dataclass(slots=True)
class SegmentOutcome:
    segment: str
    status: Status
    members: int | None = None
    previous: int | None = None
    seconds: float = 0.0
    path: str | None = None
    message: str = ""
    moved_out: int | None = None  # --exclusive: members given to higher-priority segments

    @property
    def change(self) -> int | None:
        if self.members is None or self.previous is None:
            return None
        return self.members - self.previous


@dataclass(slots=True)
class RunReport:
    as_of: str
    out: str
    segments: list[SegmentOutcome] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def exit_code(self) -> ExitCode:
        if any(s.status in FAILED for s in self.segments):
            return ExitCode.SEGMENTS_FAILED
        return ExitCode.OK

    def as_json(self) -> dict[str, object]:
        return {
            "as_of": self.as_of,
            "out": self.out,
            "exit_code": int(self.exit_code),
            "seconds": round(self.seconds, 3),
            "segments": [
                {
                    "segment": s.segment,
                    "status": s.status,
                    "members": s.members,
                    "previous": s.previous,
                    "change": s.change,
                    "seconds": round(s.seconds, 3),
                    "path": s.path,
                    "message": s.message,
                    "moved_out": s.moved_out,
                }
                for s in self.segments
            ],
        }


Progress = Callable[[SegmentOutcome], None]


def load_segments(rules_dir: Path) -> tuple[list[Definition], list[SegmentOutcome]]:
    """Every definition that checks; the others become failed outcomes (with all their problems)."""
    from segcli.spec.parse import (  # noqa: PLC0415
        check_segment_refs,
        definition_files,
        load_definitions,
    )

    good: list[Definition] = []
    broken: list[SegmentOutcome] = []
    for path in definition_files(rules_dir):
        try:
            good.extend(load_definitions([path]))
        except DefinitionError as error:
            broken.append(SegmentOutcome(path.stem, "failed", message=str(error)))
    while problems := check_segment_refs(good):
        bad_files = {str(d.span.file) for d in problems if d.span is not None}
        for definition in [d for d in good if str(d.source) in bad_files]:
            text = "; ".join(
                str(p) for p in problems if p.span and p.span.file == str(definition.source)
            )
            broken.append(SegmentOutcome(definition.segment_id, "failed", message=text))
        good = [d for d in good if str(d.source) not in bad_files]
        if not bad_files:
            break
    return good, broken


def run_segments(
    rules_dir: Path,
    tables: Inputs,
    out_dir: Path,
    as_of: datetime,
    *,
    replace: bool = False,
    with_id: bool = False,
    progress: Progress | None = None,
    exclusive: bool = False,
) -> RunReport:
    """Build every segment in `rules_dir` as of `as_of` into `<out_dir>/<segment>/<as-of>.csv`.

    `exclusive`: each customer only in the highest-priority segment that holds (see
    segcli.exclusive); a priority tie raises DefinitionError before anything is read."""
    from segcli.exclusive import check_priorities  # noqa: PLC0415
    from segcli.resume import work_folder  # noqa: PLC0415
    from segcli.snapshot import acquire_lock  # noqa: PLC0415

    started = time.monotonic()
    label = as_of_label(as_of, tables.settings.timezone)
    report = RunReport(as_of.isoformat(), str(out_dir))
    definitions, broken = load_segments(rules_dir)
    if exclusive:
        check_priorities(definitions)
    report.segments.extend(broken)
    out_dir.mkdir(parents=True, exist_ok=True)
    with acquire_lock(out_dir):
        plannable = _plannable(definitions, tables, as_of, report)
        todo = [d for d in plannable if replace or not _keep_existing(d, out_dir, label, report)]
        computed = plannable if exclusive else todo  # the segments of the members table
        render = pass_renderer(computed, tables.settings.timezone, with_id=with_id)
        work = work_folder(out_dir, computed, definitions, tables, as_of, render, [with_id])
        if todo:
            _build_all(
                todo,
                definitions,
                tables,
                as_of,
                out_dir / "{}" / f"{label}.csv",
                report,
                store=work,
                replace=replace,
                with_id=with_id,
                exclusive=plannable if exclusive else None,
            )
        work.remove()  # the run is complete: nothing of it is left to resume
    report.segments.sort(key=lambda s: s.segment)
    if progress:
        for outcome in report.segments:
            progress(outcome)
    report.seconds = time.monotonic() - started
    return report


def _plannable(
    definitions: list[Definition], tables: Inputs, as_of: datetime, report: RunReport
) -> list[Definition]:
    """Segments the data can answer (e.g. `purchased` needs order lines); others fail alone."""
    from segcli.api import plan_segments  # noqa: PLC0415

    ok: list[Definition] = []
    for definition in definitions:
        try:
            plan_segments([definition], tables, as_of, definitions)
        except SegcliError as error:
            report.segments.append(
                SegmentOutcome(definition.segment_id, "failed", message=str(error))
            )
        else:
            ok.append(definition)
    return ok


def _keep_existing(definition: Definition, out_dir: Path, label: str, report: RunReport) -> bool:
    from segcli.manifest import manifest_path, read_manifest  # noqa: PLC0415
    from segcli.verify import verify_snapshot  # noqa: PLC0415

    path = out_dir / definition.segment_id / f"{label}.csv"
    if not path.exists() or not verify_snapshot(path).ok:
        return False
    rows = read_manifest(manifest_path(path)).rows
    report.segments.append(
        SegmentOutcome(
            definition.segment_id,
            "kept",
            members=rows,
            path=str(path),
            message="snapshot for this as-of exists and verifies",
        )
    )
    return True


def _build_all(
    todo: Sequence[Definition],
    library: Sequence[Definition],
    tables: Inputs,
    as_of: datetime,
    path_pattern: Path,
    report: RunReport,
    *,
    store: WorkFolder,
    replace: bool,
    with_id: bool,
    exclusive: Sequence[Definition] | None = None,
) -> None:
    """`exclusive`: every segment that takes part in the assignment (the kept ones too, so that
    their members hold their places); None for a run that is not exclusive."""
    from segcli.plan import segment_column  # noqa: PLC0415

    started = time.monotonic()
    # The inputs are hashed once for every manifest of the run, beside the query.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="segcli-hash") as pool:
        hashing = pool.submit(_describe_inputs, tables)
        # Every member's record is rendered once, by its pass; each snapshot is a filter of them.
        records_of, moved = _member_lines(todo, exclusive, tables, as_of, library, store)
        inputs = hashing.result()
    shared = (time.monotonic() - started) / len(todo)
    for definition in todo:
        began = time.monotonic()
        path = Path(str(path_pattern).format(definition.segment_id))
        outcome = _publish(
            definition,
            records_of(segment_column(definition)),
            tables,
            as_of,
            path,
            inputs,
            library,
            replace=replace,
            with_id=with_id,
            moved=moved.get(definition.segment_id, 0) if exclusive is not None else None,
        )
        outcome.seconds = shared + time.monotonic() - began
        report.segments.append(outcome)


def pass_renderer(
    segments: Sequence[Definition], timezone: str, *, with_id: bool
) -> Callable[[pl.DataFrame], pl.DataFrame]:
    """What the work folder keeps of a pass's members: their export records (export.render_lines)
    beside the customer key, to merge the passes by, and the segments' flags."""
    from segcli.export import render_lines  # noqa: PLC0415
    from segcli.plan import KEY, segment_column  # noqa: PLC0415

    keep = (KEY, *(segment_column(d) for d in segments))
    return partial(render_lines, timezone=timezone, with_id=with_id, keep=keep)


def _member_lines(
    todo: Sequence[Definition],
    exclusive: Sequence[Definition] | None,
    tables: Inputs,
    as_of: datetime,
    library: Sequence[Definition],
    store: WorkFolder,
) -> tuple[Callable[[str], pl.DataFrame], dict[str, int]]:
    """The rendered records of each segment's members in export order (by the segment's flag
    column; in an exclusive run, assigned), and how many members each exclusive segment gave to
    higher-priority ones. Passes partition the customers: merged by key, their records are the
    one-pass records (keys are unique, so the key alone orders them). From passes kept on disk,
    each snapshot's records are read when it is written, so one segment's are held at a time."""
    import polars as pl  # noqa: PLC0415

    from segcli.api import store_members  # noqa: PLC0415
    from segcli.exclusive import assign_exclusive  # noqa: PLC0415

    count = store_members(exclusive or todo, tables, as_of, library, store)
    parts = store.parts(count)
    if count > 1 and exclusive is None:
        return (lambda flag: _in_key_order(parts.filter(pl.col(flag)), count, store)), {}
    lines = _in_key_order(parts, count, store)
    lines, moved = assign_exclusive(lines, exclusive) if exclusive is not None else (lines, {})
    return (lambda flag: lines.filter(lines[flag])), moved


def _in_key_order(records: pl.LazyFrame, count: int, store: WorkFolder) -> pl.DataFrame:
    """Records of `count` passes, collected in export order (each pass's are already)."""
    import polars as pl  # noqa: PLC0415

    from segcli.plan import KEY  # noqa: PLC0415

    if count > 1:
        records = records.sort(pl.col(KEY).cast(pl.String), nulls_last=True, maintain_order=True)
    try:
        return records.drop(KEY).collect()
    except (OSError, pl.exceptions.PolarsError) as error:
        raise SnapshotError(f"cannot read the passes kept in {store.folder}: {error}") from None


def _describe_inputs(tables: Inputs) -> tuple[InputFile, ...] | SnapshotError:
    from segcli.backends import load_engine  # noqa: PLC0415

    try:
        return tuple(load_engine(tables.engine).describe_inputs(tables))
    except SnapshotError as error:  # every snapshot of the run fails with it
        return error


def _publish(
    definition: Definition,
    lines: pl.DataFrame,
    tables: Inputs,
    as_of: datetime,
    path: Path,
    inputs: tuple[InputFile, ...] | SnapshotError,
    library: Sequence[Definition],
    *,
    replace: bool,
    with_id: bool,
    moved: int | None = None,
) -> SegmentOutcome:
    """Write one snapshot from its members' rendered records (export.render_lines); `moved`:
    in an exclusive run, the members given to higher-priority segments (0 for a segment that
    lost none or takes no part); None when the run is not exclusive."""
    from segcli.export import join_lines  # noqa: PLC0415
    from segcli.snapshot import write_snapshot  # noqa: PLC0415

    previous = previous_count(path)
    outcome = SegmentOutcome(
        definition.segment_id, "written", lines.height, previous, path=str(path), moved_out=moved
    )
    if (guard := count_guard(definition, lines.height, previous)) is not None:
        outcome.status, outcome.message = "guarded", guard
        return outcome
    data = join_lines(lines, with_id=with_id)
    try:
        if isinstance(inputs, SnapshotError):
            raise inputs
        manifest = _manifest(definition, tables, as_of, inputs, library, moved)
        result = write_snapshot(data, path, manifest, replace=replace)
    except SnapshotError as error:
        outcome.status, outcome.message = "failed", str(error)
        return outcome
    outcome.status = result.status
    return outcome


def _manifest(
    definition: Definition,
    tables: Inputs,
    as_of: datetime,
    inputs: tuple[InputFile, ...],
    library: Sequence[Definition],
    moved: int | None,
) -> Manifest:
    """The snapshot's manifest; in an exclusive run, with the segment's priority and moves."""
    from segcli.api import make_manifest  # noqa: PLC0415
    from segcli.manifest import Exclusive  # noqa: PLC0415

    manifest = make_manifest(definition, tables, as_of, inputs, library=library)
    if moved is None:
        return manifest
    return dataclasses.replace(manifest, exclusive=Exclusive(definition.priority, moved))


def previous_count(path: Path) -> int | None:
    """Row count of the latest earlier snapshot of the same segment (by as-of label)."""
    from segcli.manifest import manifest_path, read_manifest  # noqa: PLC0415

    earlier = sorted(
        p for p in path.parent.glob("*.csv") if p.name < path.name and ".replaced" not in p.name
    )
    for candidate in reversed(earlier):
        try:
            return read_manifest(manifest_path(candidate)).rows
        except (OSError, SegcliError, ValueError):
            continue
    return None


def count_guard(definition: Definition, members: int, previous: int | None) -> str | None:
    """Why this snapshot must not be published, or None. A change from 0 counts as 100 %."""
    if definition.min_members is not None and members < definition.min_members:
        return f"{members} members, fewer than min_members {definition.min_members}; not published"
    limit = definition.max_change_percent
    if limit is None or previous is None:
        return None
    change = (
        Decimal(100)
        if previous == 0 and members
        else (Decimal(abs(members - previous) * 100) / previous if previous else Decimal(0))
    )
    if change > limit:
        return (
            f"{members} members vs {previous} in the previous snapshot: a change of "
            f"{change:.1f} % exceeds max_change_percent {limit}; not published"
        )
    return None
