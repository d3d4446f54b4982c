"""Input files for a manifest: by size and modification time, never by reading them (terabytes
on a cluster cannot be hashed for every snapshot)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from segcli.manifest import SIZE_MTIME, InputFile, describe_inputs

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from segcli.backends.spark.inputs import SparkInputs


def describe_files(spark: SparkSession, inputs: SparkInputs) -> list[InputFile]:
    """Local files by `os.stat`; every file under each URI through Hadoop's file system (as the
    cluster resolves it). Over Spark Connect the driver cannot list a URI: it is recorded by
    its name alone, size -1."""
    described = describe_inputs(inputs.sources, SIZE_MTIME)
    for uri in inputs.uris:
        described += _listed(spark, uri) or [InputFile(uri, -1)]
    return described


def _listed(spark: SparkSession, uri: str) -> list[InputFile] | None:
    try:
        jvm, config = spark.sparkContext._jvm, spark.sparkContext._jsc.hadoopConfiguration()  # noqa: SLF001
    except Exception:  # noqa: BLE001 - Spark Connect has no driver JVM to ask
        return None
    if jvm is None:
        return None
    path = jvm.org.apache.hadoop.fs.Path(uri)
    files = path.getFileSystem(config).listFiles(path, True)
    found = []
    while files.hasNext():
        status = files.next()
        modified = datetime.fromtimestamp(status.getModificationTime() / 1000, UTC)
        found.append(
            InputFile(str(status.getPath()), status.getLen(), modified=modified.isoformat())
        )
    return sorted(found, key=lambda f: f.path)
