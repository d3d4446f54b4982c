"""The Spark engine: the same segments, byte for byte, on data that outgrows one machine.

Inputs are the canonical layout (Parquet, or CSV with ISO timestamps) anywhere Spark can read;
the whole feature plan runs on the cluster and only the members table comes back to the driver.
Requires `pip install 'segcli[spark]'` and Java 17.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

import polars as pl

from segcli.errors import UsageError

try:
    import pyspark  # noqa: F401
except ImportError as missing:
    raise UsageError(
        "--engine spark needs PySpark (and Java 17): pip install 'segcli[spark]'"
    ) from missing

from segcli.backends.spark.inputs import SparkInputs, open_inputs
from segcli.backends.spark.members import members_frame
from segcli.backends.spark.session import run, spark_session
from segcli.plan import EXPORT_COLUMNS

if TYPE_CHECKING:
    from segcli.backends import InputRequest, Inputs
    from segcli.plan import FeaturePlan
    from segcli.spec.model import Rule


class SparkEngine:
    name = "spark"

    def open_inputs(self, request: InputRequest) -> SparkInputs:
        return run(lambda: open_inputs(spark_session(), request))

    def members_table(self, plan: FeaturePlan, inputs: Inputs) -> pl.DataFrame:
        frame = members_frame(plan, _spark_inputs(inputs))
        table = pl.from_arrow(run(frame.toArrow))
        assert isinstance(table, pl.DataFrame)
        return table.with_columns(
            pl.col("registered_at").dt.convert_time_zone("UTC"),
            pl.col(EXPORT_COLUMNS[-1]).cast(pl.Int64),
        )

    def customer_values(
        self, plan: FeaturePlan, inputs: Inputs, customer: str, rules: Sequence[Rule]
    ) -> dict[str, object] | None:
        raise NotImplementedError("why on the spark engine")

    def explain_plan(self, plan: FeaturePlan, inputs: Inputs) -> str:
        """Spark's physical plan of the members query."""
        frame = members_frame(plan, _spark_inputs(inputs))
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            frame.explain()
        return out.getvalue()


def _spark_inputs(inputs: Inputs) -> SparkInputs:
    if not isinstance(inputs, SparkInputs):
        raise TypeError(f"the spark engine cannot evaluate inputs opened by {inputs.engine}")
    return inputs


ENGINE = SparkEngine()
