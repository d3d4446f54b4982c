"""The project config file (`segcli.yaml`): reading settings.

It is read as definitions are (`spec.yamlpos`): a repeated key, a YAML tag or an alias bomb is
refused, and every mistake is reported at once, at its file:line:col.

```yaml
timezone: Europe/London        # IANA name; timestamps without an offset are local time here
exclude_statuses: [cancelled]  # orders with these statuses count for no metric
encoding: utf-8                # of CSV files: cp1252, latin-1, ...
delimiter: ","                 # default: sniffed from the header line
null_values: [NA]              # cells meaning "no value" (the empty cell always does)
currency: GBP                  # for orders whose data names no currency
date_format: "%d/%m/%Y %H:%M"  # only for non-ISO timestamps
money: {currency_sign: "£", thousands_separator: ",", decimal_separator: "."}
memory_limit: 1.5GB            # what a run may use: more data, more passes (docs/nightly.md)
passes: 4                      # or a fixed number of passes over the customers
orders:
  rows: line_items             # one row per line item: orders are built by grouping on order_id
  columns: {order_id: InvoiceNo, ordered_at: InvoiceDate}   # canonical name: file column
  status_from: [{column: InvoiceNo, starts_with: C, status: cancelled}]
lines: {columns: {...}}        # likewise customers, reviews, products
```
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from segcli.errors import ConfigError, UsageError, did_you_mean
from segcli.inputs.columns import SPECS
from segcli.inputs.settings import (
    MAX_PASSES,
    MoneyFormat,
    Settings,
    StatusRule,
    TableMapping,
    parse_size,
    timezone_problem,
)
from segcli.spec.values import Collector, read_bool
from segcli.spec.yamlpos import YMap, YNode, YScalar, YSeq, decode_yaml, load_yaml

CONFIG_NAME = "segcli.yaml"
TABLES = ("orders", "lines", "customers", "reviews", "products")
TOP_KEYS = (
    "timezone",
    "exclude_statuses",
    "encoding",
    "delimiter",
    "null_values",
    "currency",
    "date_format",
    "money",
    "check_structure",
    "memory_limit",
    "passes",
    *TABLES,
)
MONEY_KEYS = ("currency_sign", "thousands_separator", "decimal_separator")
TABLE_KEYS = ("columns", "rows", "status_from")
STATUS_RULE_KEYS = ("column", "status", "starts_with", "equals")


def find_config(rules: str | Path) -> Path | None:
    """`segcli.yaml` in the rules file's folder, the rules folder, or the folder beside it."""
    path = Path(rules)
    folder = path if path.is_dir() else path.parent
    for candidate in (folder / CONFIG_NAME, folder.parent / CONFIG_NAME):
        if candidate.is_file():
            return candidate
    return None


def find_project_config(near: str | Path, data: Sequence[str | Path] = ()) -> Path | None:
    """The config a command uses without --config: `find_config(near)` (beside the rules), or
    `segcli.yaml` in the folder of the orders `data` (where `segcli normalize` writes the
    settings of its tables). Two different ones: UsageError, as using either would silently
    drop the other's settings."""
    candidates = [find_config(near), *(_beside_data(item) for item in data)]
    found = list({path.resolve(): path for path in candidates if path is not None}.values())
    if len(found) > 1:
        raise UsageError(
            f"two project configs apply: {found[0]} and {found[1]}; "
            "pass --config with the one to use, or merge them into one"
        )
    return found[0] if found else None


def _beside_data(item: str | Path) -> Path | None:
    path = Path(item)
    candidate = (path if path.is_dir() else path.parent) / CONFIG_NAME
    return candidate if candidate.is_file() else None


