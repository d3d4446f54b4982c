"""Definitions from YAML: one file or many, every problem collected and raised once.

`parse_definition` reads one definition from text; `load_definitions` reads files (or folders
of `*.yaml` / `*.yml`); `load_with_dependencies` reads one file plus, transitively, the segments
its `in_segment` rules name, found beside it. All raise one `DefinitionError` carrying every
diagnostic of every file.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from segcli.errors import DefinitionError, Diagnostic, Span, did_you_mean
from segcli.spec.fields import FIELD_BY_NAME, LOGIC_KEYS, OPTION_KEYS
from segcli.spec.model import Definition, Rule
from segcli.spec.rules_parse import RuleReader
from segcli.spec.segment_refs import (
    check_segment_refs,
    combined_sha256,
    resolve_segment,
    segment_refs,
)
from segcli.spec.values import Collector, parse_date, read_bool, read_text, read_value
from segcli.spec.yamlpos import YMap, YScalar, YSeq, decode_yaml, load_yaml

if TYPE_CHECKING:
    from collections.abc import Sequence

    from segcli.spec.yamlpos import YNode

__all__ = [
    "check_segment_refs",
    "definition_files",
    "find_segment_file",
    "load_definitions",
    "load_with_dependencies",
    "parse_definition",
    "resolve_segment",
]

SUFFIXES = (".yaml", ".yml")
NOT_DEFINITIONS = frozenset({"segcli.yaml", "segcli.yml"})  # the project config may sit beside
_AS_OF = "a date YYYY-MM-DD or an ISO datetime with offset"


def parse_definition(
    text: str,
    source: str = "<string>",
    *,
    segment_id: str | None = None,
    base_dir: Path | None = None,
) -> Definition:
    """One definition from YAML text. `source` names it in diagnostics; the segment id defaults
    to the stem of `source` (or, for a `<pseudo-name>`, a slug of `name:`); `base_dir` is where
    relative paths (`customer_id: {file: ...}`) are read from (default: the working folder)."""
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    definition, diagnostics = _parse_text(
        text, source, segment_id=segment_id, base_dir=base_dir, sha=sha
    )
    if definition is None:
        raise DefinitionError(diagnostics)
    return definition


def load_definitions(paths: Sequence[Path]) -> list[Definition]:
    """Definitions from files, or folders of them (every `*.yaml` / `*.yml` but the project
    config `segcli.yaml`), in order. Also checks the `in_segment` refs among them: a target
    that is neither loaded nor found on disk beside the file naming it is unknown."""
    definitions: list[Definition] = []
    diagnostics: list[Diagnostic] = []
    for path in _expand(paths, diagnostics):
        definition, problems = _load_file(path)
        diagnostics += problems
        definitions += [definition] if definition is not None else []
    diagnostics += _duplicate_ids(definitions)
    diagnostics += check_segment_refs(definitions, ignore=_found_elsewhere(definitions))
    if diagnostics:
        raise DefinitionError(diagnostics)
    return definitions


def load_with_dependencies(path: Path) -> tuple[Definition, list[Definition]]:
    """The definition in `path` and, transitively, the segments its `in_segment` rules name
    (`<folder>/<ref>.yaml` or `.yml`, else a file in that folder whose `name:` matches), in the
    order they were found. Unknown segments and cycles are reported at the `in_segment` key."""
    target, diagnostics = _load_file(path)
    loaded = [target] if target is not None else []
    seen = {path.resolve()}
    failed: set[Path] = set()
    missing_ok: set[str] = set()  # refs to files that failed: reported in those files already
    pending = list(loaded)
    while pending:
        current = pending.pop(0)
        folder = current.source.parent if current.source is not None else Path()
        for ref in segment_refs(current.rule):
            found = _dependency_file(loaded, folder, ref.segment)
            if found is None:
                continue
            key = found.resolve()
            if key in failed:
                missing_ok.add(ref.segment)
            if key in seen:
                continue
            seen.add(key)
            dependency, problems = _load_file(found)
            diagnostics += problems
            if dependency is None:
                failed.add(key)
                missing_ok.add(ref.segment)
                continue
            loaded.append(dependency)
            pending.append(dependency)
    diagnostics += check_segment_refs(loaded, ignore=missing_ok)
    if diagnostics or target is None:
        raise DefinitionError(diagnostics)
    return target, loaded[1:]


def _dependency_file(loaded: list[Definition], folder: Path, ref: str) -> Path | None:
    """The file to load for a reference; None when it is loaded already or absent."""
    return None if resolve_segment(loaded, ref) is not None else find_segment_file(folder, ref)


def find_segment_file(folder: Path, ref: str) -> Path | None:
    """`<folder>/<ref>.yaml` or `.yml`, else the first file there (by name) whose `name:` is
    `ref` (trimmed, case-insensitive). None when there is none."""
    if ref and "/" not in ref and "\\" not in ref and ref not in (".", ".."):
        for suffix in SUFFIXES:
            candidate = folder / f"{ref}{suffix}"
            if candidate.is_file() and candidate.name not in NOT_DEFINITIONS:
                return candidate
    wanted = ref.strip().casefold()
    for candidate in definition_files(folder):
        if (_peek_name(candidate) or "").strip().casefold() == wanted:
            return candidate
    return None


# ---- one file -------------------------------------------------------------------------------


def _load_file(path: Path) -> tuple[Definition | None, list[Diagnostic]]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return None, [Diagnostic("file-error", f"cannot read {path}: {reason}")]
    text, problems = decode_yaml(data, str(path))
    if text is None:
        return None, problems
    sha = hashlib.sha256(data).hexdigest()
    return _parse_text(
        text, str(path), segment_id=path.stem, base_dir=path.parent, sha=sha, path=path
    )


def _parse_text(
    text: str,
    source: str,
    *,
    segment_id: str | None,
    base_dir: Path | None,
    sha: str,
    path: Path | None = None,
) -> tuple[Definition | None, list[Diagnostic]]:
    root, problems = load_yaml(text, source)
    ctx = Collector()
    ctx.diagnostics += problems
    if root is None and not problems:
        ctx.error(
            "missing-key", "empty definition: name and rules are required", Span(source, 1, 1)
        )
    reader = RuleReader(ctx, base_dir)
    top = None if root is None else _read_top(root, reader)
    diagnostics = ctx.in_file_order()
    if top is None or top.name is None or top.rule is None or diagnostics:
        return None, diagnostics
    return Definition(
        segment_id=segment_id or _default_id(source, top.name),
        name=top.name,
        rule=top.rule,
        description=top.description,
        as_of=top.as_of,
        include_unidentified=top.include_unidentified,
        marketing_only=top.marketing_only,
        min_members=top.min_members,
        max_change_percent=top.max_change_percent,
        priority=top.priority,
        priority_span=top.priority_span,
        source=path,
        source_sha256=combined_sha256(sha, reader.ids_sha256),
    ), []


@dataclass
class _Top:
    """The top-level keys of one definition, as read so far."""

    name: str | None = None
    rule: Rule | None = None
    description: str = ""
    as_of: date | datetime | None = None
    include_unidentified: bool = False
    marketing_only: bool = False
    min_members: int | None = None
    max_change_percent: Decimal | None = None
    priority: int | None = None
    priority_span: Span | None = None


def _read_top(root: YNode, reader: RuleReader) -> _Top | None:
    ctx = reader.ctx
    if not isinstance(root, YMap):
        message = f"a definition is a mapping with name: and rules:, got {root.describe()}"
        ctx.error("wrong-type", message, root.span)
        return None
    top = _Top()
    for key, value in root.items:
        if key.text in OPTION_KEYS:
            _read_option(top, key.text, value, reader)
            continue
        hint = did_you_mean(key.text, OPTION_KEYS)
        if key.text in FIELD_BY_NAME or key.text in LOGIC_KEYS:
            hint = f"{key.text} is a rule: put it under rules:"
        ctx.error("unknown-option", f"unknown option '{key.text}'", key.span, hint)
    present = {key.text for key, _ in root.items}
    for required, hint in (("name", "name: free text"), ("rules", "rules: exactly one rule")):
        if required not in present:
            message = f"missing required key '{required}'"
            ctx.error("missing-key", message, root.span, f"a definition needs {hint}")
    return top


def _read_option(top: _Top, key: str, node: YNode, reader: RuleReader) -> None:
    ctx = reader.ctx
    match key:
        case "name":
            top.name = read_text(node, key, ctx)
        case "description":
            top.description = read_text(node, key, ctx, allow_empty=True) or ""
        case "as_of":
            top.as_of = _read_as_of(node, ctx)
        case "rules":
            top.rule = _read_rules(node, reader)
        case "include_unidentified":
            top.include_unidentified = read_bool(node, key, ctx) or False
        case "marketing_only":
            top.marketing_only = read_bool(node, key, ctx) or False
        case "min_members":
            count = read_value(node, "integer", key, ctx)
            top.min_members = int(count) if isinstance(count, Decimal) else None
        case "max_change_percent":
            percent = read_value(node, "number", key, ctx)
            top.max_change_percent = percent if isinstance(percent, Decimal) else None
        case "priority":
            rank = read_value(node, "integer", key, ctx)
            top.priority = int(rank) if isinstance(rank, Decimal) else None
            top.priority_span = node.span
        case _:  # pragma: no cover - OPTION_KEYS and this match are kept in step
            raise ValueError(f"no reader for option {key!r}")


def _read_rules(node: YNode, reader: RuleReader) -> Rule | None:
    if isinstance(node, YSeq):
        hint = "to require several rules, put them under all:"
        reader.ctx.wrong_type("rules", "one rule (a mapping)", node, hint)
        return None
    return reader.rule(node)


def _read_as_of(node: YNode, ctx: Collector) -> date | datetime | None:
    raw = node.text.strip() if isinstance(node, YScalar) and not node.is_null else ""
    day = parse_date(raw)
    if day is not None:
        return day
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        ctx.wrong_type("as_of", _AS_OF, node, "e.g. as_of: 2024-06-01")
        return None
    if moment.tzinfo is None:
        hint = f"e.g. {raw}+00:00, or a date"
        ctx.error(
            "bad-value", f"as_of: a datetime needs a UTC offset, got '{raw}'", node.span, hint
        )
        return None
    return moment


# ---- files and folders ----------------------------------------------------------------------


def _expand(paths: Sequence[Path], diagnostics: list[Diagnostic]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = definition_files(path)
            if not found:
                message = f"no definition files (*.yaml, *.yml) in {path}"
                diagnostics.append(Diagnostic("file-error", message))
            files += found
        else:
            files.append(path)
    return files


def definition_files(folder: Path) -> list[Path]:
    """The definition files of a folder, by name: every `*.yaml` / `*.yml` but the project
    config, which may sit beside them. Every command lists a folder through this."""
    try:
        files = (p for p in folder.iterdir() if p.suffix in SUFFIXES and p.is_file())
        return sorted(p for p in files if p.name not in NOT_DEFINITIONS)
    except OSError:
        return []


def _peek_name(path: Path) -> str | None:
    """The `name:` of a definition file, read without checking the rest; None if unreadable."""
    try:
        root, _ = load_yaml(path.read_text(encoding="utf-8-sig"), str(path))
    except (OSError, UnicodeDecodeError):
        return None
    if not isinstance(root, YMap):
        return None
    names = [v for k, v in root.items if k.text == "name" and isinstance(v, YScalar)]
    return names[0].text if names else None


def _found_elsewhere(definitions: list[Definition]) -> set[str]:
    """References not among the definitions but found on disk beside the file that names them
    (not loaded on purpose, or loaded and failed): not this load's business."""
    return {
        ref.segment
        for definition in definitions
        for ref in segment_refs(definition.rule)
        if resolve_segment(definitions, ref.segment) is None
        and definition.source is not None
        and find_segment_file(definition.source.parent, ref.segment) is not None
    }


def _duplicate_ids(definitions: list[Definition]) -> list[Diagnostic]:
    first: dict[str, Definition] = {}
    diagnostics: list[Diagnostic] = []
    for definition in definitions:
        earlier = first.setdefault(definition.segment_id, definition)
        if earlier is not definition:
            message = (
                f"segment '{definition.segment_id}' is defined twice (also in {earlier.source})"
            )
            span = Span(str(definition.source), 1, 1)
            hint = "segment ids are file stems: rename one of the files"
            diagnostics.append(Diagnostic("duplicate-segment", message, span, hint))
    return diagnostics


def _default_id(source: str, name: str) -> str:
    if source.startswith("<"):
        return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "segment"
    return Path(source).stem
