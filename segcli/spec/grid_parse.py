"""Grid files: YAML with positions → the grid model, every problem collected and raised once.

A grid is named by a built-in name (`retention`, `rfm`: package data in segcli/grids/) or by
the path of a grid file. Group rules are rules of the segment language, checked the same way;
they cannot name segments or other grids (a grid stands on its own).
"""

from __future__ import annotations

import itertools
import re
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from segcli.errors import DefinitionError, Diagnostic, Span, did_you_mean
from segcli.spec.fields import AXIS_FIELDS, AXIS_KEYS, GRID_KEYS, GROUP_KEYS
from segcli.spec.grid import Axis, Grid, Group, group_key
from segcli.spec.rules_parse import RuleReader
from segcli.spec.values import Collector, read_list, read_map, read_text, read_value
from segcli.spec.yamlpos import YMap, load_yaml

if TYPE_CHECKING:
    from segcli.spec.model import Rule
    from segcli.spec.yamlpos import YNode

SUFFIXES = (".yaml", ".yml")
_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
_ID = re.compile(r"[a-z][a-z0-9_]*")


def builtin_grids() -> tuple[str, ...]:
    """The names of the grids that ship with segcli."""
    folder = resources.files("segcli") / "grids"
    return tuple(sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.is_file()))


def load_grid(ref: str, base_dir: Path | None = None) -> Grid:
    """A built-in grid by name, else the grid file at `ref` (relative to `base_dir`)."""
    ctx = Collector()
    grid = find_grid(ref, base_dir, ctx, None)
    if grid is None:
        raise DefinitionError(ctx.diagnostics)
    return grid


def find_grid(ref: str, base_dir: Path | None, ctx: Collector, span: Span | None) -> Grid | None:
    """As load_grid, reporting problems (the file's own, with its positions) to `ctx`."""
    if ref in builtin_grids():
        return _builtin(ref)
    path = (base_dir or Path.cwd()) / Path(ref).expanduser()
    if path.suffix not in SUFFIXES or not path.is_file():
        hint = did_you_mean(ref, builtin_grids()) or (
            f"built-in grids: {', '.join(builtin_grids())}; or the path of a grid file (.yaml)"
        )
        ctx.error("unknown-grid", f"unknown grid '{ref}'", span, hint)
        return None
    grid, diagnostics = _parse_file(path)
    ctx.diagnostics += diagnostics
    return grid


def looks_like_grid(path: Path) -> bool:
    """A YAML file whose top level has `groups` and no `rules`: a grid, not a definition."""
    try:
        root, _ = load_yaml(path.read_text(encoding="utf-8-sig"), str(path))
    except (OSError, UnicodeDecodeError):
        return False
    keys = {key.text for key, _ in root.items} if isinstance(root, YMap) else set()
    return "groups" in keys and "rules" not in keys


def load_grids(paths: list[Path]) -> list[Grid]:
    """Grid files, every problem of every file raised once."""
    ctx = Collector()
    grids = [find_grid(str(path.resolve()), None, ctx, None) for path in paths]
    if ctx.diagnostics:
        raise DefinitionError(ctx.diagnostics)
    return [g for g in grids if g is not None]


@cache
def _builtin(name: str) -> Grid:
    text = (resources.files("segcli") / "grids" / f"{name}.yaml").read_text(encoding="utf-8")
    grid, diagnostics = parse_grid(text, f"<built-in grid {name}>", name, None)
    if grid is None:  # pragma: no cover - the built-ins are checked by the tests
        raise DefinitionError(diagnostics)
    return grid


