"""Reading rules: logic (all, any, none, not) and the fields of the registry, into the model."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, assert_never

from segcli.errors import did_you_mean
from segcli.spec.comparisons import has_comparison_key, parse_comparison
from segcli.spec.fields import (
    FIELD_BY_NAME,
    ITEM_FIELDS,
    LOGIC_KEYS,
    OPTION_KEYS,
    ORDER_FIELDS,
    REVIEW_FIELDS,
    FieldSpec,
)
from segcli.spec.grid import group_key
from segcli.spec.model import (
    AllOf,
    AllTime,
    AnyOf,
    Attribute,
    Comparison,
    FieldTest,
    GridGroup,
    HasOrder,
    InSegment,
    Metric,
    NoneOf,
    Not,
    Period,
    Purchased,
    Recency,
    Registered,
    Reviewed,
    Rule,
    Score,
    Test,
)
from segcli.spec.periods_parse import parse_period
from segcli.spec.values import (
    Collector,
    read_bool,
    read_list,
    read_map,
    read_text,
    scalar_type,
)
from segcli.spec.yamlpos import YMap, YScalar, YSeq

if TYPE_CHECKING:
    from segcli.spec.fields import ValueType
    from segcli.spec.values import ScalarType
    from segcli.spec.yamlpos import YNode

RULE_KEYS: tuple[str, ...] = (*LOGIC_KEYS, *FIELD_BY_NAME)
_SCOPE_KEYS = ("period", "where")
_RULE_SHAPE = "a mapping with one key: all, any, none, not or a field"


def placement_hint(name: str) -> str | None:
    """Where a known word that is out of place belongs."""
    if name in ORDER_FIELDS:
        example = f"has_order: {{where: {{{name}: ...}}}}"
        return f"{name} is an order field: use it under where:, e.g. {example}"
    if name in ITEM_FIELDS:
        return f"{name} is an item field: use purchased: {{{name}: ...}}"
    if name in OPTION_KEYS:
        return f"{name} is a top-level option: put it beside name:, not under rules:"
    if name in _SCOPE_KEYS:
        example = f"total_spend: {{at_least: 100, {name}: ...}}"
        return f"{name} goes inside a field's mapping, e.g. {example}"
    return {"and": "for 'and' use all:", "or": "for 'or' use any:"}.get(name)


def kind_of(value: ValueType) -> ScalarType:
    kind = scalar_type(value)
    if kind is None:  # pragma: no cover - a registry error, not a user error
        raise ValueError(f"no scalar type for {value!r}")
    return kind


class RuleReader:
    """Reads rules into the model, reporting every problem to the collector."""

    def __init__(self, ctx: Collector, base_dir: Path | None, *, in_grid: bool = False) -> None:
        self.ctx = ctx
        self.base_dir = base_dir
        self.ids_sha256: list[str] = []  # of every ids file read, in file order
        self.in_grid = in_grid  # a grid's group rules name no segment and no grid

    def rule(self, node: YNode) -> Rule | None:
        if not isinstance(node, YMap):
            self.ctx.wrong_type("rule", _RULE_SHAPE, node)
            return None
        rules = [self._keyed(key, value) for key, value in node.items]
        if len(rules) == 1:
            return rules[0]
        if not rules:
            message = "a rule has exactly one key, got none"
            self.ctx.error("bad-rule", message, node.span, f"a rule is {_RULE_SHAPE}")
            return None
        keys = ", ".join(key.text for key, _ in node.items)
        message = f"a rule has exactly one key, got {len(rules)}: {keys}"
        hint = "to require several conditions, list each as its own item under all:"
        self.ctx.error("bad-rule", message, node.span, hint)
        return None

    def _keyed(self, key: YScalar, value: YNode) -> Rule | None:
        name = key.text
        if name in ("all", "any", "none"):
            return self._group(key, value)
        if name == "not":
            if isinstance(value, YSeq):
                several = "to negate several rules, use none: [...]"
                self.ctx.wrong_type("not", "one rule (a mapping)", value, several)
                return None
            sub = self.rule(value)
            return None if sub is None else Not(sub, span=key.span)
        spec = FIELD_BY_NAME.get(name)
        if spec is None:
            hint = placement_hint(name) or did_you_mean(name, RULE_KEYS)
            self.ctx.error("unknown-field", f"unknown field '{name}'", key.span, hint)
            return None
        return self._field(spec, key, value)

    def _group(self, key: YScalar, value: YNode) -> Rule | None:
        name = key.text
        if not isinstance(value, YSeq):
            hint = f"write each rule on its own line starting with '- ' under {name}:"
            self.ctx.wrong_type(name, "a list of rules", value, hint)
            return None
        if not value.items:
            self.ctx.error("empty-list", f"{name}: needs at least one rule", value.span)
            return None
        mark = self.ctx.mark()
        rules = [self.rule(item) for item in value.items]
        if self.ctx.failed_since(mark):
            return None
        subs = tuple(r for r in rules if r is not None)
        if name == "all":
            return AllOf(subs, span=key.span)
        return AnyOf(subs, span=key.span) if name == "any" else NoneOf(subs, span=key.span)

    def _field(self, spec: FieldSpec, key: YScalar, value: YNode) -> Rule | None:
        name, span = spec.name, key.span
        match spec.kind:
            case "attribute":
                if spec.value == "id_set":
                    return self._customer_ids(key, value)
                comparison = parse_comparison(value, kind_of(spec.value), name, self.ctx)
                return None if comparison is None else Attribute(name, comparison, span=span)
            case "registered":
                period = parse_period(value, self.ctx)
                return None if period is None else Registered(period, span=span)
            case "metric":
                return self._metric(spec, key, value)
            case "has_order":
                return self._has_order(key, value)
            case "recency":
                return self._recency(spec, key, value)
            case "purchased" | "reviewed":
                return self._items(spec, key, value)
            case "segment":
                if self._refused_in_grid(key):
                    return None
                ref = read_text(value, name, self.ctx)
                return None if ref is None else InSegment(ref, span=span)
            case "score":
                comparison = parse_comparison(value, "integer", name, self.ctx)
                return None if comparison is None else Score(name, comparison, span=span)
            case "rfm_group" | "grid":
                return None if self._refused_in_grid(key) else self._grid_group(spec, key, value)
            case _:
                assert_never(spec.kind)

    def _refused_in_grid(self, key: YScalar) -> bool:
        if self.in_grid:
            message = f"{key.text}: a grid's groups cannot refer to segments or grids"
            hint = "write the group's rule with the fields themselves"
            self.ctx.error("bad-rule", message, key.span, hint)
        return self.in_grid

    def _grid_group(self, spec: FieldSpec, key: YScalar, value: YNode) -> Rule | None:
        """`rfm_group: [champions, loyal]` or `grid: {name: retention, group: red_alert}`."""
        from segcli.spec.grid_parse import find_grid  # noqa: PLC0415 - grid_parse imports this module

        ref, groups = ("rfm", value) if spec.kind == "rfm_group" else self._grid_keys(value)
        if ref is None or groups is None:
            return None
        mark = self.ctx.mark()
        names = self._group_names(groups, spec.name)
        grid = find_grid(ref, self.base_dir, self.ctx, key.span)
        if grid is None or names is None or self.ctx.failed_since(mark):
            return None
        for name, node in names:
            if name not in grid.group_ids():
                hint = did_you_mean(name, grid.group_ids()) or (
                    f"the groups of {grid.grid_id}: {', '.join(grid.group_ids())}"
                )
                message = f"{spec.name}: grid {grid.grid_id} has no group '{name}'"
                self.ctx.error("unknown-group", message, node.span, hint)
        if self.ctx.failed_since(mark):
            return None
        ids = tuple(dict.fromkeys(name for name, _ in names))
        rule = grid.members_rule(ids)
        return GridGroup(ref, ids, rule, field=spec.name, span=key.span)

    def _grid_keys(self, value: YNode) -> tuple[str | None, YNode | None]:
        mapping = read_map(value, "grid", self.ctx)
        if mapping is None:
            return None, None
        found = {sub.text: node for sub, node in mapping.items}
        for sub, _ in mapping.items:
            if sub.text not in ("name", "group"):
                hint = did_you_mean(sub.text, ("name", "group"))
                self.ctx.error("unknown-option", f"grid: unknown key '{sub.text}'", sub.span, hint)
        if "name" not in found or "group" not in found:
            example = "grid: {name: retention, group: red_alert}"
            self.ctx.error("missing-key", "grid: needs name and group", mapping.span, example)
            return None, None
        return read_text(found["name"], "grid name", self.ctx), found["group"]

    def _group_names(self, node: YNode, what: str) -> list[tuple[str, YNode]] | None:
        items = (node,) if isinstance(node, YScalar) else read_list(node, what, self.ctx)
        if items is None:
            return None
        texts = [(read_text(item, what, self.ctx), item) for item in items]
        if any(text is None for text, _ in texts):
            return None
        return [(group_key(text), item) for text, item in texts if text is not None]

    def _metric(self, spec: FieldSpec, key: YScalar, value: YNode) -> Rule | None:
        mark = self.ctx.mark()
        comparison = parse_comparison(value, kind_of(spec.value), spec.name, self.ctx, _SCOPE_KEYS)
        period, where = self._scope(value)
        if self.ctx.failed_since(mark) or comparison is None or period is None or where is None:
            return None
        return Metric(spec.name, comparison, period, where, span=key.span)

    def _scope(self, node: YNode) -> tuple[Period | None, tuple[FieldTest, ...] | None]:
        """The `period` and `where` keys of a mapping (all time and no filter when absent)."""
        period: Period | None = AllTime()
        where: tuple[FieldTest, ...] | None = ()
        if isinstance(node, YMap):
            for key, value in node.items:
                if key.text == "period":
                    period = parse_period(value, self.ctx)
                elif key.text == "where":
                    where = self._where(value)
        return period, where

    def _where(self, node: YNode) -> tuple[FieldTest, ...] | None:
        mapping = read_map(node, "where", self.ctx)
        if mapping is None:
            return None
        mark = self.ctx.mark()
        tests: list[FieldTest] = []
        for key, value in mapping.items:
            if key.text not in ORDER_FIELDS:
                hint = did_you_mean(key.text, tuple(ORDER_FIELDS))
                message = f"unknown order field '{key.text}' in where"
                self.ctx.error("unknown-field", message, key.span, hint)
                continue
            comparison = parse_comparison(
                value, kind_of(ORDER_FIELDS[key.text]), key.text, self.ctx
            )
            if comparison is not None:
                tests.append(FieldTest(key.text, comparison))
        return None if self.ctx.failed_since(mark) else tuple(tests)

    def _has_order(self, key: YScalar, value: YNode) -> Rule | None:
        if isinstance(value, YScalar):
            flag = read_bool(value, "has_order", self.ctx)
            if flag is None:
                return None
            return HasOrder(span=key.span) if flag else Not(HasOrder(span=key.span), span=key.span)
        if not isinstance(value, YMap):
            self.ctx.wrong_type("has_order", "true, false or {where: ..., period: ...}", value)
            return None
        mark = self.ctx.mark()
        for sub, _ in value.items:
            if sub.text not in _SCOPE_KEYS:
                hint = placement_hint(sub.text) if sub.text in ORDER_FIELDS else None
                hint = hint or did_you_mean(sub.text, _SCOPE_KEYS)
                message = f"has_order: unknown key '{sub.text}' (expected where or period)"
                self.ctx.error("unknown-option", message, sub.span, hint)
        period, where = self._scope(value)
        if self.ctx.failed_since(mark) or period is None or where is None:
            return None
        return HasOrder(period, where, span=key.span)

    def _recency(self, spec: FieldSpec, key: YScalar, value: YNode) -> Rule | None:
        if isinstance(value, YMap):
            for sub, _ in value.items:
                if sub.text in _SCOPE_KEYS:
                    message = f"{spec.name}: takes no {sub.text} (recency is over all orders)"
                    hint = "for orders within a period use has_order: {period: ...}"
                    self.ctx.error("unknown-comparison", message, sub.span, hint)
                    return None
        comparison = parse_comparison(value, kind_of(spec.value), spec.name, self.ctx)
        return None if comparison is None else Recency(spec.name, comparison, span=key.span)

    def _items(self, spec: FieldSpec, key: YScalar, value: YNode) -> Rule | None:
        name = spec.name
        fields = ITEM_FIELDS if spec.kind == "purchased" else REVIEW_FIELDS
        mapping = read_map(value, name, self.ctx)
        if mapping is None:
            return None
        mark = self.ctx.mark()
        tests: list[FieldTest] = []
        period: Period | None = AllTime()
        for sub, sub_value in mapping.items:
            if sub.text == "period":
                period = parse_period(sub_value, self.ctx)
            elif sub.text in fields:
                comparison = parse_comparison(sub_value, "text", sub.text, self.ctx)
                if comparison is not None:
                    tests.append(FieldTest(sub.text, comparison))
            else:
                hint = did_you_mean(sub.text, (*fields, "period"))
                hint = hint or f"{name} takes {', '.join(fields)} and period"
                message = f"{name}: unknown item field '{sub.text}'"
                self.ctx.error("unknown-field", message, sub.span, hint)
        if self.ctx.failed_since(mark) or period is None:
            return None
        if not tests:
            message = f"{name}: needs at least one item field ({', '.join(fields)})"
            self.ctx.error("missing-key", message, mapping.span, f"e.g. {spec.example}")
            return None
        if spec.kind == "purchased":
            return Purchased(tuple(tests), period, span=key.span)
        return Reviewed(tuple(tests), period, span=key.span)

    def _customer_ids(self, key: YScalar, value: YNode) -> Rule | None:
        if isinstance(value, YMap) and not has_comparison_key(value):
            ids = self._ids_file(value)
            comparison = None if ids is None else Comparison((Test("in", ids),))
        else:
            comparison = parse_comparison(value, "text", "customer_id", self.ctx)
        return None if comparison is None else Attribute(key.text, comparison, span=key.span)

    def _ids_file(self, node: YMap) -> tuple[str, ...] | None:
        file_key: tuple[YScalar, YNode] | None = None
        for sub, sub_value in node.items:
            if sub.text == "file":
                file_key = (sub, sub_value)
            else:
                hint = did_you_mean(sub.text, ("file",)) or "write customer_id: {file: ids.txt}"
                message = f"customer_id: unknown key '{sub.text}'"
                self.ctx.error("unknown-option", message, sub.span, hint)
        if file_key is None:
            if not node.items:  # otherwise the unknown keys are reported already
                message = "customer_id: needs a list of ids or {file: PATH}"
                hint = "e.g. customer_id: {file: ids.txt}"
                self.ctx.error("missing-key", message, node.span, hint)
            return None
        text = read_text(file_key[1], "customer_id file", self.ctx)
        return None if text is None else self._read_ids(text, file_key[0])

    def _read_ids(self, text: str, key: YScalar) -> tuple[str, ...] | None:
        folder = self.base_dir if self.base_dir is not None else Path.cwd()
        path = folder / Path(text).expanduser()
        try:
            data = path.read_bytes()
            lines = data.decode("utf-8-sig").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            reason = (exc.strerror or str(exc)) if isinstance(exc, OSError) else "not UTF-8 text"
            message = f"customer_id: cannot read ids file '{text}': {reason}"
            hint = f"the path is relative to the definition's folder ({folder})"
            self.ctx.error("file-error", message, key.span, hint)
            return None
        self.ids_sha256.append(hashlib.sha256(data).hexdigest())
        ids = (line.strip().lower() for line in lines)
        return tuple(dict.fromkeys(i for i in ids if i and not i.startswith("#")))
