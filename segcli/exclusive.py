"""Exclusive assignment (`segcli run --exclusive`): each customer in one segment only.

Among the segments that carry `priority: N`, a customer who is a member of several stays only
in the one with the highest N; segments without a priority take part in no assignment (they
keep every member and take no one from others). Membership here is the export's (the flags of
the members table, options applied): a customer a segment would not mail does not hold a place
in it. `in_segment` rules still see the other segment's rules, not this assignment.

Ties are checked on the definitions alone, before any data is read: by `segcli validate
--exclusive` and by `segcli run --exclusive`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from segcli.errors import DefinitionError, Diagnostic
from segcli.plan import segment_column
from segcli.spec.model import Definition

if TYPE_CHECKING:
    import polars as pl


def priority_ties(definitions: Sequence[Definition]) -> list[Diagnostic]:
    """One diagnostic at each `priority:` shared by another segment of the set."""
    by_rank: dict[int, list[Definition]] = {}
    for definition in definitions:
        if definition.priority is not None:
            by_rank.setdefault(definition.priority, []).append(definition)
    diagnostics = []
    for rank, tied in sorted(by_rank.items()):
        if len(tied) < 2:
            continue
        for definition in tied:
            others = ", ".join(d.segment_id for d in tied if d is not definition)
            message = f"priority {rank} is also the priority of {others}"
            hint = "with --exclusive each priority decides: give the segments different ones"
            diagnostics.append(Diagnostic("priority-tie", message, definition.priority_span, hint))
    return diagnostics


def check_priorities(definitions: Sequence[Definition]) -> None:
    """Raise one DefinitionError naming every tie."""
    if diagnostics := priority_ties(definitions):
        raise DefinitionError(diagnostics)


def ranked(definitions: Sequence[Definition]) -> list[Definition]:
    """The segments that take part, highest priority first."""
    taking_part = [d for d in definitions if d.priority is not None]
    return sorted(taking_part, key=lambda d: -(d.priority or 0))


def assign_exclusive(
    table: pl.DataFrame, definitions: Sequence[Definition]
) -> tuple[pl.DataFrame, dict[str, int]]:
    """The members table with each customer's flag kept only in the highest-priority segment
    that holds, and how many customers each segment lost to higher ones."""
    import polars as pl  # noqa: PLC0415

    taken = pl.lit(value=False)
    updates = []
    moved: dict[str, int] = {}
    for definition in ranked(definitions):
        flag = pl.col(segment_column(definition))
        updates.append((flag & ~taken).alias(segment_column(definition)))
        moved[definition.segment_id] = 0
        taken = taken | flag
    if not updates:
        return table, moved
    before = {d: int(table[segment_column(d)].sum()) for d in ranked(definitions)}
    assigned = table.with_columns(updates)
    for definition, count in before.items():
        moved[definition.segment_id] = count - int(assigned[segment_column(definition)].sum())
    return assigned, moved
