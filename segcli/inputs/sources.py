"""Finding input files: paths, globs and folders of parts, and each file's format."""

from __future__ import annotations

import glob
import gzip
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal, TypeAlias, cast

from segcli.errors import InputError

PathSpec: TypeAlias = str | Path | Sequence[str | Path]
FileFormat = Literal["csv", "parquet", "ndjson"]

_DATA_SUFFIXES = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
}
_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One input file, its format and whether it is gzip'd."""

    path: Path
    format: FileFormat
    gzipped: bool = False

    @property
    def name(self) -> str:
        return str(self.path)

    def open_binary(self) -> BinaryIO:
        """The file's bytes, decompressed when it is gzip'd."""
        if self.gzipped:
            return cast("BinaryIO", gzip.open(self.path, "rb"))
        return self.path.open("rb")


def expand_paths(spec: PathSpec, table: str) -> tuple[SourceFile, ...]:
    """Every data file a path spec names: files, globs and folders of parts, in a stable order."""
    items: list[str | Path] = [spec] if isinstance(spec, str | Path) else list(spec)
    if not items:
        raise InputError(f"no {table} file given")
    found: list[Path] = []
    for item in items:
        found.extend(_expand_one(item, table))
    unique = list(dict.fromkeys(found))
    return tuple(_source_file(path) for path in unique)


def _expand_one(item: str | Path, table: str) -> list[Path]:
    text = str(item)
    path = Path(item)
    if path.is_dir():
        parts = sorted(p for p in path.rglob("*") if p.is_file() and _is_data_file(p))
        if not parts:
            raise InputError(f"{text}: the {table} folder holds no .csv, .parquet or .ndjson files")
        return parts
    if _GLOB_CHARS & set(text) and not path.exists():
        names = glob.glob(text, recursive=True)  # noqa: PTH207 (patterns may be absolute)
        matches = sorted(Path(m) for m in names if Path(m).is_file())
        if not matches:
            raise InputError(f"{text}: no {table} file matches this pattern")
        return matches
    if not path.is_file():
        raise InputError(f"{text}: {table} file not found")
    return [path]


def _is_data_file(path: Path) -> bool:
    if path.name.startswith((".", "_")):  # _SUCCESS, .crc files of Spark/Hadoop part folders
        return False
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return bool(suffixes) and suffixes[-1] in _DATA_SUFFIXES


def _source_file(path: Path) -> SourceFile:
    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic == b"PAR1":
        return SourceFile(path, "parquet")
    gzipped = magic[:2] == b"\x1f\x8b"
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    kind = _DATA_SUFFIXES.get(suffixes[-1], "csv") if suffixes else "csv"
    fmt: FileFormat = "ndjson" if kind == "ndjson" else "csv"
    if kind == "parquet":
        raise InputError(f"{path}: named like a Parquet file but is not one (no PAR1 header)")
    return SourceFile(path, fmt, gzipped=gzipped)
