"""Golden cases: expected values are data, in files; adding a case adds files, not code.

Each folder under tests/golden/ holds a `definition.yaml` (with `as_of`), small input CSVs
(`orders.csv`, optionally `order_lines.csv`, `customers.csv`, `reviews.csv`), an optional
`args.txt` with extra command-line arguments, and `expected.csv`: the snapshot computed by hand
from docs/language.md, with the reasoning for every row in the folder's README.md. The test runs
`segcli build` in the folder and compares stdout with `expected.csv` byte for byte. Adding a case
adds files, not code.
"""

from __future__ import annotations

import difflib
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
CASES = sorted(p for p in GOLDEN.iterdir() if (p / "definition.yaml").is_file())
OPTIONAL_INPUTS = (
    ("--lines", "order_lines.csv"),
    ("--customers", "customers.csv"),
    ("--reviews", "reviews.csv"),
)


def build_command(case: Path) -> list[str]:
    """`segcli build definition.yaml orders.csv [--lines …] [--customers …] [--reviews …] -o -`."""
    command = [sys.executable, "-m", "segcli", "build", "definition.yaml", "orders.csv"]
    for option, name in OPTIONAL_INPUTS:
        if (case / name).is_file():
            command += [option, name]
    args = case / "args.txt"
    if args.is_file():
        command += shlex.split(args.read_text(encoding="utf-8"), comments=True)
    return [*command, "-o", "-"]


def visible(line: str) -> str:
    """A line with invisible differences made visible: CR, tab, BOM, trailing spaces."""
    body = line.rstrip(" ")
    body += "·" * (len(line) - len(body))
    return body.replace("\ufeff", "<BOM>").replace("\r", "\\r").replace("\t", "\\t") + "\n"


def describe_mismatch(expected: bytes, actual: bytes) -> str:
    """A unified diff of the two outputs (an empty last line means a final newline)."""
    want, got = (b.decode("utf-8", errors="replace").split("\n") for b in (expected, actual))
    diff = difflib.unified_diff(
        [visible(line) for line in want], [visible(line) for line in got], "expected.csv", "stdout"
    )
    return "".join(diff) or f"same text, different bytes (encoding?): {actual[:200]!r}"


def run_case(case: Path) -> subprocess.CompletedProcess[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    return subprocess.run(
        build_command(case), cwd=case, env=env, capture_output=True, check=False, timeout=120
    )


def test_there_are_golden_cases() -> None:
    assert len(CASES) >= 20, f"expected the golden cases under {GOLDEN}"
    for case in CASES:
        assert (case / "orders.csv").is_file(), f"{case.name}: orders.csv is required"
        assert (case / "expected.csv").is_file(), f"{case.name}: expected.csv is required"


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_golden(case: Path) -> None:
    result = run_case(case)
    stderr = result.stderr.decode("utf-8", errors="replace")
    command = shlex.join(build_command(case)[1:])
    assert result.returncode == 0, (
        f"`{command}` in tests/golden/{case.name} exited {result.returncode}\n{stderr}"
    )
    expected = (case / "expected.csv").read_bytes()
    if result.stdout != expected:
        pytest.fail(
            f"tests/golden/{case.name}: output differs from expected.csv "
            f"(see its README.md for why each row is there)\n"
            f"{describe_mismatch(expected, result.stdout)}\n{stderr}",
            pytrace=False,
        )
