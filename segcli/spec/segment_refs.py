"""`in_segment` references: finding their targets, unknown segments and cycles."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, assert_never

from segcli.errors import Diagnostic, did_you_mean
from segcli.spec.model import (
    AllOf,
    AnyOf,
    Attribute,
    Definition,
    GridGroup,
    HasOrder,
    InSegment,
    Metric,
    NoneOf,
    Not,
    Purchased,
    Recency,
    Registered,
    Reviewed,
    Rule,
    Score,
)

if TYPE_CHECKING:
    from collections.abc import Collection, Sequence

_Edges = dict[str, list[tuple[str, InSegment]]]


def segment_refs(rule: Rule) -> list[InSegment]:
    """Every `in_segment` in a rule, in file order."""
    match rule:
        case AllOf(rules=rules) | AnyOf(rules=rules) | NoneOf(rules=rules):
            return [ref for sub in rules for ref in segment_refs(sub)]
        case Not(rule=sub):
            return segment_refs(sub)
        case InSegment():
            return [rule]
        case Attribute() | Registered() | Metric() | HasOrder() | Recency():
            return []
        case Purchased() | Reviewed() | Score() | GridGroup():
            return []  # a grid's groups name no segment
        case _:
            assert_never(rule)


def resolve_segment(definitions: Collection[Definition], ref: str) -> Definition | None:
    """The definition an `in_segment` names: by segment id (file stem), else by `name:`
    (trimmed, case-insensitive)."""
    for definition in definitions:
        if definition.segment_id == ref:
            return definition
    wanted = ref.strip().casefold()
    for definition in definitions:
        if definition.name.strip().casefold() == wanted:
            return definition
    return None


def combined_sha256(first: str, others: Sequence[str]) -> str:
    """`first` alone when there are no others (a plain definition's hash is its file's, as
    `sha256sum` prints it), else the sha256 of all of them, in order."""
    if not others:
        return first
    return hashlib.sha256("\n".join([first, *others]).encode("ascii")).hexdigest()


def definition_sha256(definition: Definition, library: Collection[Definition]) -> str:
    """The hash a snapshot's manifest records: the definition's own (its file and ids files)
    and those of every definition it reaches through `in_segment`, by segment id, so a change
    to any file the segment's meaning comes from changes it."""
    reached: dict[str, Definition] = {}
    pending = [definition]
    while pending:
        for ref in segment_refs(pending.pop().rule):
            target = resolve_segment(library, ref.segment)
            if target is not None and target.segment_id not in reached:
                reached[target.segment_id] = target
                pending.append(target)
    reached.pop(definition.segment_id, None)
    others = [f"{key}:{reached[key].source_sha256}" for key in sorted(reached)]
    return combined_sha256(definition.source_sha256, others)


def check_segment_refs(
    definitions: Sequence[Definition], *, ignore: Collection[str] = ()
) -> list[Diagnostic]:
    """Unknown `in_segment` targets and cycles among the definitions. References named in
    `ignore` may be missing (e.g. their files failed to load and were reported already)."""
    diagnostics: list[Diagnostic] = []
    edges: _Edges = {}
    known = [d.segment_id for d in definitions]
    for definition in definitions:
        for ref in segment_refs(definition.rule):
            target = resolve_segment(definitions, ref.segment)
            if target is not None:
                edges.setdefault(definition.segment_id, []).append((target.segment_id, ref))
            elif ref.segment not in ignore:
                diagnostics.append(_unknown(ref, known))
    return diagnostics + _cycles(known, edges)


def _unknown(ref: InSegment, known: list[str]) -> Diagnostic:
    hint = did_you_mean(ref.segment, known) or (
        f"expected {ref.segment}.yaml beside this file, or a definition with name: {ref.segment}"
    )
    return Diagnostic("unknown-segment", f"unknown segment '{ref.segment}'", ref.span, hint)


def _cycles(order: list[str], edges: _Edges) -> list[Diagnostic]:
    """One diagnostic per distinct cycle met by a depth-first walk, at the `in_segment`
    that leaves the cycle's first segment."""
    done: set[str] = set()
    path: list[tuple[str, InSegment]] = []  # (segment, the reference that leaves it)
    found: dict[frozenset[str], Diagnostic] = {}

    def visit(node: str) -> None:
        on_path = [n for n, _ in path]
        if node in on_path:
            cycle = path[on_path.index(node) :]
            names = [n for n, _ in cycle] + [node]
            found.setdefault(frozenset(names), _cycle(names, cycle[0][1]))
            return
        if node in done:
            return
        for target, ref in edges.get(node, []):
            path.append((node, ref))
            visit(target)
            path.pop()
        done.add(node)

    for node in order:
        visit(node)
    return list(found.values())


def _cycle(names: list[str], ref: InSegment) -> Diagnostic:
    hint = "a segment cannot depend on itself, directly or through others"
    return Diagnostic("segment-cycle", f"segment cycle: {' -> '.join(names)}", ref.span, hint)
