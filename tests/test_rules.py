"""Every rules/*.yaml validates, builds over sample_data/ and agrees with the reference evaluator.

Plus the CLI promise that a build is byte-for-byte repeatable with the fixed export header.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import reference

from segcli import api

ROOT = Path(__file__).resolve().parent.parent
RULE_FILES = sorted((ROOT / "rules").glob("*.yaml"))
AS_OF = "2025-01-01"
HEADER = (
    "Name,First Name,Last Name,Email Address,Date Registered,Country,Postal Code,Lifetime Spend"
)


def test_rules_folder_holds_the_seed_cases() -> None:
    assert len(RULE_FILES) >= 15, f"only {len(RULE_FILES)} files in rules/"


@pytest.fixture(scope="module")
def library() -> list[Any]:
    return api.load_definitions([ROOT / "rules"])


@pytest.fixture(scope="module")
def tables(sample_csvs: dict[str, Path]) -> Any:
    return api.open_tables(
        sample_csvs["orders"],
        lines=sample_csvs["order_lines"],
        customers=sample_csvs["customers"],
        reviews=sample_csvs["reviews"],
    )


@pytest.fixture(scope="module")
def reference_data(sample_csvs: dict[str, Path]) -> reference.Dataset:
    return reference.read_dataset(
        sample_csvs["orders"],
        sample_csvs["order_lines"],
        sample_csvs["customers"],
        sample_csvs["reviews"],
    )


@pytest.fixture(scope="module")
def documents() -> dict[str, dict[str, Any]]:
    """Every rule file as plain YAML, by stem and by name (in_segment accepts both)."""
    result: dict[str, dict[str, Any]] = {}
    for path in RULE_FILES:
        document = reference.load_definition(path.read_text(encoding="utf-8"))
        result[path.stem] = document
        result.setdefault(str(document["name"]), document)
    return result


@pytest.mark.parametrize("path", RULE_FILES, ids=[p.stem for p in RULE_FILES])
def test_rule_matches_reference(
    path: Path,
    library: list[Any],
    tables: Any,
    reference_data: reference.Dataset,
    documents: dict[str, dict[str, Any]],
) -> None:
    text = path.read_text(encoding="utf-8")
    definition = api.parse_definition(
        text, source=str(path), segment_id=path.stem, base_dir=path.parent
    )
    others = [d for d in library if d.segment_id != path.stem]
    actual = api.member_keys(definition, tables, as_of=AS_OF, library=others)
    expected = reference.member_keys(
        documents[path.stem], reference_data, AS_OF, documents, path.parent
    )
    only_ref, only_seg = sorted(set(expected) - set(actual)), sorted(set(actual) - set(expected))
    assert actual == expected, (
        f"{path.name}: {len(expected)} members by the reference, {len(actual)} by segcli\n"
        f"only reference ({len(only_ref)}): {only_ref[:20]}\n"
        f"only segcli ({len(only_seg)}): {only_seg[:20]}"
    )


def _build_vip() -> subprocess.CompletedProcess[bytes]:
    sample = "sample_data"
    command = [sys.executable, "-m", "segcli", "build", "rules/vip.yaml"]
    command += [f"{sample}/orders.parquet", "--lines", f"{sample}/order_lines.parquet"]
    command += ["--customers", f"{sample}/customers.parquet", "--as-of", AS_OF, "-o", "-"]
    return subprocess.run(command, cwd=ROOT, capture_output=True, check=False, timeout=120)


def test_cli_build_is_byte_identical_with_the_export_header() -> None:
    first, second = _build_vip(), _build_vip()
    assert first.returncode == 0, first.stderr.decode()
    assert second.returncode == 0, second.stderr.decode()
    assert first.stdout == second.stdout
    lines = first.stdout.decode("utf-8").splitlines()
    assert lines[0] == HEADER
    assert len(lines) > 1, "the VIP segment of sample_data/ is empty"
