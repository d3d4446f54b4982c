"""The project config file (`segcli.yaml`): reading settings, with file:line:col on mistakes.

```yaml
timezone: Europe/London        # IANA name; timestamps without an offset are local time here
exclude_statuses: [cancelled]  # orders with these statuses count for no metric
encoding: utf-8                # of CSV files: cp1252, latin-1, ...
delimiter: ","                 # default: sniffed from the header line
null_values: [NA]              # cells meaning "no value" (the empty cell always does)
currency: GBP                  # for orders whose data names no currency
date_format: "%d/%m/%Y %H:%M"  # only for non-ISO timestamps
money: {currency_sign: "£", thousands_separator: ",", decimal_separator: "."}
orders:
  rows: line_items             # one row per line item: orders are built by grouping on order_id
  columns: {order_id: InvoiceNo, ordered_at: InvoiceDate}   # canonical name: file column
  status_from: [{column: InvoiceNo, starts_with: C, status: cancelled}]
lines: {columns: {...}}        # likewise customers, reviews, products
```
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from segcli.errors import Span, UsageError, did_you_mean
from segcli.inputs.columns import SPECS
from segcli.inputs.settings import MoneyFormat, Settings, StatusRule, TableMapping

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
    *TABLES,
)
MONEY_KEYS = ("currency_sign", "thousands_separator", "decimal_separator")
TABLE_KEYS = ("columns", "rows", "status_from")
RULE_KEYS = ("column", "status", "starts_with", "equals")


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
    """Settings from a config file; UsageError naming file:line:col for any mistake."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise UsageError(f"{path}: cannot read the config file ({err.strerror})") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark
        where = Span(str(path), mark.line + 1, mark.column + 1) if mark else path
        raise UsageError(f"{where}: invalid YAML: {err.problem}") from None
    return _Reader(path).settings(node)


class _Reader:
    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, node: yaml.Node, message: str, hint: str | None = None) -> UsageError:
        mark = node.start_mark
        text = f"{self.path}:{mark.line + 1}:{mark.column + 1}: {message}"
        return UsageError(f"{text}; {hint}" if hint else text)

    def mapping(self, node: yaml.Node, keys: tuple[str, ...]) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, "expected a mapping (key: value)")
        result: dict[str, yaml.Node] = {}
        for key_node, value in node.value:
            key = str(key_node.value)
            if key not in keys:
                raise self.fail(key_node, f"unknown key '{key}'", did_you_mean(key, keys))
            result[key] = value
        return result

    def text(self, node: yaml.Node) -> str:
        if not isinstance(node, yaml.ScalarNode) or node.tag == "tag:yaml.org,2002:null":
            raise self.fail(node, "expected a text value")
        return str(node.value)

    def texts(self, node: yaml.Node) -> tuple[str, ...]:
        if isinstance(node, yaml.ScalarNode):
            return (self.text(node),)
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, "expected a list of text values")
        return tuple(self.text(item) for item in node.value)

    def flag(self, node: yaml.Node) -> bool:
        value: Any = yaml.safe_load(yaml.serialize(node))
        if not isinstance(value, bool):
            raise self.fail(node, "expected true or false")
        return value

    def settings(self, root: yaml.Node | None) -> Settings:
        if root is None:
            return Settings(source=self.path)
        top = self.mapping(root, TOP_KEYS)
        values: dict[str, Any] = {"source": self.path}
        for key in ("timezone", "encoding", "delimiter", "currency", "date_format"):
            if key in top:
                values[key] = self.text(top[key])
        for key in ("exclude_statuses", "null_values"):
            if key in top:
                values[key] = self.texts(top[key])
        values["exclude_statuses"] = tuple(s.lower() for s in values.get("exclude_statuses", ()))
        if "check_structure" in top:
            values["check_structure"] = self.flag(top["check_structure"])
        if "money" in top:
            values["money"] = self.money(top["money"])
        self.check_values(top, values)
        tables = tuple((t, self.table(top[t], t)) for t in TABLES if t in top)
        return Settings(**values, tables=tables)

    def check_values(self, top: dict[str, yaml.Node], values: dict[str, Any]) -> None:
        if "timezone" in values:
            try:
                zoneinfo.ZoneInfo(values["timezone"])
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                hint = "use an IANA name like UTC or Europe/London"
                raise self.fail(top["timezone"], "unknown time zone", hint) from None
        if "encoding" in values:
            try:
                "".encode(values["encoding"])
            except LookupError:
                raise self.fail(top["encoding"], "unknown encoding", "e.g. cp1252") from None
        if len(values.get("delimiter", ",")) != 1:
            raise self.fail(top["delimiter"], "the delimiter must be one character")

    def money(self, node: yaml.Node) -> MoneyFormat:
        fields = {k: self.text(v) for k, v in self.mapping(node, MONEY_KEYS).items()}
        fmt = MoneyFormat(**fields)
        if fmt.decimal_separator not in {".", ","}:
            raise self.fail(node, "decimal_separator must be '.' or ','")
        if fmt.thousands_separator == fmt.decimal_separator:
            raise self.fail(node, "thousands_separator and decimal_separator must differ")
        return fmt

    def table(self, node: yaml.Node, table: str) -> TableMapping:
        fields = self.mapping(node, TABLE_KEYS)
        rows = self.text(fields["rows"]) if "rows" in fields else "orders"
        if rows not in {"orders", "line_items"} or (table != "orders" and "rows" in fields):
            raise self.fail(fields["rows"], "rows must be 'orders' or 'line_items' (orders only)")
        kind = "line_items" if rows == "line_items" else table
        columns: list[tuple[str, str]] = []
        if "columns" in fields:
            spec = tuple(SPECS[kind])
            for canon, column in self.mapping(fields["columns"], spec).items():
                columns.append((canon, self.text(column)))
        rules = self.status_rules(fields["status_from"]) if "status_from" in fields else ()
        if rules and table != "orders":
            raise self.fail(fields["status_from"], "status_from applies to orders only")
        return TableMapping(columns=tuple(columns), rows=rows, status_from=rules)

    def status_rules(self, node: yaml.Node) -> tuple[StatusRule, ...]:
        items = node.value if isinstance(node, yaml.SequenceNode) else [node]
        rules = []
        for item in items:
            fields = {k: self.text(v) for k, v in self.mapping(item, RULE_KEYS).items()}
            if "column" not in fields or "status" not in fields:
                raise self.fail(item, "a status rule needs `column` and `status`")
            rules.append(StatusRule(**fields))
        return tuple(rules)