def load_settings(path: str | Path) -> Settings:
    """Settings from a config file; one ConfigError naming file:line:col for every mistake."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise UsageError(f"{path}: cannot read the config file ({err.strerror})") from None
    text, problems = decode_yaml(data, str(path))
    if text is None:
        raise ConfigError(problems)
    root, problems = load_yaml(text, str(path))
    reader = _Reader(path)
    reader.ctx.diagnostics += problems
    settings = reader.settings(root)
    if reader.ctx.diagnostics:
        raise ConfigError(reader.ctx.in_file_order())
    return settings


class _Reader:
    """Reads the config's node tree into Settings, adding every problem to `ctx`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.ctx = Collector()

    def mapping(self, node: YNode, keys: tuple[str, ...], what: str) -> dict[str, YNode]:
        if not isinstance(node, YMap):
            self.ctx.wrong_type(what, "a mapping (key: value)", node)
            return {}
        result: dict[str, YNode] = {}
        for key, value in node.items:
            if key.text in keys:
                result[key.text] = value
            else:
                hint = did_you_mean(key.text, keys)
                self.ctx.error("unknown-key", f"unknown key '{key.text}'", key.span, hint)
        return result

    def text(self, node: YNode, what: str) -> str | None:
        """A text value as written: a delimiter or separator may be a space or a tab."""
        if isinstance(node, YScalar) and not node.is_null:
            return node.text
        self.ctx.wrong_type(what, "a text value", node)
        return None

    def texts(self, node: YNode, what: str) -> tuple[str, ...] | None:
        if isinstance(node, YMap):
            self.ctx.wrong_type(what, "a list of text values", node)
            return None
        items = node.items if isinstance(node, YSeq) else (node,)
        texts = [self.text(item, what) for item in items]
        return tuple(t for t in texts if t is not None) if None not in texts else None

    def settings(self, root: YNode | None) -> Settings:
        if root is None:
            return Settings(source=self.path)
        top = self.mapping(root, TOP_KEYS, "the config file")
        values: dict[str, Any] = {"source": self.path}
        for key in ("timezone", "encoding", "delimiter", "currency", "date_format"):
            if key in top and (text := self.text(top[key], key)) is not None:
                values[key] = text
        for key in ("exclude_statuses", "null_values"):
            if key in top and (texts := self.texts(top[key], key)) is not None:
                values[key] = texts
        values["exclude_statuses"] = tuple(s.lower() for s in values.get("exclude_statuses", ()))
        if "check_structure" in top:
            flag = read_bool(top["check_structure"], "check_structure", self.ctx)
            values["check_structure"] = True if flag is None else flag
        if "money" in top and (money := self.money(top["money"])) is not None:
            values["money"] = money
        self.budget(top, values)
        self.check_values(top, values)
        tables = tuple((t, self.table(top[t], t)) for t in TABLES if t in top)
        return Settings(**values, tables=tables)

    def check_values(self, top: dict[str, YNode], values: dict[str, Any]) -> None:
        if "timezone" in values and (problem := timezone_problem(values["timezone"])):
            self.ctx.error("bad-value", problem[0], top["timezone"].span, problem[1])
        if "encoding" in values:
            try:
                "".encode(values["encoding"])
            except LookupError:
                message = f"unknown encoding '{values['encoding']}'"
                self.ctx.error("bad-value", message, top["encoding"].span, "e.g. cp1252")
        if len(values.get("delimiter", ",")) != 1:
            message = "the delimiter must be one character"
            self.ctx.error("bad-value", message, top["delimiter"].span)

    def budget(self, top: dict[str, YNode], values: dict[str, Any]) -> None:
        """memory_limit (a size: 1.5GB) and passes (a whole number from 1 to 256)."""
        if "memory_limit" in top and (text := self.text(top["memory_limit"], "memory_limit")):
            if (size := parse_size(text)) is None:
                message = f"memory_limit '{text}' is not a size"
                self.ctx.error("bad-value", message, top["memory_limit"].span, "e.g. 1.5GB")
            values["memory_limit"] = size
        if "passes" in top and (text := self.text(top["passes"], "passes")) is not None:
            if not text.isdigit() or not 1 <= int(text) <= MAX_PASSES:
                message = f"passes must be a whole number from 1 to {MAX_PASSES}"
                self.ctx.error("bad-value", message, top["passes"].span)
            else:
                values["passes"] = int(text)

    def money(self, node: YNode) -> MoneyFormat | None:
        mark = self.ctx.mark()
        fields = {k: self.text(v, k) for k, v in self.mapping(node, MONEY_KEYS, "money").items()}
        if self.ctx.failed_since(mark):
            return None
        fmt = MoneyFormat(**{k: v for k, v in fields.items() if v is not None})
        if fmt.decimal_separator not in {".", ","}:
            self.ctx.error("bad-value", "decimal_separator must be '.' or ','", node.span)
        elif fmt.thousands_separator == fmt.decimal_separator:
            message = "thousands_separator and decimal_separator must differ"
            self.ctx.error("bad-value", message, node.span)
        return fmt

    def table(self, node: YNode, table: str) -> TableMapping:
        fields = self.mapping(node, TABLE_KEYS, table)
        rows = (self.text(fields["rows"], "rows") or "orders") if "rows" in fields else "orders"
        if rows not in {"orders", "line_items"} or (table != "orders" and "rows" in fields):
            message = "rows must be 'orders' or 'line_items' (orders only)"
            self.ctx.error("bad-value", message, fields["rows"].span)
        kind = "line_items" if rows == "line_items" else table
        columns: list[tuple[str, str]] = []
        if "columns" in fields:
            spec = tuple(SPECS[kind])
            for canon, column in self.mapping(fields["columns"], spec, "columns").items():
                if (name := self.text(column, canon)) is not None:
                    columns.append((canon, name))
        rules = self.status_rules(fields["status_from"]) if "status_from" in fields else ()
        if "status_from" in fields and table != "orders":
            message = "status_from applies to orders only"
            self.ctx.error("bad-value", message, fields["status_from"].span)
        return TableMapping(columns=tuple(columns), rows=rows, status_from=rules)

    def status_rules(self, node: YNode) -> tuple[StatusRule, ...]:
        items = node.items if isinstance(node, YSeq) else (node,)
        rules = []
        for item in items:
            pairs = self.mapping(item, STATUS_RULE_KEYS, "status_from").items()
            fields = {k: text for k, v in pairs if (text := self.text(v, k)) is not None}
            if "column" not in fields or "status" not in fields:
                message = "a status rule needs `column` and `status`"
                self.ctx.error("missing-key", message, item.span)
                continue
            rules.append(StatusRule(**fields))
        return tuple(rules)
