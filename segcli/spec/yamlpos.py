"""Safe YAML loading with positions, for definitions and the project config alike.

`yaml.compose` (libyaml's CSafeLoader, else SafeLoader) gives the node tree; we walk it ourselves
and never run YAML's constructors. The result is a small tree of `YScalar` / `YMap` / `YSeq`,
each with its `Span`.

- Scalars keep their raw text: the field being read decides what `NO`, `yes` or `01234` mean
  (text for `country`, a boolean for `accepts_marketing`), and numbers are parsed from the text
  as exact decimals, never floats. Only a null (`~`, `null`, nothing) is told apart.
- A repeated key in a mapping is an error at the second key; the first value is kept.
- Any tag outside YAML's plain types (`!!python/object`, `!foo`, `!!binary`, ...) is an error and
  the document is refused. Merge keys (`<<`) are not supported.
- Anchors and aliases are allowed, within limits: aliases may expand to at most
  `MAX_ALIAS_VALUES` values in all (so an alias bomb fails fast), the tree nests at most
  `MAX_DEPTH` levels, and a recursive alias is refused.
- A syntax error becomes a `yaml-syntax` diagnostic at the line and column YAML reports.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from segcli.errors import Diagnostic, Span

MAX_ALIAS_VALUES = 10_000  # values reached again through an alias
MAX_DEPTH = 100

_STD = "tag:yaml.org,2002:"
_PLAIN_TAGS = frozenset(
    _STD + name for name in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")
)
_HINTS = {
    "'\\t'": "YAML indents with spaces, not tabs",
    "mapping values are not allowed": "put quotes around a value that contains ': '",
    "found undefined alias": "define the anchor (&name) before using the alias (*name)",
}


@dataclass(frozen=True, slots=True)
class YScalar:
    text: str  # the raw text as written (without quotes)
    span: Span
    is_null: bool = False

    def describe(self) -> str:
        return "nothing" if self.is_null else repr(self.text)


@dataclass(frozen=True, slots=True)
class YMap:
    items: tuple[tuple[YScalar, YNode], ...]
    span: Span

    def describe(self) -> str:
        return "a mapping"


@dataclass(frozen=True, slots=True)
class YSeq:
    items: tuple[YNode, ...]
    span: Span

    def describe(self) -> str:
        return "a list"


YNode = YScalar | YMap | YSeq


class _LimitError(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


def decode_yaml(data: bytes, source: str) -> tuple[str | None, list[Diagnostic]]:
    """A YAML file's text (UTF-8, a BOM skipped), or None and where it stops being UTF-8."""
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        span = Span(source, line, col)
        return None, [Diagnostic("file-error", "not UTF-8 text", span, "save the file as UTF-8")]


_FAST_LOADER = getattr(yaml, "CSafeLoader", None)  # PyYAML built without libyaml has none


def _compose(text: str) -> yaml.Node | None:
    """The node tree by libyaml when it reads the text (twenty times faster than the pure-Python
    composer: loading a folder of definitions is part of every command's start-up); otherwise by
    the pure-Python composer, whose errors (with the nesting limit as a RecursionError) are the
    ones reported."""
    if _FAST_LOADER is not None:
        try:
            return yaml.compose(text, Loader=_FAST_LOADER)
        except yaml.YAMLError:
            pass
    return yaml.compose(text, Loader=yaml.SafeLoader)


def load_yaml(text: str, source: str) -> tuple[YNode | None, list[Diagnostic]]:
    """The document's node tree (None when there is none, or it is refused) and its problems."""
    try:
        root = _compose(text)
    except yaml.MarkedYAMLError as exc:
        return None, [_syntax_diagnostic(exc, source)]
    except yaml.reader.ReaderError as exc:  # a control character in the text
        span = _offset_span(text, exc.position, source)
        return None, [Diagnostic("yaml-syntax", f"invalid YAML: {_first_line(exc)}", span)]
    except yaml.YAMLError as exc:  # pragma: no cover - every YAML error above has a position
        return None, [Diagnostic("yaml-syntax", f"invalid YAML: {_first_line(exc)}", None)]
    except RecursionError:
        message = f"YAML nested too deeply (more than {MAX_DEPTH} levels)"
        return None, [_limit(message, Span(source, 1, 1))]
    if root is None:
        return None, []
    walker = _Walker(source)
    try:
        tree = walker.node(root, 0)
    except _LimitError as exc:
        return None, [*walker.diagnostics, exc.diagnostic]
    refused = any(d.code == "bad-tag" for d in walker.diagnostics)
    return (None if refused else tree), walker.diagnostics


