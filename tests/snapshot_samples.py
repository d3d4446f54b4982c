"""Snapshot bytes and a manifest to write them with, and what a snapshot folder holds.

Shared by the tests of snapshot.py, manifest.py, verify.py and diff.py. NEW holds a quoted line
break and a quoted comma, so that every reader of a snapshot meets both.
"""

from __future__ import annotations

from pathlib import Path

from segcli.manifest import InputFile, Manifest
from segcli.snapshot import TEMP_SUFFIX

HEADER = b"Name,First Name,Last Name,Email Address,Date Registered,Country,Postal Code,"
HEADER += b"Lifetime Spend\n"
OLD = HEADER + b"Ann,Ann,,a@x.com,2024-01-01,GB,SW1,10.00\n"
NEW = OLD + b'"Lee, Bo",Bo,Lee,b@x.com,,GB,"a\nb",-2.50\n'


def manifest(
    *,
    segment_id: str = "vip",
    as_of: str = "2024-06-01T00:00:00+00:00",
    definition_sha256: str = "ab" * 32,
) -> Manifest:
    return Manifest(
        segment_id=segment_id,
        segment_name="VIP customers",
        definition_sha256=definition_sha256,
        as_of=as_of,
        timezone="Europe/London",
        inputs=(InputFile(path="/data/orders.csv", size=3, sha256="cd" * 32),),
    )


def temp_files(folder: Path) -> list[Path]:
    return sorted(folder.rglob(f"*{TEMP_SUFFIX}"))


def folder_bytes(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (lock file aside) by relative path, with its bytes."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != ".segcli.lock"
    }