def _parse_file(path: Path) -> tuple[Grid | None, list[Diagnostic]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        reason = (exc.strerror or str(exc)) if isinstance(exc, OSError) else "not UTF-8 text"
        return None, [Diagnostic("file-error", f"cannot read grid {path}: {reason}")]
    grid, diagnostics = parse_grid(text, str(path), path.stem, path.parent)
    return (None if grid is None else _with_source(grid, path)), diagnostics


def _with_source(grid: Grid, path: Path) -> Grid:
    return Grid(grid.grid_id, grid.name, grid.x, grid.y, grid.groups, grid.description, path)


def parse_grid(
    text: str, source: str, grid_id: str, base_dir: Path | None
) -> tuple[Grid | None, list[Diagnostic]]:
    """One grid from YAML text, or None and every problem found."""
    root, problems = load_yaml(text, source)
    ctx = Collector()
    ctx.diagnostics += problems
    reader = RuleReader(ctx, base_dir, in_grid=True)
    parts: dict[str, object] = {}
    if not isinstance(root, YMap):
        if root is not None or not problems:
            ctx.error("wrong-type", "a grid is a mapping with name, x, y and groups", None)
        return None, ctx.diagnostics
    for key, value in root.items:
        if key.text not in GRID_KEYS:
            hint = did_you_mean(key.text, GRID_KEYS)
            ctx.error("unknown-option", f"unknown grid key '{key.text}'", key.span, hint)
        elif key.text in ("name", "description"):
            parts[key.text] = read_text(value, key.text, ctx, allow_empty=True)
        elif key.text in ("x", "y"):
            parts[key.text] = _axis(value, key.text, ctx)
        else:
            parts["groups"] = _groups(value, reader)
    for required in ("name", "x", "y", "groups"):
        if required not in parts:
            ctx.error("missing-key", f"grid: missing required key '{required}'", root.span)
    name, x, y, groups = (parts.get(k) for k in ("name", "x", "y", "groups"))
    description = parts.get("description") or ""
    if ctx.diagnostics or not isinstance(name, str) or not isinstance(description, str):
        return None, sorted(dict.fromkeys(ctx.diagnostics), key=_position)
    assert isinstance(x, Axis)
    assert isinstance(y, Axis)
    assert isinstance(groups, tuple)
    return Grid(grid_id, name, x, y, groups, description), []


def _axis(node: YNode, which: str, ctx: Collector) -> Axis | None:
    mapping = read_map(node, which, ctx)
    if mapping is None:
        return None
    found: dict[str, YNode] = {}
    for key, value in mapping.items:
        if key.text in AXIS_KEYS:
            found[key.text] = value
        else:
            hint = did_you_mean(key.text, AXIS_KEYS)
            ctx.error("unknown-option", f"{which}: unknown key '{key.text}'", key.span, hint)
    if "field" not in found or "bins" not in found:
        ctx.error("missing-key", f"{which}: needs field and bins", mapping.span)
        return None
    field = read_text(found["field"], f"{which}.field", ctx)
    if field is not None and field not in AXIS_FIELDS:
        hint = did_you_mean(field, AXIS_FIELDS) or f"axis fields: {', '.join(AXIS_FIELDS)}"
        ctx.error(
            "unknown-field", f"{which}: '{field}' is not an axis field", found["field"].span, hint
        )
        field = None
    edges = _edges(found["bins"], which, ctx)
    label = read_text(found["label"], "label", ctx) if "label" in found else field
    return None if field is None or edges is None or label is None else Axis(field, edges, label)


def _edges(node: YNode, which: str, ctx: Collector) -> tuple[int, ...] | None:
    items = read_list(node, f"{which}.bins", ctx)
    if items is None:
        return None
    values = [read_value(item, "integer", f"{which}.bins", ctx) for item in items]
    edges = tuple(int(v) for v in values if isinstance(v, Decimal))
    if len(edges) != len(items):
        return None
    if any(b <= a for a, b in itertools.pairwise(edges)):
        hint = "bins are the lower bounds of the bins, e.g. bins: [1, 2, 4, 10]"
        ctx.error("bad-value", f"{which}.bins: must be increasing", node.span, hint)
        return None
    return edges


def _groups(node: YNode, reader: RuleReader) -> tuple[Group, ...] | None:
    items = read_list(node, "groups", reader.ctx)
    if items is None:
        return None
    groups = [_group(item, reader) for item in items]
    seen: set[str] = set()
    for group, item in zip(groups, items, strict=True):
        if group is not None and group.group_id in seen:
            message = f"group '{group.group_id}' is listed twice"
            reader.ctx.error("duplicate-group", message, item.span)
        seen |= {group.group_id} if group is not None else set()
    return None if None in groups else tuple(g for g in groups if g is not None)


def _group(node: YNode, reader: RuleReader) -> Group | None:
    ctx = reader.ctx
    mapping = read_map(node, "group", ctx)
    if mapping is None:
        return None
    found: dict[str, YNode] = {}
    for key, value in mapping.items:
        if key.text in GROUP_KEYS:
            found[key.text] = value
        else:
            hint = did_you_mean(key.text, GROUP_KEYS)
            ctx.error("unknown-option", f"group: unknown key '{key.text}'", key.span, hint)
    missing = [k for k in GROUP_KEYS if k not in found]
    if missing:
        ctx.error("missing-key", f"group: missing {', '.join(missing)}", mapping.span)
        return None
    group_id = read_text(found["id"], "id", ctx)
    if group_id is not None and not _ID.fullmatch(group_id):
        hint = f"e.g. id: {group_key(group_id) or 'red_alert'}"
        ctx.error(
            "bad-value",
            f"group id '{group_id}': lower-case letters, digits and _",
            found["id"].span,
            hint,
        )
    name = read_text(found["name"], "name", ctx)
    color = read_text(found["color"], "color", ctx)
    if color is not None and not _COLOR.fullmatch(color):
        ctx.error("bad-value", f"color '{color}': expected #rrggbb", found["color"].span)
    rule = _rule(found["rules"], reader)
    if group_id is None or name is None or color is None or rule is None or ctx.diagnostics:
        return None
    return Group(group_id, name, color.lower(), rule)


def _rule(node: YNode, reader: RuleReader) -> Rule | None:
    if not isinstance(node, YMap):
        reader.ctx.wrong_type("rules", "one rule (a mapping)", node)
        return None
    return reader.rule(node)


def _position(diagnostic: Diagnostic) -> tuple[int, int]:
    span = diagnostic.span
    return (span.line, span.col) if span is not None else (0, 0)
