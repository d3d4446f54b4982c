"""Tests that keep the docs honest: the README lists every command and exit code and shows real
output; docs/language.md has every registry field in its field table; links lead somewhere."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from segcli.cli import app
from segcli.inputs.config import load_settings
from segcli.spec.fields import FIELDS, ITEM_FIELDS, ORDER_FIELDS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
LANGUAGE = (ROOT / "docs" / "language.md").read_text(encoding="utf-8")
COMMANDS = sorted(
    c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands
)


def section(text: str, heading: str) -> str:
    """The body of a `## heading` section, up to the next `## ` heading."""
    assert f"\n## {heading}\n" in text, f"no section `## {heading}`"
    return text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]


def test_the_readme_command_table_has_every_command() -> None:
    commands = section(README, "Commands")
    assert {"build", "run", "validate", "schema"} <= set(COMMANDS)
    for command in COMMANDS:
        assert re.search(rf"^\| `segcli {command}\b", commands, flags=re.MULTILINE), (
            f"the README's command table has no row for `segcli {command}`"
        )


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


def _field_table_names() -> set[str]:
    return set(re.findall(r"^\| `([a-z_]+)`", LANGUAGE, flags=re.MULTILINE))


@pytest.mark.parametrize("field", [f.name for f in FIELDS])
def test_every_registry_field_is_in_the_language_field_table(field: str) -> None:
    assert field in _field_table_names()


@pytest.mark.parametrize("field", [*ORDER_FIELDS, *ITEM_FIELDS])
def test_every_order_and_item_field_is_in_the_language_doc(field: str) -> None:
    assert field in _field_table_names()


def test_the_readme_documents_every_exit_code() -> None:
    codes = section(README, "Exit codes")
    for code in ("0", "1", "2", "3", "70", "75"):
        assert re.search(rf"^\| {code} \|", codes, flags=re.MULTILINE), f"exit code {code}"


DOC_PAGES = sorted((ROOT / "docs").glob("*.md"))


@pytest.mark.parametrize("page", [ROOT / "README.md", *DOC_PAGES], ids=lambda p: p.name)
def test_every_relative_link_leads_to_a_file_and_heading(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        assert linked.exists(), f"{page.name} links to {target}, which does not exist"
        if anchor and linked.suffix == ".md":
            assert anchor in _anchors(linked.read_text(encoding="utf-8")), (
                f"{page.name} links to {target}: no such heading"
            )


def _anchors(markdown: str) -> set[str]:
    """GitHub's heading anchors: lower-cased, punctuation dropped, spaces to hyphens."""
    headings = re.findall(r"^#+ (.+)$", markdown, flags=re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def test_the_readme_links_every_docs_page() -> None:
    linked = set(re.findall(r"\]\(docs/([^)#]+\.md)", README))
    assert linked == {p.name for p in DOC_PAGES}


def test_the_readme_performance_section_is_short() -> None:
    """The README keeps one short table per scale; the full tables live in docs/performance.md."""
    performance = section(README, "Performance")
    assert len(performance.splitlines()) <= 50
    assert "docs/performance.md" in performance
    for scale in ("Scale S", "Scale M", "Scale L"):
        assert scale in performance
        assert scale in (ROOT / "docs" / "performance.md").read_text(encoding="utf-8")


def test_the_readme_is_a_front_door() -> None:
    assert len(README.splitlines()) <= 260


# ---- the worked example prints what the README shows ------------------------------------------


def _session(text: str) -> list[tuple[str, str]]:
    """(command, expected output) pairs of the `console` blocks of a text."""
    pairs: list[tuple[str, str]] = []
    for block in re.findall(r"```console\n(.*?)```", text, flags=re.DOTALL):
        lines = block.splitlines()
        while lines:
            command = lines.pop(0).removeprefix("$ ")
            while command.endswith("\\"):
                command = command[:-1] + lines.pop(0).strip()
            output = []
            while lines and not lines[0].startswith("$ "):
                output.append(lines.pop(0))
            pairs.append((command, "\n".join(output)))
    return pairs


def _without_timings(text: str) -> str:
    return re.sub(r"\d+\.\d+ s\]", "N s]", text)


def test_the_worked_example_prints_what_the_readme_shows(tmp_path: Path) -> None:
    example = section(README, "A worked example")
    pairs = _session(example)
    assert len(pairs) >= 4
    for folder in ("rules", "sample_data"):
        (tmp_path / folder).symlink_to(ROOT / folder)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("COLUMNS", None)
    for command, expected in pairs:
        result = subprocess.run(
            ["bash", "-c", f"{command} 2>&1"],
            capture_output=True,
            text=True,
            check=False,
            cwd=tmp_path,
            env=env,
        )
        assert result.returncode == 0, f"{command}\n{result.stdout}"
        assert _without_timings(result.stdout.rstrip("\n")) == _without_timings(expected), command


def test_the_worked_example_shows_the_definition_as_it_is() -> None:
    shown = re.findall(r"```yaml\n(.*?)```", section(README, "A worked example"), re.DOTALL)
    text = (ROOT / "rules" / "cross_sell.yaml").read_text(encoding="utf-8")
    body = "".join(line for line in text.splitlines(keepends=True) if not line.startswith("#"))
    assert shown == [body]


# ---- the examples of docs/ run ----------------------------------------------------------------


def test_the_config_example_in_the_inputs_doc_loads(tmp_path: Path) -> None:
    text = section(
        (ROOT / "docs" / "inputs.md").read_text(encoding="utf-8"),
        "The project config file (`segcli.yaml`)",
    )
    [example] = re.findall(r"```yaml\n(.*?)```", text, flags=re.DOTALL)
    (tmp_path / "segcli.yaml").write_text(example, encoding="utf-8")
    settings = load_settings(tmp_path / "segcli.yaml")
    assert settings.timezone == "Europe/London"
    assert settings.exclude_statuses == ("cancelled",)


def _runnable_builds() -> list[str]:
    """`segcli build … -o -` commands of docs/ whose files are all here."""
    commands = []
    for page in DOC_PAGES:
        for block in re.findall(r"```sh\n(.*?)```", page.read_text(encoding="utf-8"), re.DOTALL):
            for line in block.replace("\\\n", " ").splitlines():
                words = line.split()
                if words[:2] == ["segcli", "build"] and "-o" in words and "-" in words:
                    files = [w for w in words[2:] if not w.startswith("-") and "." in w]
                    if all((ROOT / f).exists() for f in files):
                        commands.append(line)
    return commands


def test_the_build_examples_of_the_docs_run() -> None:
    commands = _runnable_builds()
    assert commands, "no runnable `segcli build … -o -` example in docs/"
    for command in commands:
        result = subprocess.run(
            [sys.executable, "-m", "segcli", *command.split()[1:]],
            capture_output=True,
            text=True,
            check=False,
            cwd=ROOT,
        )
        assert result.returncode == 0, f"{command}\n{result.stderr}"
        assert result.stdout.startswith("Customer ID,Name,") or result.stdout.startswith("Name,")
