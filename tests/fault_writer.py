"""A stand-in for a nightly `segcli run`, for the SIGKILL fault test in test_snapshot_crashes.py.

Under the output lock it writes, for each of N segments: night 1 (`2024-06-01.csv`, content A),
night 2 (`2024-06-02.csv`, content B), then a corrected night 2 (content C, `replace=True`,
which keeps B as `2024-06-02.replaced-1.csv`). The test kills it with SIGKILL at random moments;
a rerun with `--rerun` (nights 1 and corrected 2 only) must complete the set.

    python tests/fault_writer.py OUT_DIR SEGMENTS [--rerun]

Prints "ready" once imported and locked, "done" at the end. Imports no Polars (starts fast).
"""

from __future__ import annotations

import sys
from pathlib import Path

from segcli.manifest import Manifest
from segcli.snapshot import acquire_lock, write_snapshot

HEADER = b"Name,First Name,Last Name,Email Address,Date Registered,Country,Postal Code,"
HEADER += b"Lifetime Spend\n"
ROWS = 1500
NIGHT_1 = "2024-06-01"
NIGHT_2 = "2024-06-02"


def snapshot_bytes(segment: int, version: str) -> bytes:
    """Deterministic CSV content for one segment and version ("A", "B" or "C")."""
    rows = (
        f'"Member {version}{segment}-{row}, Jr",Member,{row},m{row}@x.test,2024-01-0{row % 9 + 1},'
        f"GB,SW1 {row % 10}AA,{row * 7 + segment}.{row % 100:02d}\n"
        for row in range(ROWS + segment)
    )
    return HEADER + "".join(rows).encode()


def manifest_for(segment: int, night: str) -> Manifest:
    return Manifest(
        segment_id=f"seg{segment:02d}",
        segment_name=f"Segment {segment}",
        definition_sha256="0" * 64,
        as_of=f"{night}T00:00:00+00:00",
        timezone="UTC",
    )


def target(out_dir: Path, segment: int, night: str) -> Path:
    return out_dir / f"seg{segment:02d}" / f"{night}.csv"


def run(out_dir: Path, segments: int, *, rerun: bool) -> None:
    for segment in range(segments):
        write_snapshot(
            snapshot_bytes(segment, "A"),
            target(out_dir, segment, NIGHT_1),
            manifest_for(segment, NIGHT_1),
        )
    if not rerun:
        for segment in range(segments):
            write_snapshot(
                snapshot_bytes(segment, "B"),
                target(out_dir, segment, NIGHT_2),
                manifest_for(segment, NIGHT_2),
            )
    for segment in range(segments):
        write_snapshot(
            snapshot_bytes(segment, "C"),
            target(out_dir, segment, NIGHT_2),
            manifest_for(segment, NIGHT_2),
            replace=True,
        )


def main(argv: list[str]) -> None:
    out_dir, segments = Path(argv[0]), int(argv[1])
    with acquire_lock(out_dir):
        print("ready", flush=True)
        run(out_dir, segments, rerun="--rerun" in argv)
    print("done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
