"""Snapshot manifests (manifest.py): what they record, reading them back, hashing the inputs,
counting a snapshot's rows."""

from __future__ import annotations

import dataclasses
import io
import json
import os
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from snapshot_samples import NEW, manifest

import segcli
from segcli.errors import SnapshotError
from segcli.export import encode_csv
from segcli.manifest import (
    SHA256,
    SIZE_MTIME,
    InputFile,
    csv_shape,
    describe_inputs,
    hash_bytes,
    hash_file,
    manifest_json,
    manifest_path,
    read_manifest,
    rendered_shape,
)
from segcli.snapshot import write_snapshot


def test_manifest_records_inputs_and_facts_of_the_csv(snapshot_file: Path) -> None:
    write_snapshot(NEW, snapshot_file, manifest())
    document = json.loads(manifest_path(snapshot_file).read_text("utf-8"))
    assert list(document) == [
        "format",
        "segment_id",
        "segment_name",
        "definition_sha256",
        "as_of",
        "timezone",
        "inputs",
        "rows",
        "header",
        "output_size",
        "output_sha256",
        "tool_version",
        "created_at",
    ]
    assert document["format"] == "segcli-snapshot-manifest/1"
    assert document["inputs"] == [{"path": "/data/orders.csv", "size": 3, "sha256": "cd" * 32}]
    assert document["rows"] == 2  # the quoted line break does not end a row
    assert document["header"][0] == "Name"
    assert document["output_size"] == len(NEW)
    assert document["output_sha256"] == hash_bytes(NEW) == hash_file(snapshot_file)
    assert document["tool_version"] == segcli.__version__
    assert document["created_at"].endswith("Z")
    assert read_manifest(manifest_path(snapshot_file)).rows == 2


def test_manifest_round_trips_and_rejects_garbage(tmp_path: Path) -> None:
    target = tmp_path / "x.csv"
    result = write_snapshot(NEW, target, manifest())
    assert read_manifest(manifest_path(target)) == result.manifest
    for text in ("not json", "[]", '{"format": "other/1"}'):
        manifest_path(target).write_text(text, "utf-8")
        with pytest.raises(SnapshotError, match=r"manifest .*x\.csv\.manifest\.json"):
            read_manifest(manifest_path(target))


def test_describe_inputs_streams_hashes_and_expands_folders(tmp_path: Path) -> None:
    (tmp_path / "parts").mkdir()
    (tmp_path / "parts" / "b.csv").write_bytes(b"bb")
    (tmp_path / "parts" / "a.csv").write_bytes(b"a")
    (tmp_path / "orders.csv").write_bytes(b"x" * 3_000_000)
    described = describe_inputs([tmp_path / "orders.csv", tmp_path / "parts"])
    assert [(Path(d.path).name, d.size) for d in described] == [
        ("orders.csv", 3_000_000),
        ("a.csv", 1),
        ("b.csv", 2),
    ]
    assert described[0].sha256 == hash_bytes(b"x" * 3_000_000)
    assert all(Path(d.path).is_absolute() for d in described)
    with pytest.raises(SnapshotError, match="cannot read input"):
        describe_inputs([tmp_path / "missing.csv"])


@settings(max_examples=200, derandomize=True, deadline=None)
@given(
    rows=st.lists(
        st.lists(st.text(alphabet='a,"\n\r =+-é', max_size=6), min_size=2, max_size=2),
        max_size=8,
    )
)
def test_manifest_row_count_by_polars_equals_the_csv_module(rows: list[list[str]]) -> None:
    """The manifest counts a rendered snapshot's rows with Polars (fast); `verify` with the
    csv module: both must read the same header and rows, quoted line breaks included."""
    header = ("Name", "Email Address")
    cells = pl.DataFrame(rows or None, schema=list(header), orient="row")
    data = encode_csv(cells, header=header)
    assert rendered_shape(data) == csv_shape(io.BytesIO(data))
    assert rendered_shape(data).rows == len(rows)


def test_a_size_mtime_manifest_says_so_and_reads_back(tmp_path: Path) -> None:
    """Inputs fingerprinted by size and modification time (the Spark engine's) are written
    without a sha256 and with the fingerprint named; the default stays as manifests were."""
    data = tmp_path / "orders.parquet"
    data.write_bytes(b"PAR1 not really")
    os.utime(data, (1_700_000_000, 1_700_000_000))
    (described,) = describe_inputs([data], SIZE_MTIME)
    assert described == InputFile(str(data.absolute()), 15, modified="2023-11-14T22:13:20+00:00")
    record = dataclasses.replace(manifest(), inputs=(described,), input_fingerprint=SIZE_MTIME)
    document = json.loads(manifest_json(record))
    assert document["input_fingerprint"] == "size-mtime"
    assert document["inputs"] == [
        {"path": str(data.absolute()), "size": 15, "modified": "2023-11-14T22:13:20+00:00"}
    ]
    written = tmp_path / "x.manifest.json"
    written.write_bytes(manifest_json(record))
    assert read_manifest(written) == record
    hashed = json.loads(manifest_json(dataclasses.replace(record, input_fingerprint=SHA256)))
    assert "input_fingerprint" not in hashed
    assert "modified" not in hashed["inputs"][0]
