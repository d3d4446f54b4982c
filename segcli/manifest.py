"""Snapshot manifests: what a snapshot was built from, and the facts that let it be verified.

A snapshot ``<out>/<segment>/<as-of>.csv`` has its manifest beside it, named after the CSV's
full file name: ``<as-of>.csv.manifest.json``. The manifest is UTF-8 JSON, keys in a fixed order::

    {
      "format": "segcli-snapshot-manifest/1",
      "segment_id": "vip",                      # the definition file's stem
      "segment_name": "VIP customers",
      "definition_sha256": "…",                # also covers its ids files and in_segment targets
      "as_of": "2024-06-01T00:00:00+00:00",     # ISO 8601, as the caller gives it
      "timezone": "Europe/London",
      "inputs": [{"path": "/abs/orders.parquet", "size": 123, "sha256": "…"}],
      "rows": 42,                               # data rows, the header not counted
      "header": ["Name", "First Name", …],
      "output_size": 4567,
      "output_sha256": "…",
      "tool_version": "0.1.0",
      "created_at": "2024-06-01T02:00:00Z",
      "exclusive": {"priority": 3, "moved_out": 120}   # only from `segcli run --exclusive`
    }

``rows``, ``header``, ``output_size``, ``output_sha256``, ``tool_version`` and ``created_at`` are
computed from the CSV bytes when the snapshot is written (:func:`complete_manifest`).
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, TYPE_CHECKING, Any, Final

import segcli
from segcli.errors import SnapshotError
from segcli.inputs.csvfile import csv_reader

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

MANIFEST_FORMAT: Final = "segcli-snapshot-manifest/1"
MANIFEST_SUFFIX: Final = ".manifest.json"
_TEXT_FIELDS: Final = (
    "segment_id",
    "segment_name",
    "definition_sha256",
    "as_of",
    "timezone",
    "output_sha256",
    "tool_version",
    "created_at",
)


@dataclass(frozen=True, slots=True)
class InputFile:
    """One input file as it was when the snapshot was built."""

    path: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class Exclusive:
    """In a `segcli run --exclusive`: the segment's priority (None: it took no part) and the
    members it gave to higher-priority segments."""

    priority: int | None
    moved_out: int


@dataclass(frozen=True, slots=True)
class Manifest:
    """The record beside a snapshot. Callers fill the first six fields; the rest are computed."""

    segment_id: str
    segment_name: str
    definition_sha256: str
    as_of: str
    timezone: str
    inputs: tuple[InputFile, ...] = ()
    rows: int = 0
    header: tuple[str, ...] = ()
    output_size: int = 0
    output_sha256: str = ""
    tool_version: str = segcli.__version__
    created_at: str = ""
    exclusive: Exclusive | None = None  # written only for an exclusive run


@dataclass(frozen=True, slots=True)
class CsvShape:
    header: tuple[str, ...]
    rows: int


def manifest_path(snapshot: Path) -> Path:
    """Where the manifest of a snapshot CSV lives: ``2024-06-01.csv.manifest.json``."""
    return snapshot.with_name(snapshot.name + MANIFEST_SUFFIX)


def snapshot_path(manifest_file: Path) -> Path:
    """The snapshot CSV a manifest file describes."""
    return manifest_file.with_name(manifest_file.name.removesuffix(MANIFEST_SUFFIX))


def hash_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def hash_file(path: Path) -> str:
    """The sha256 of a file, read in chunks."""
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def describe_inputs(paths: Iterable[Path]) -> list[InputFile]:
    """Path (absolute), size and sha256 of each input; a folder stands for the files in it."""
    files: list[Path] = []
    for path in paths:
        files.extend(sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path])
    described: list[InputFile] = []
    for file in files:
        try:
            size = file.stat().st_size
            digest = hash_file(file)
        except OSError as error:
            raise SnapshotError(f"cannot read input {file}: {error.strerror}") from error
        described.append(InputFile(path=str(file.absolute()), size=size, sha256=digest))
    return described


def csv_shape(stream: IO[bytes]) -> CsvShape:
    """Header and data-row count of a UTF-8 CSV (quoted line breaks are not row ends)."""
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
    try:
        reader = csv_reader(text, strict=True)
        header = tuple(next(reader, ()))
        rows = sum(1 for _ in reader)
    finally:
        text.detach()
    return CsvShape(header=header, rows=rows)


def rendered_shape(data: bytes) -> CsvShape:
    """`csv_shape` of CSV bytes segcli rendered itself, by Polars' reader: a nightly run writes
    millions of rows, too many for a Python csv pass. `verify`, which checks files that may come
    from anywhere, keeps that careful pass."""
    import polars as pl  # noqa: PLC0415  (Polars loads only when data is handled)

    if not data.strip():
        return CsvShape(header=(), rows=0)
    try:
        frame = pl.read_csv(io.BytesIO(data), infer_schema=False, columns=[0])
    except pl.exceptions.PolarsError as error:  # what the csv module would raise
        raise csv.Error(str(error).splitlines()[0]) from None
    text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", newline="")
    header = tuple(next(csv_reader(text), ()))
    return CsvShape(header=header, rows=frame.height)


def complete_manifest(manifest: Manifest, data: bytes, *, now: datetime | None = None) -> Manifest:
    """The manifest with the facts of ``data`` (rows, header, size, hash), version and time."""
    shape = rendered_shape(data)
    created = (
        (now or datetime.now(UTC))
        .astimezone(UTC)
        .replace(microsecond=0)
        .isoformat()
        .replace("+00:00", "Z")
    )
    return dataclasses.replace(
        manifest,
        rows=shape.rows,
        header=shape.header,
        output_size=len(data),
        output_sha256=hash_bytes(data),
        tool_version=segcli.__version__,
        created_at=created,
    )


def manifest_json(manifest: Manifest) -> bytes:
    """The manifest as UTF-8 JSON, keys in field order, with a trailing newline."""
    fields = dataclasses.asdict(manifest)
    if fields["exclusive"] is None:
        del fields["exclusive"]
    document = {"format": MANIFEST_FORMAT, **fields}
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def read_manifest(path: Path) -> Manifest:
    """Load a manifest file; a SnapshotError names the file when it is missing or malformed."""
    try:
        document = json.loads(path.read_bytes().decode("utf-8"))
    except OSError as error:
        raise SnapshotError(f"cannot read manifest {path}: {error.strerror}") from error
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SnapshotError(f"manifest {path} is not valid UTF-8 JSON") from error
    if not isinstance(document, dict) or document.get("format") != MANIFEST_FORMAT:
        raise SnapshotError(f"manifest {path} is not a {MANIFEST_FORMAT} document")
    try:
        return _manifest_from_dict(document)
    except (KeyError, TypeError, ValueError) as error:
        raise SnapshotError(f"manifest {path} is malformed: {error}") from error


def _manifest_from_dict(document: dict[str, Any]) -> Manifest:
    values: dict[str, Any] = {name: _typed(document, name, str) for name in _TEXT_FIELDS}
    values["rows"] = _typed(document, "rows", int)
    values["output_size"] = _typed(document, "output_size", int)
    values["header"] = tuple(str(name) for name in _typed(document, "header", list))
    values["inputs"] = tuple(
        InputFile(path=str(item["path"]), size=int(item["size"]), sha256=str(item["sha256"]))
        for item in _typed(document, "inputs", list)
    )
    if isinstance(note := document.get("exclusive"), dict):
        priority = note.get("priority")
        values["exclusive"] = Exclusive(
            None if priority is None else int(priority), int(note["moved_out"])
        )
    return Manifest(**values)


def _typed(document: dict[str, Any], name: str, kind: type) -> Any:
    value = document[name]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise TypeError(f"'{name}' must be {kind.__name__}")
    return value
