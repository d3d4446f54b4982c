"""Who entered and who left a segment between two snapshots (``segcli diff``).

Rows are matched by ``Customer ID`` when both files have that column, else by ``Email Address``
exactly as exported. A row with an empty e-mail (an unidentified customer) is matched by its whole
content (the Customer ID aside), so such a customer whose spend changed counts as left and
entered. Cells are read and written back as text, untouched, so a row of ``entered.csv`` is
byte-for-byte the row of the newer snapshot (and ``left.csv`` of the older one).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

import polars as pl

from segcli.errors import SnapshotError
from segcli.export import CUSTOMER_ID_HEADER, EXPORT_HEADER, encode_csv, export_header
from segcli.manifest import manifest_path, read_manifest
from segcli.snapshot import write_file_atomic

if TYPE_CHECKING:
    from pathlib import Path

ENTERED_FILE: Final = "entered.csv"
LEFT_FILE: Final = "left.csv"
_KEY: Final = "__segcli_diff_key"


@dataclass(frozen=True, slots=True)
class DiffResult:
    old: Path
    new: Path
    matched_by: str  # "Customer ID" or "Email Address"
    entered: pl.DataFrame  # rows of the newer snapshot whose key the older one lacks
    left: pl.DataFrame  # rows of the older snapshot whose key the newer one lacks
    stayed: int  # rows of the newer snapshot whose key the older one has

    @property
    def entered_count(self) -> int:
        return self.entered.height

    @property
    def left_count(self) -> int:
        return self.left.height


def diff_snapshots(old: Path, new: Path) -> DiffResult:
    """Compare two snapshots in the fixed export format."""
    old_rows, new_rows = read_export(old), read_export(new)
    with_id = CUSTOMER_ID_HEADER in old_rows.columns and CUSTOMER_ID_HEADER in new_rows.columns
    matched_by = CUSTOMER_ID_HEADER if with_id else "Email Address"
    old_keyed = old_rows.with_columns(_match_key(matched_by))
    new_keyed = new_rows.with_columns(_match_key(matched_by))
    in_old = pl.col(_KEY).is_in(old_keyed.get_column(_KEY).implode())
    in_new = pl.col(_KEY).is_in(new_keyed.get_column(_KEY).implode())
    return DiffResult(
        old=old,
        new=new,
        matched_by=matched_by,
        entered=new_keyed.filter(~in_old).drop(_KEY),
        left=old_keyed.filter(~in_new).drop(_KEY),
        stayed=new_keyed.filter(in_old).height,
    )


def write_diff(result: DiffResult, out_dir: Path) -> tuple[Path, Path]:
    """Write ``entered.csv`` and ``left.csv`` (fixed format, atomically) into ``out_dir``."""
    entered, left = out_dir / ENTERED_FILE, out_dir / LEFT_FILE
    write_file_atomic(entered, encode_csv(result.entered, header=tuple(result.entered.columns)))
    write_file_atomic(left, encode_csv(result.left, header=tuple(result.left.columns)))
    return entered, left


def read_export(path: Path) -> pl.DataFrame:
    """A CSV in the fixed export format, every cell as text (empty cells null)."""
    try:
        rows = pl.read_csv(path, infer_schema=False, raise_if_empty=False, glob=False)
    except (OSError, pl.exceptions.PolarsError) as error:
        raise SnapshotError(f"cannot read {path} as CSV: {type(error).__name__}") from error
    if tuple(rows.columns) not in {export_header(with_id=False), export_header(with_id=True)}:
        raise SnapshotError(f"{path} is not in the segcli export format (unexpected header)")
    return rows


def latest_two(segment_dir: Path) -> tuple[Path, Path]:
    """The two latest complete snapshots of a segment folder, older first, by as-of.

    Set-aside files (``*.replaced-<n>.csv``) and CSVs without a manifest are not considered.
    """
    dated: list[tuple[datetime, str, Path]] = []
    for csv_path in segment_dir.glob("*.csv"):
        if ".replaced-" in csv_path.name or not manifest_path(csv_path).is_file():
            continue
        as_of = _as_of_instant(read_manifest(manifest_path(csv_path)).as_of, csv_path)
        dated.append((as_of, csv_path.name, csv_path))
    if len(dated) < 2:
        raise SnapshotError(f"{segment_dir} holds {len(dated)} complete snapshot(s); diff needs 2")
    dated.sort()
    return dated[-2][2], dated[-1][2]


def _match_key(matched_by: str) -> pl.Expr:
    """The key a row is matched on; keys by column and by whole row can never collide."""
    by_column = pl.lit("k\x00") + pl.col(matched_by)
    whole_row = pl.lit("r\x00") + pl.concat_str(
        [pl.col(name).fill_null("") for name in EXPORT_HEADER], separator="\x1f"
    )
    return (
        pl.when(pl.col(matched_by).is_not_null()).then(by_column).otherwise(whole_row).alias(_KEY)
    )


def _as_of_instant(as_of: str, csv_path: Path) -> datetime:
    try:
        instant = datetime.fromisoformat(as_of)
    except ValueError as error:
        raise SnapshotError(f"manifest of {csv_path} has an unreadable as-of") from error
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)
