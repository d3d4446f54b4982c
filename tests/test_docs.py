"""Tests that keep the docs honest: every command has help, every field is in the README."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from segcli.cli import app
from segcli.spec.fields import FIELDS, ITEM_FIELDS, ORDER_FIELDS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(
    c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands
)


def test_the_cli_has_the_commands_the_readme_documents() -> None:
    assert {"build", "run", "validate", "schema"} <= set(COMMANDS)
    for command in COMMANDS:
        assert f"segcli {command}" in README, f"README does not document `segcli {command}`"


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "segcli", command, "--help"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout
    summary = result.stdout.split("\n\n")[1].strip()
    assert len(summary) > 20, f"`segcli {command} --help` says too little: {summary!r}"


def _readme_table_names() -> set[str]:
    return set(re.findall(r"^\| `([a-z_]+)`", README, flags=re.MULTILINE))


@pytest.mark.parametrize("field", [f.name for f in FIELDS])
def test_every_registry_field_is_in_the_readme_field_table(field: str) -> None:
    assert field in _readme_table_names()


@pytest.mark.parametrize("field", [*ORDER_FIELDS, *ITEM_FIELDS])
def test_every_order_and_item_field_is_in_the_readme(field: str) -> None:
    assert field in _readme_table_names()


def test_the_readme_documents_every_exit_code() -> None:
    for code in ("0", "1", "2", "3", "70", "75"):
        assert re.search(rf"^\| {code} \|", README, flags=re.MULTILINE), f"exit code {code}"
