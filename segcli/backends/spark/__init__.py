"""The Spark engine: the same segments, byte for byte, on data that outgrows one machine.

Inputs are the canonical layout (Parquet, or CSV with ISO timestamps) anywhere Spark can read;
the whole feature plan runs on the cluster and only the members table comes back to the driver.
Requires `pip install 'segcli[spark]'` and Java 17.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import polars as pl

from segcli.errors import UsageError
from segcli.manifest import SIZE_MTIME, InputFile

try:
    import pyspark  # noqa: F401
except ImportError as missing:
    raise UsageError(
        "--engine spark needs PySpark (and Java 17): pip install 'segcli[spark]'"
    ) from missing

from segcli.backends.spark.files import describe_files
from segcli.backends.spark.inputs import SparkInputs, open_inputs
from segcli.backends.spark.members import customer_rows, members_frame
from segcli.backends.spark.read import check_local_headers, check_settings
from segcli.backends.spark.session import run, spark_session

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from segcli.backends import InputRequest, Inputs, PassStore
    from segcli.plan import FeaturePlan
    from segcli.spec.grid import Grid
    from segcli.spec.model import Rule


class SparkEngine:
    name = "spark"
    fingerprint = SIZE_MTIME  # see files.py

    def open_inputs(self, request: InputRequest) -> SparkInputs:
        check_settings(request.settings, request.preset)  # before a session starts for nothing
        check_local_headers(request)
        return run(lambda: open_inputs(spark_session(), request))

    def members_table(self, plan: FeaturePlan, inputs: Inputs) -> pl.DataFrame:
        """The whole plan as one Spark job."""
        return _collect(members_frame(plan, _spark_inputs(inputs)))

    def store_members(self, plan: FeaturePlan, inputs: Inputs, store: PassStore) -> int:
        """One part: the cluster holds the data, so there are no passes."""
        store.save(0, 1, self.members_table(plan, inputs))
        return 1

    def customer_values(
        self, plan: FeaturePlan, inputs: Inputs, customers: Sequence[str], rules: Sequence[Rule]
    ) -> list[dict[str, object]]:
        """The per-customer rows of the customers named (ids or emails, any case), one job."""
        rows = _collect(customer_rows(plan, _spark_inputs(inputs), customers, rules))
        return rows.to_dicts()

    def grid_cells(
        self, plan: FeaturePlan, inputs: Inputs, grid: Grid, group_columns: Sequence[str]
    ) -> pl.DataFrame:
        del plan, inputs, group_columns  # grids are not computed on Spark yet
        raise UsageError(f"segcli grid runs on the default engine, not spark (grid {grid.name})")

    def membership_over_time(
        self,
        plans: Sequence[FeaturePlan],
        inputs: Inputs,
        progress: Callable[[int, int], None] | None = None,
    ) -> pl.DataFrame:
        del plans, inputs, progress  # history is not computed on Spark yet
        raise UsageError("segcli history runs on the default engine, not spark")

    def describe_inputs(self, inputs: Inputs) -> list[InputFile]:
        return describe_files(spark_session(), _spark_inputs(inputs))

    def explain_plan(self, plan: FeaturePlan, inputs: Inputs) -> str:
        """Spark's physical plan of the members query."""
        frame = members_frame(plan, _spark_inputs(inputs))
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            frame.explain()
        return out.getvalue()


def _collect(frame: DataFrame) -> pl.DataFrame:
    """A (small) result on the driver, with the dtypes the Polars engine gives: timestamps are
    UTC instants whatever the session's time zone."""
    table = pl.from_arrow(run(frame.toArrow))
    assert isinstance(table, pl.DataFrame)
    instants = [n for n, t in table.schema.items() if isinstance(t, pl.Datetime)]
    return table.with_columns(pl.col(n).dt.convert_time_zone("UTC") for n in instants)


def _spark_inputs(inputs: Inputs) -> SparkInputs:
    if not isinstance(inputs, SparkInputs):
        raise TypeError(f"the spark engine cannot evaluate inputs opened by {inputs.engine}")
    return inputs


ENGINE = SparkEngine()
