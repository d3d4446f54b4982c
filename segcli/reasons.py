"""`segcli diff OLD NEW --why`: the rule that flipped for every customer who entered or left.

The two snapshots' manifests give the segment and both as-ofs; the definition is evaluated at
each as-of over the data given (one query per as-of, for the changed customers only), and a
customer's reasons are the leaf rules whose outcome differs between the two, with their values
at both (`total_spend all time is more than 500: 498.10 → 512.40`). When no rule flipped, the
change came from outside the rules: the segment's options (an email address, marketing
consent), an exclusive run's priorities, or a definition that changed between the snapshots.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from segcli.backends import Inputs
from segcli.diff import DiffResult
from segcli.export import CUSTOMER_ID_HEADER
from segcli.manifest import Manifest, manifest_path, read_manifest
from segcli.spec.model import Definition
from segcli.why import Line, explain_customers

OUTSIDE_RULES = "no rule flipped (options, an exclusive run's priorities, or an edited definition)"
MOVED_UP = "moved to a higher-priority segment (exclusive run)"
MOVED_BACK = "no longer taken by a higher-priority segment (exclusive run)"


@dataclass(frozen=True, slots=True)
class Flip:
    """One leaf rule whose outcome differs between the two as-ofs."""

    rule: str
    before: str
    after: str
    held_before: bool
    held_after: bool

    def __str__(self) -> str:
        return f"{self.rule}: {self.before or '-'} → {self.after or '-'}"


@dataclass(frozen=True, slots=True)
class Change:
    customer: str  # as the snapshot names them: Customer ID, else Email Address
    entered: bool
    flips: tuple[Flip, ...]
    note: str = ""

    @property
    def reason(self) -> str:
        if self.note:
            return self.note
        return " and ".join(f.rule for f in self.flips) if self.flips else OUTSIDE_RULES


@dataclass(frozen=True, slots=True)
class DiffReasons:
    segment: str
    old_as_of: datetime
    new_as_of: datetime
    definition_changed: bool  # the snapshots were built from different definition files
    definition_current: bool  # the definition given is the one the newer snapshot was built from
    changes: tuple[Change, ...]

    def summary(self) -> list[tuple[str, str, int]]:
        """(entered|left, reason, count), most frequent first."""
        counts = Counter(("entered" if c.entered else "left", c.reason) for c in self.changes)
        return [(way, reason, n) for (way, reason), n in counts.most_common()]

    def as_json(self) -> dict[str, object]:
        return {
            "segment": self.segment,
            "old_as_of": self.old_as_of.isoformat(),
            "new_as_of": self.new_as_of.isoformat(),
            "definition_changed": self.definition_changed,
            "definition_current": self.definition_current,
            "summary": [{"change": w, "reason": r, "count": n} for w, r, n in self.summary()],
            "customers": [_change_json(c) for c in self.changes],
        }


def _change_json(change: Change) -> dict[str, object]:
    return {
        "customer": change.customer,
        "change": "entered" if change.entered else "left",
        "reason": change.reason,
        "rules": [
            {"rule": f.rule, "before": f.before, "after": f.after, "held_after": f.held_after}
            for f in change.flips
        ],
    }


def diff_reasons(
    result: DiffResult,
    definition: Definition,
    library: Sequence[Definition],
    tables: Inputs,
) -> DiffReasons:
    """The reasons for every change of a diff, from the definition at both as-ofs."""
    old, new = _manifest(result.old), _manifest(result.new)
    old_as_of, new_as_of = datetime.fromisoformat(old.as_of), datetime.fromisoformat(new.as_of)
    entered, left = _names(result, entered=True), _names(result, entered=False)
    names = [*entered, *left]
    before = explain_customers(definition, library, tables, old_as_of, names)
    after = explain_customers(definition, library, tables, new_as_of, names)
    changes = [
        _exclusive(
            _change(name, entered=name in entered, before=before.get(name), after=after.get(name)),
            before.get(name),
            after.get(name),
            old_exclusive=old.exclusive is not None,
            new_exclusive=new.exclusive is not None,
        )
        for name in names
    ]
    return DiffReasons(
        segment=new.segment_id,
        old_as_of=old_as_of,
        new_as_of=new_as_of,
        definition_changed=old.definition_sha256 != new.definition_sha256,
        definition_current=definition.source_sha256 == new.definition_sha256,
        changes=tuple(changes),
    )


def _manifest(snapshot: Path) -> Manifest:
    return read_manifest(manifest_path(snapshot))


def _names(result: DiffResult, *, entered: bool) -> list[str]:
    """The changed customers as their rows name them (an unidentified row names nobody)."""
    rows = result.entered if entered else result.left
    column = CUSTOMER_ID_HEADER if result.matched_by == CUSTOMER_ID_HEADER else "Email Address"
    return [str(v) for v in rows[column].to_list() if v]


def _change(
    name: str,
    *,
    entered: bool,
    before: tuple[bool, list[Line]] | None,
    after: tuple[bool, list[Line]] | None,
) -> Change:
    if before is None or after is None:
        return Change(name, entered, (), "not in the data given")
    pairs = list(zip(before[1], after[1], strict=True))
    flips = tuple(
        Flip(old.text, old.value, new.value, old.held, new.held)
        for i, (old, new) in enumerate(pairs)
        if old.held != new.held and (i + 1 == len(pairs) or pairs[i + 1][0].depth <= old.depth)
    )
    return Change(name, entered, flips)


def _exclusive(
    change: Change,
    before: tuple[bool, list[Line]] | None,
    after: tuple[bool, list[Line]] | None,
    *,
    old_exclusive: bool,
    new_exclusive: bool,
) -> Change:
    """A change that an exclusive run's assignment explains: a customer who left although the
    segment still holds for them (options included) went to a higher-priority segment; one who
    entered although it held before had been taken by one."""
    if change.flips or before is None or after is None:
        return change
    if not change.entered and after[0] and new_exclusive:
        return Change(change.customer, change.entered, (), MOVED_UP)
    if change.entered and before[0] and old_exclusive:
        return Change(change.customer, change.entered, (), MOVED_BACK)
    return change
