"""The work folder of a run in passes: each finished pass kept on disk, so a killed run resumes.

`segcli run` over data larger than its memory budget computes the members table in passes over
the customers (backends/polars/passes.py). Each finished pass's members are rendered as export
records at once (what the folder keeps, `render`, is the run's choice) and written, atomically
and durably, to `<out>/.segcli-work/` as `pass-<i>-of-<K>.parquet`: no pass's members stay in
memory, and a rerun of the same run computes only the passes not kept. What every pass reads
alike and computes once (the order lines as the features read them) is kept there too. The
folder records what it belongs to (`run.json`: the as-of, the definitions' hashes, the input
files' sizes and modification times, the settings, the export's options, segcli's and Polars'
versions, as Polars' hash picks each customer's pass): anything else, and it is emptied first.
The run removes it when it completes. Snapshots are only ever written from every part, so a
kill leaves no partial snapshot. A one-pass run has nothing to resume: it keeps its one part in
memory.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import segcli
from segcli.errors import SnapshotError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from datetime import datetime

    import polars as pl

    from segcli.backends import Inputs
    from segcli.spec.model import Definition

WORK_NAME = ".segcli-work"
_RECORD = "run.json"
_PARTIAL = ".partial"


@dataclass(frozen=True, slots=True)
class WorkFolder:
    """A `backends.PassStore` in `folder`, for the run `record` describes, keeping each part as
    `render` makes it of the pass's members. A one-pass run keeps its part in memory and
    creates no folder."""

    folder: Path
    record: str
    render: Callable[[pl.DataFrame], pl.DataFrame]
    held: list[pl.DataFrame] = field(default_factory=list)  # the part of a one-pass run

    def done(self, index: int, count: int) -> bool:
        if count == 1:
            return bool(self.held)
        return self._part(index, count).is_file() and self._belongs()

    def save(self, index: int, count: int, members: pl.DataFrame) -> None:
        part = self.render(members)
        if count == 1:
            self.held[:] = [part]
            return
        final = self._part(index, count)
        temp = final.with_name(final.name + _PARTIAL)
        try:
            self._claim()
            part.write_parquet(temp)
            _fsync(temp)
            temp.replace(final)
            _fsync(self.folder)
        except OSError as error:
            reason = error.strerror or str(error)
            message = f"cannot keep pass {index + 1} of {count} in {final}: {reason}"
            raise SnapshotError(message) from None

    def keep_file(self, name: str, write: Callable[[Path], None]) -> Path:
        """See backends.PassStore: written under a temporary name (a file or a folder), then
        renamed, so a kill leaves nothing half-written under `name`."""
        final = self.folder / name
        if final.exists() and self._belongs():
            return final
        temp = final.with_name(final.name + _PARTIAL)
        try:
            self._claim()
            _remove(temp)  # what a killed attempt left half-written
            write(temp)
            for path in _tree(temp):
                _fsync(path)
            temp.replace(final)
            _fsync(self.folder)
        except OSError as error:
            reason = error.strerror or str(error)
            raise SnapshotError(f"cannot keep {final}: {reason}") from None
        return final

    def parts(self, count: int) -> pl.LazyFrame:
        """Every part of the run, as one frame (read from the folder as it is collected)."""
        import polars as pl  # noqa: PLC0415

        if count == 1:
            return self.held[0].lazy()
        return pl.scan_parquet([self._part(index, count) for index in range(count)])

    def remove(self) -> None:
        """The run is complete: its work folder goes."""
        shutil.rmtree(self.folder, ignore_errors=True)

    def _part(self, index: int, count: int) -> Path:
        return self.folder / f"pass-{index + 1:03d}-of-{count:03d}.parquet"

    def _belongs(self) -> bool:
        with contextlib.suppress(OSError, UnicodeDecodeError):
            return (self.folder / _RECORD).read_text(encoding="utf-8") == self.record
        return False

    def _claim(self) -> None:
        """Make the folder this run's: emptied unless it already records this run."""
        if self._belongs():
            return
        self.remove()
        self.folder.mkdir(parents=True)
        record = self.folder / _RECORD
        temp = record.with_name(_RECORD + _PARTIAL)
        temp.write_text(self.record, encoding="utf-8")
        _fsync(temp)
        temp.replace(record)
        _fsync(self.folder)


def work_folder(
    out_dir: Path,
    todo: Sequence[Definition],
    library: Sequence[Definition],
    tables: Inputs,
    as_of: datetime,
    render: Callable[[pl.DataFrame], pl.DataFrame],
    options: Sequence[object] = (),
) -> WorkFolder:
    """The work folder of the run that builds `todo` as of `as_of` from `tables` into `out_dir`,
    keeping each pass as `render` makes it; `options`: whatever else shapes what it keeps."""
    import polars as pl  # noqa: PLC0415

    from segcli.spec.segment_refs import definition_sha256  # noqa: PLC0415

    record = {
        "as_of": as_of.isoformat(),
        "definitions": [[d.segment_id, definition_sha256(d, library)] for d in todo],
        "inputs": [_fingerprint(path) for path in tables.sources],
        "settings": repr(tables.settings),
        "engine": tables.engine,
        "options": [repr(option) for option in options],
        "segcli": segcli.__version__,
        "polars": pl.__version__,
    }
    text = json.dumps(record, indent=1, sort_keys=True) + "\n"
    return WorkFolder(out_dir / WORK_NAME, text, render)


def _fingerprint(path: Path) -> list[object]:
    """A file as the work folder knows it: a change of size or modification time starts over."""
    try:
        stat = path.stat()
    except OSError:
        return [str(path), None, None]
    return [str(path.resolve()), stat.st_size, stat.st_mtime_ns]


def _fsync(path: Path) -> None:
    flags = os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() else 0)
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    """`path`, a file or a folder, gone if it was there."""
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _tree(path: Path) -> list[Path]:
    """`path` and, for a folder, everything in it: deepest first, so a folder is synced after
    the entries it holds."""
    inside = sorted(path.rglob("*"), key=lambda p: len(p.parts), reverse=True)
    return [*inside, path] if path.is_dir() else [path]
