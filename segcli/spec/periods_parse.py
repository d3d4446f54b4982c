"""Reading a period: `all time`, `last N units`, `this year`, `last year`, or a date mapping."""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Literal

from segcli.errors import did_you_mean
from segcli.spec.model import (
    AllTime,
    Before,
    DateRange,
    LastYear,
    Period,
    Rolling,
    Since,
    ThisYear,
)
from segcli.spec.values import read_value
from segcli.spec.yamlpos import YMap, YScalar

if TYPE_CHECKING:
    from segcli.spec.values import Collector
    from segcli.spec.yamlpos import YNode

PERIOD_FORMS = (
    "all time",
    "last N days|weeks|months|years",
    "this year",
    "last year",
    "{from: YYYY-MM-DD, to: YYYY-MM-DD}",
    "{since: YYYY-MM-DD}",
    "{before: YYYY-MM-DD}",
)
PERIOD_KEYS = ("from", "to", "since", "before")
# The text forms, as a pattern (lower-case, single spaces); the schema uses it too.
PERIOD_PATTERN = r"all time|this year|last year|last ([1-9][0-9]*) (day|week|month|year)s?"

_FORMS_HINT = "a period is one of: " + ", ".join(PERIOD_FORMS)
_ROLLING = re.compile(r"last (\d+) (day|week|month|year)s?")
_UNITS: dict[str, Literal["days", "weeks", "months", "years"]] = {
    "day": "days",
    "week": "weeks",
    "month": "months",
    "year": "years",
}
_FIXED: dict[str, Period] = {
    "all time": AllTime(),
    "this year": ThisYear(),
    "last year": LastYear(),
}


def parse_period(node: YNode, ctx: Collector) -> Period | None:
    """A period, or None after reporting why the node is not one."""
    if isinstance(node, YScalar) and not node.is_null:
        return _period_text(node, ctx)
    if isinstance(node, YMap):
        return _period_map(node, ctx)
    ctx.error("unknown-period", f"expected a period, got {node.describe()}", node.span, _FORMS_HINT)
    return None


def _period_text(node: YScalar, ctx: Collector) -> Period | None:
    text = " ".join(node.text.lower().split())
    if text in _FIXED:
        return _FIXED[text]
    rolling = _ROLLING.fullmatch(text)
    if rolling is None:
        hint = _FORMS_HINT
        if re.fullmatch(r"last (day|week|month)s?", text):
            hint = f"write 'last 1 {text.split()[1].rstrip('s')}' for a rolling period; " + hint
        ctx.error("unknown-period", f"unknown period '{node.text.strip()}'", node.span, hint)
        return None
    n = int(rolling.group(1))
    if n == 0:
        message = f"period '{node.text.strip()}': N must be a positive whole number"
        ctx.error("bad-period", message, node.span)
        return None
    return Rolling(n, _UNITS[rolling.group(2)])


def _period_map(node: YMap, ctx: Collector) -> Period | None:
    days: dict[str, date | None] = {}
    for key, value in node.items:
        if key.text not in PERIOD_KEYS:
            hint = did_you_mean(key.text, PERIOD_KEYS) or _FORMS_HINT
            ctx.error("unknown-period", f"unknown period key '{key.text}'", key.span, hint)
            days[key.text] = None
            continue
        day = read_value(value, "date", key.text, ctx)
        days[key.text] = day if isinstance(day, date) else None
    if any(key not in PERIOD_KEYS for key in days):
        return None
    return _period_from_days(node, days, ctx)


def _period_from_days(node: YMap, days: dict[str, date | None], ctx: Collector) -> Period | None:
    keys = set(days)
    if keys not in ({"from", "to"}, {"since"}, {"before"}):
        _report_shape(node, keys, ctx)
        return None
    if None in days.values():  # a bad date, already reported
        return None
    match days:
        case {"from": date() as start, "to": date() as end}:
            if start > end:
                message = f"period from {start} is after to {end}"
                ctx.error("bad-period", message, node.span, "swap the two dates")
                return None
            return DateRange(start, end)
        case {"since": date() as day}:
            return Since(day)
        case {"before": date() as day}:
            return Before(day)
    return None  # pragma: no cover - the shapes are checked above


def _report_shape(node: YMap, keys: set[str], ctx: Collector) -> None:
    if keys == {"from"}:
        ctx.error(
            "missing-key",
            "period: 'from' needs 'to'",
            node.span,
            "for an open end use {since: DATE}",
        )
    elif keys == {"to"}:
        hint = "for an open start use {before: DATE} (before is exclusive, to is inclusive)"
        ctx.error("missing-key", "period: 'to' needs 'from'", node.span, hint)
    else:
        shown = "{" + ", ".join(k for k in PERIOD_KEYS if k in keys) + "}"
        message = f"a period mapping is {{from, to}}, {{since}} or {{before}}, got {shown}"
        ctx.error("unknown-period", message, node.span, _FORMS_HINT)
