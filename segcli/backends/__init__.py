"""The engine seam: every engine is a package here behind one interface.

An engine opens the inputs it can read (`Engine.open_inputs`) and turns a backend-neutral
`FeaturePlan` over them into the members table: the columns `plan.EXPORT_COLUMNS` and one
boolean column per segment (`plan.segment_column`), one row per customer who is a member of at
least one of the plan's segments. Export, snapshots and nightly runs consume that table alone,
so every engine gives byte-identical snapshots.

Nothing outside an engine's package imports it: `load_engine` finds it by name, so Polars is the
only engine loaded by default and an engine's dependencies (PySpark) are optional.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from segcli.errors import UsageError
from segcli.inputs.settings import Settings

if TYPE_CHECKING:
    import polars as pl

    from segcli.inputs.sources import PathSpec
    from segcli.manifest import InputFile
    from segcli.plan import FeaturePlan
    from segcli.spec.grid import Grid
    from segcli.spec.model import Rule

ENGINES = ("polars", "spark")
DEFAULT_ENGINE = "polars"


@dataclass(frozen=True, slots=True)
class InputRequest:
    """The input files a user names, and the settings that shape reading them."""

    orders: PathSpec
    lines: PathSpec | None = None
    customers: PathSpec | None = None
    reviews: PathSpec | None = None
    products: PathSpec | None = None
    settings: Settings = field(default_factory=Settings)
    preset: str | None = None


class Inputs(Protocol):
    """What every engine's opened inputs tell the rest of segcli."""

    @property
    def engine(self) -> str:
        """The name of the engine that opened them (and evaluates plans over them)."""
        ...

    @property
    def settings(self) -> Settings: ...

    @property
    def sources(self) -> tuple[Path, ...]:
        """Every input file, in a stable order (for manifests)."""
        ...

    @property
    def has_registration_date(self) -> bool: ...

    @property
    def has_lines(self) -> bool: ...

    @property
    def has_reviews(self) -> bool: ...


class PassStore(Protocol):
    """Where a run keeps each finished pass over the customers (the engine decides the passes;
    see resume.WorkFolder), so a killed run resumes and no pass's part stays in memory."""

    def done(self, index: int, count: int) -> bool:
        """Whether pass `index` of `count` is kept from an earlier attempt of the same run."""
        ...

    def save(self, index: int, count: int, members: pl.DataFrame) -> None:
        """Keep the members of pass `index` of `count` (durably: they outlive a crash)."""
        ...

    def keep_file(self, name: str, write: Callable[[Path], None]) -> Path:
        """The file `name` that every pass reads, written once by `write` (to the path it is
        given) and kept beside the passes (durably, complete or not at all); an earlier
        attempt's is used as it is."""
        ...


class Engine(Protocol):
    """One engine: inputs in, members table out; plus what `why` and `explain` need."""

    name: str
    fingerprint: str  # how describe_inputs fingerprints files: manifest.SHA256 or SIZE_MTIME

    def open_inputs(self, request: InputRequest) -> Inputs:
        """Open (lazily, reading no data yet) the inputs; bad files raise InputError."""
        ...

    def members_table(self, plan: FeaturePlan, inputs: Inputs) -> pl.DataFrame:
        """EXPORT_COLUMNS and one flag per segment of the plan, for the members only (in any
        row order)."""
        ...

    def store_members(self, plan: FeaturePlan, inputs: Inputs, store: PassStore) -> int:
        """The members table given to `store` in parts, one per pass over the customers, each
        as it is finished; the parts `store` already holds are not computed again. Returns the
        number of parts: together they are the members table."""
        ...

    def customer_values(
        self, plan: FeaturePlan, inputs: Inputs, customers: Sequence[str], rules: Sequence[Rule]
    ) -> list[dict[str, object]]:
        """The per-customer rows of the customers named (each an id or email, any case) that
        the data has, in no particular order, with `rule<i>`: whether `rules[i]` holds, and each
        segment's flag. One query, however many customers."""
        ...

    def grid_cells(
        self, plan: FeaturePlan, inputs: Inputs, grid: Grid, group_columns: Sequence[str]
    ) -> pl.DataFrame:
        """Customers per cell of `grid` (plan.CELL_X, CELL_Y: the axes' bin indexes, null off
        the grid), per group (CELL_GROUP: the index of the first of `group_columns` that holds,
        null for none), counted in CELL_CUSTOMERS; one pass, every customer of the plan's
        per-customer table."""
        ...

    def membership_over_time(
        self,
        plans: Sequence[FeaturePlan],
        inputs: Inputs,
        progress: Callable[[int, int], None] | None = None,
    ) -> pl.DataFrame:
        """Membership of one segment at many as-ofs: `plans` are its plans (one segment each,
        the same one) at ascending as-ofs. KEY and one boolean column per plan
        (timeline.point_column(i)), for every customer who is a member at one as-of at least;
        each column is exactly the members a build at that as-of exports. Far cheaper than a
        build per as-of (see timeline.py); `progress(done, total)` reports the engine's
        queries done, where it takes several."""
        ...

    def describe_inputs(self, inputs: Inputs) -> list[InputFile]:
        """Every input file for a manifest, fingerprinted as `fingerprint` says; SnapshotError
        when one cannot be read."""
        ...

    def explain_plan(self, plan: FeaturePlan, inputs: Inputs) -> str:
        """The engine's query plan for the plan's segments, for `segcli explain`."""
        ...


def load_engine(name: str) -> Engine:
    """The engine of that name (its package is imported only now)."""
    if name not in ENGINES:
        raise UsageError(f"unknown engine '{name}'; known engines: {', '.join(ENGINES)}")
    module = importlib.import_module(f"segcli.backends.{name}")
    engine: Engine = module.ENGINE
    return engine
