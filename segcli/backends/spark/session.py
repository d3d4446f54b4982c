"""The Spark session segcli runs on, and Spark's failures as segcli's errors.

The session is whatever `SparkSession.builder.getOrCreate()` gives: the active one (a notebook,
a Databricks job), the one `spark-submit` configured, or Spark Connect when `SPARK_REMOTE` is set
(`--spark-remote` sets it). With none of these, a local session on every core of this machine.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import TypeVar

from pyspark.errors import PySparkRuntimeError
from pyspark.sql import SparkSession

from segcli.backends.spark.cells import BAD_CELL
from segcli.errors import InputError, UsageError

T = TypeVar("T")
_BAD_CELL = re.compile(re.escape(BAD_CELL) + r"(.*?)(?:\s+SQLSTATE: \w+)?$", re.MULTILINE)
_READ_ERRORS = {
    "MALFORMED_RECORD_IN_PARSING": "a CSV row has more or fewer fields than the header; "
    "fix the row (or the quoting) and run again",
    "MALFORMED_CSV_RECORD": "a CSV row has more or fewer fields than the header; "
    "fix the row (or the quoting) and run again",
    "PATH_NOT_FOUND": "a path does not exist; check it",
    "CSV_HEADER": "the CSV files do not share one header; give one layout per table",
}


def spark_session() -> SparkSession:
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    builder = SparkSession.builder.appName("segcli")
    local = not _configured()
    if local:
        builder = builder.master("local[*]").config("spark.ui.showConsoleProgress", "false")
    try:
        session = builder.getOrCreate()
    except PySparkRuntimeError as error:  # no Java, or a JVM that did not start
        raise UsageError(
            f"--engine spark cannot start a Spark session ({error.getErrorClass()}); it needs "
            "Java 17 on PATH or JAVA_HOME (or --spark-remote sc://… for a Spark Connect server)"
        ) from None
    if local:  # stderr is for segcli's own messages; a cluster's logging is its owner's choice
        session.sparkContext.setLogLevel("ERROR")
    return session


def _configured() -> bool:
    """Whether something other than segcli says where Spark runs: Spark Connect, spark-submit
    (which starts Python with a gateway to its JVM) or a master in the environment."""
    return any(name in os.environ for name in ("SPARK_REMOTE", "PYSPARK_GATEWAY_PORT", "MASTER"))


def run(action: Callable[[], T]) -> T:
    """Run a Spark action; a bad cell or an unreadable file becomes one InputError."""
    try:
        return action()
    except Exception as error:
        found = translate(error)
        if found is None:
            raise
        raise found from None


def translate(error: Exception) -> InputError | None:
    """The InputError a Spark failure stands for, if it is about the input data."""
    text = str(error)
    match = _BAD_CELL.search(text)
    if match:
        return InputError(match.group(1).strip())
    for marker, hint in _READ_ERRORS.items():
        if marker in text:
            where = re.search(r"reading file (\S+?)\.?\s", text)
            place = f"{where.group(1)}: " if where else ""
            return InputError(f"{place}cannot read the input data: {hint}")
    return None
