"""The benchmark writes its pages: docs/performance.md and the README keep one block per scale
between markers, and the report writer (bench/pages.py) fills a scale's block from the figures
of a run, leaving the other scales' blocks as they were. Fake figures; no benchmark runs."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCALES = ("S", "M", "L")


def _load_pages() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_pages", ROOT / "bench" / "pages.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_pages"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


pages = _load_pages()


def _run(scale: str, vip_ratio: float) -> object:
    figures = (
        pages.Figure("one segment, CSV", (1.2, vip_ratio), 1.5, "×"),
        pages.Figure("peak RSS of `segcli run rules/`", (1.234,), 1.5, "GB"),
        pages.Figure("start-up, `segcli --help`", (0.0712,), 0.3, "s", readme=False),
    )
    return pages.Run(
        scale, f"python bench/run.py --scale {scale}", "2030-01-02", "Fake CPU, 2 cores",
        "Data: orders 10", figures, "### One segment from CSV\n\n| segment |\n|:---|\n| vip |",
    )  # fmt: skip


def _block(text: str, scale: str) -> str:
    start, end = f"<!-- bench:{scale}:start -->", f"<!-- bench:{scale}:end -->"
    assert text.count(start) == 1
    assert text.count(end) == 1
    return text[text.index(start) + len(start) : text.index(end)]


@pytest.mark.parametrize("page", ["README.md", "docs/performance.md"])
def test_every_page_has_a_block_per_scale(page: str) -> None:
    text = (ROOT / page).read_text(encoding="utf-8")
    for scale in SCALES:
        _block(text, scale)
    assert pages.ANCHOR in text


def test_a_run_fills_its_own_block_and_leaves_the_others(tmp_path: Path) -> None:
    docs, readme = tmp_path / "performance.md", tmp_path / "README.md"
    for page in (docs, readme):
        page.write_text(
            "intro\n\n<!-- bench:S:start -->\nold S\n<!-- bench:S:end -->\n\n"
            "<!-- bench:M:start -->\nold M\n<!-- bench:M:end -->\n\n<!-- bench:scales -->\n",
            encoding="utf-8",
        )
    pages.write_pages(_run("S", 1.8), docs, readme)
    full, short = docs.read_text(encoding="utf-8"), readme.read_text(encoding="utf-8")
    assert _block(full, "M") == _block(short, "M") == "\nold M\n"
    assert "old S" not in full + short
    assert full.startswith("intro\n")
    s_full, s_short = _block(full, "S"), _block(short, "S")
    # the command and the machine, in both pages
    for block in (s_full, s_short):
        assert "`python bench/run.py --scale S`" in block
        assert "Fake CPU, 2 cores" in block
        # each figure with its target and whether every segment met it (1.8 > 1.5: one missed)
        assert "| one segment, CSV | 1.20–1.80× | ≤ 1.5× | ✗ (1 of 2 met) |" in block
        assert "| peak RSS of `segcli run rules/` | 1.23 GB | ≤ 1.5 GB | ✓ |" in block
    # the full tables and the figures kept out of the README go to docs/performance.md only
    assert "| start-up, `segcli --help` | 0.071 s | ≤ 0.3 s | ✓ |" in s_full
    assert "--help" not in s_short
    assert "| vip |" in s_full
    assert "| vip |" not in s_short


def test_running_a_scale_again_replaces_its_block(tmp_path: Path) -> None:
    page = tmp_path / "p.md"
    page.write_text("<!-- bench:scales -->\n", encoding="utf-8")
    pages.write_pages(_run("L", 1.8), page, page)  # a new scale: added before the anchor
    once = page.read_text(encoding="utf-8")
    assert once.index("<!-- bench:L:end -->") < once.index(pages.ANCHOR)
    pages.write_pages(_run("L", 1.4), page, page)
    again = page.read_text(encoding="utf-8")
    assert "1.20–1.40× | ≤ 1.5× | ✓ |" in _block(again, "L")
    assert "1.80" not in again


def test_a_page_without_blocks_or_anchor_is_refused(tmp_path: Path) -> None:
    page = tmp_path / "p.md"
    page.write_text("no markers here\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no <!-- bench:S:start --> block"):
        pages.write_pages(_run("S", 1.0), page, page)
    assert page.read_text(encoding="utf-8") == "no markers here\n"


def test_a_memory_run_writes_the_docs_alone(tmp_path: Path) -> None:
    """`bench/run.py --scale 2L --memory` gets a block of its own in docs/performance.md, and
    the README, which keeps one short table a scale, is left as it was."""
    docs, readme = tmp_path / "performance.md", tmp_path / "README.md"
    for page in (docs, readme):
        page.write_text("intro\n\n<!-- bench:scales -->\n", encoding="utf-8")
    memory = pages.Run(
        "2L-memory", "python bench/run.py --scale 2L --memory", "2030-01-02", "Fake CPU",
        "Data: 2L", (pages.Figure("peak RSS", (1.14,), 1.5, "GB"),), "| run |", readme=False,
    )  # fmt: skip
    pages.write_pages(memory, docs, readme)
    assert "| peak RSS | 1.14 GB | ≤ 1.5 GB | ✓ |" in _block(
        docs.read_text(encoding="utf-8"), "2L-memory"
    )
    assert readme.read_text(encoding="utf-8") == "intro\n\n<!-- bench:scales -->\n"