def _span_of(node: yaml.Node, source: str) -> Span:
    mark = node.start_mark
    return Span(source, mark.line + 1, mark.column + 1)


def _syntax_diagnostic(exc: yaml.MarkedYAMLError, source: str) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    span = Span(source, mark.line + 1, mark.column + 1) if mark else None
    problem = exc.problem or exc.context or "cannot parse"
    if exc.context and exc.problem and exc.context_mark:
        where = f"line {exc.context_mark.line + 1}, column {exc.context_mark.column + 1}"
        problem = f"{problem} ({exc.context} at {where})"
    hint = next((h for key, h in _HINTS.items() if key in problem), None)
    return Diagnostic("yaml-syntax", f"invalid YAML: {problem}", span, hint)


def _offset_span(text: str, offset: int, source: str) -> Span:
    line_start = text.rfind("\n", 0, offset) + 1
    return Span(source, text.count("\n", 0, offset) + 1, offset - line_start + 1)


def _first_line(exc: yaml.YAMLError) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _limit(message: str, span: Span) -> Diagnostic:
    return Diagnostic("yaml-limit", message, span)


def _tag_name(tag: str) -> str:
    return "!!" + tag.removeprefix(_STD) if tag.startswith(_STD) else tag


class _Walker:
    """Turns composed nodes into Y-nodes, counting repeat visits so aliases cannot blow up."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.diagnostics: list[Diagnostic] = []
        self.seen: set[int] = set()  # ids of the nodes visited
        self.repeats = 0
        self.path: set[int] = set()
        self.top_key: Span | None = None  # the top-level key being read: aliases share the
        # positions of their anchor, so a limit is reported at the top-level key instead

    def node(self, node: yaml.Node, depth: int) -> YNode:
        span = _span_of(node, self.source)
        self._count(node, span, depth)
        if node.tag not in _PLAIN_TAGS:
            self.diagnostics.append(
                Diagnostic(
                    "bad-tag",
                    f"YAML tag '{_tag_name(node.tag)}' is not allowed",
                    span,
                    "segcli reads plain YAML values only; remove the tag",
                )
            )
        if isinstance(node, yaml.ScalarNode):
            return YScalar(str(node.value), span, is_null=node.tag == _STD + "null")
        if id(node) in self.path:
            raise _LimitError(_limit("recursive YAML alias: a node contains itself", span))
        self.path.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return YSeq(tuple(self.node(item, depth + 1) for item in node.value), span)
            return self._mapping(node, span, depth)
        finally:
            self.path.discard(id(node))

    def _count(self, node: yaml.Node, span: Span, depth: int) -> None:
        if id(node) in self.seen:
            self.repeats += 1
        self.seen.add(id(node))
        if self.repeats > MAX_ALIAS_VALUES:
            message = f"YAML aliases expand to more than {MAX_ALIAS_VALUES} values"
            raise _LimitError(_limit(message, self.top_key or span))
        if depth > MAX_DEPTH:
            message = f"YAML nested too deeply (more than {MAX_DEPTH} levels)"
            raise _LimitError(_limit(message, self.top_key or span))

    def _mapping(self, node: yaml.Node, span: Span, depth: int) -> YMap:
        items: list[tuple[YScalar, YNode]] = []
        first_at: dict[str, Span] = {}
        for key_node, value_node in node.value:
            key = self._key(key_node, depth + 1)
            if depth == 0 and key is not None:
                self.top_key = key.span
            value = self.node(value_node, depth + 1)
            if key is None:
                continue
            if key.text in first_at:
                first = first_at[key.text]
                message = f"duplicate key '{key.text}' (first at line {first.line})"
                hint = "a mapping holds each key once; remove or rename one of them"
                self.diagnostics.append(Diagnostic("duplicate-key", message, key.span, hint))
                continue
            first_at[key.text] = key.span
            items.append((key, value))
        return YMap(tuple(items), span)

    def _key(self, node: yaml.Node, depth: int) -> YScalar | None:
        span = _span_of(node, self.source)
        if node.tag == _STD + "merge":
            self._count(node, span, depth)
            message = "YAML merge keys (<<) are not supported"
            hint = "write the keys out in full"
            self.diagnostics.append(Diagnostic("unsupported-yaml", message, span, hint))
            return None
        key = self.node(node, depth)
        if isinstance(key, YScalar):
            return key
        message = f"a key must be text, got {key.describe()}"
        self.diagnostics.append(Diagnostic("wrong-type", message, span))
        return None
