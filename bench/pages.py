"""The benchmark's pages: docs/performance.md and the README's Performance section.

Each page holds one block per scale between markers (`<!-- bench:S:start -->` …
`<!-- bench:S:end -->`); a run rewrites its own scale's block only, so running S leaves M and L
as they were. docs/performance.md gets the command, the machine, the summary of figures against
their targets and the full tables; the README gets the summary table alone. A scale without a
block yet gets one just before the `<!-- bench:scales -->` anchor of each page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "performance.md"
README = ROOT / "README.md"
ANCHOR = "<!-- bench:scales -->"


def marker(scale: str, end: str) -> str:
    return f"<!-- bench:{scale}:{end} -->"


@dataclass(frozen=True, slots=True)
class Figure:
    """One figure against its target: a ratio (`×`), seconds (`s`) or gigabytes (`GB`).

    `values` holds one value per segment (or one); the target is met when every value is."""

    name: str
    values: tuple[float, ...]
    target: float
    unit: str
    readme: bool = True  # also in the README's short table

    def measured(self) -> str:
        low, high = (self._number(v) for v in (min(self.values), max(self.values)))
        return f"{low if low == high else f'{low}–{high}'}{self._suffix()}"

    def verdict(self) -> str:
        met = sum(value <= self.target for value in self.values)
        if met == len(self.values):
            return "✓"
        return "✗" if len(self.values) == 1 else f"✗ ({met} of {len(self.values)} met)"

    def goal(self) -> str:
        return f"≤ {self.target:g}{self._suffix()}"

    def _number(self, value: float) -> str:
        return f"{value:.3f}" if self.unit == "s" and value < 1 else f"{value:.2f}"

    def _suffix(self) -> str:
        return "×" if self.unit == "×" else f" {self.unit}"


@dataclass(frozen=True, slots=True)
class Run:
    """What one benchmark run reports for its scale."""

    scale: str
    command: str
    date: str
    machine: str
    data: str  # the row counts, one line
    figures: tuple[Figure, ...]
    tables: str  # the full markdown tables, as printed
    readme: bool = True  # also a short table in the README (one per scale, not per extra run)


def summary(figures: tuple[Figure, ...], *, readme: bool) -> str:
    rows = [f for f in figures if f.readme or not readme]
    lines = ["| figure | measured | target | met |", "|:---|---:|---:|:---|"]
    lines += [f"| {f.name} | {f.measured()} | {f.goal()} | {f.verdict()} |" for f in rows]
    return "\n".join(lines)


def docs_block(run: Run) -> str:
    return "\n".join(
        [
            f"### Scale {run.scale}",
            "",
            f"`{run.command}` on {run.date}. Machine: {run.machine}. {run.data}.",
            "",
            summary(run.figures, readme=False),
            "",
            run.tables.strip(),
        ]
    )


def readme_block(run: Run) -> str:
    return "\n".join(
        [
            f"Scale {run.scale} (`{run.command}`, {run.date}; {run.machine}):",
            "",
            summary(run.figures, readme=True),
        ]
    )


def fill(text: str, scale: str, body: str) -> str:
    """`text` with the block of `scale` holding `body` (a new block before the anchor)."""
    start, end = marker(scale, "start"), marker(scale, "end")
    block = f"{start}\n{body}\n{end}"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), flags=re.DOTALL)
    if pattern.search(text):
        return pattern.sub(lambda _match: block, text, count=1)
    if ANCHOR not in text:
        raise ValueError(f"no {start} block and no {ANCHOR} anchor to add one before")
    return text.replace(ANCHOR, f"{block}\n\n{ANCHOR}", 1)


def write_pages(run: Run, docs: Path = DOCS, readme: Path = README) -> None:
    """Rewrite `run.scale`'s block in both pages (neither is written if either has no place)."""
    texts: dict[Path, str] = {}
    blocks = [(docs, docs_block(run))] + ([(readme, readme_block(run))] if run.readme else [])
    for page, block in blocks:
        text = texts[page] if page in texts else page.read_text(encoding="utf-8")
        texts[page] = fill(text, run.scale, block)
    for page, text in texts.items():
        page.write_text(text, encoding="utf-8")
