"""The project config file: settings, mappings, and mistakes reported as file:line:col."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from segcli.errors import ConfigError, ExitCode
from segcli.inputs.config import find_config, load_settings
from segcli.inputs.settings import MoneyFormat, StatusRule

ROOT = Path(__file__).resolve().parent.parent


def config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "segcli.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_full_config(tmp_path: Path) -> None:
    path = config(
        tmp_path,
        """
timezone: Europe/Berlin
exclude_statuses: [Refunded, cancelled]
encoding: cp1252
delimiter: ";"
null_values: [NA, "-"]
currency: EUR
date_format: "%d.%m.%Y"
money: {currency_sign: "€", thousands_separator: ".", decimal_separator: ","}
orders:
  rows: line_items
  columns: {order_id: Beleg, ordered_at: Datum, unit_price: Preis}
  status_from: {column: Beleg, starts_with: S, status: Storno}
customers:
  columns: {customer_id: Kundennr}
""",
    )
    settings = load_settings(path)
    assert settings.timezone == "Europe/Berlin"
    assert settings.exclude_statuses == ("refunded", "cancelled")
    assert (settings.encoding, settings.delimiter, settings.currency) == ("cp1252", ";", "EUR")
    assert settings.null_values == ("NA", "-")
    assert settings.money == MoneyFormat("€", ".", ",")
    orders = settings.mapping("orders")
    assert orders is not None
    assert orders.rows == "line_items"
    assert orders.column_map() == {
        "order_id": "Beleg",
        "ordered_at": "Datum",
        "unit_price": "Preis",
    }
    assert orders.status_from == (StatusRule("Beleg", "Storno", starts_with="S"),)
    customers = settings.mapping("customers")
    assert customers is not None
    assert customers.column_map() == {"customer_id": "Kundennr"}
    assert settings.source == path


def test_empty_config_is_defaults(tmp_path: Path) -> None:
    assert load_settings(config(tmp_path, "# nothing\n")).timezone == "UTC"


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("timezon: UTC\n", "1:1", "unknown key 'timezon'\n  hint: did you mean 'timezone'?"),
        ("timezone: Mars/Base\n", "1:11", "unknown time zone 'Mars/Base'\n  hint: use an IANA"),
        ("timezone: Europe/Lndon\n", "1:11", "hint: did you mean 'Europe/London'?"),
        ("orders:\n  columns: {order_idd: X}\n", "2:13", "unknown key 'order_idd'\n  hint: did"),
        ("money: {decimal_separator: ';'}\n", "1:8", "decimal_separator must be '.' or ','"),
        ("lines:\n  rows: line_items\n", "2:9", "rows must be 'orders' or 'line_items'"),
        ("encoding: klingon\n", "1:11", "unknown encoding 'klingon'"),
        ("orders: [1, 2\n", "2:1", "error[yaml-syntax] invalid YAML"),
        ("orders:\n  status_from: [{column: X}]\n", "2:17", "a status rule needs"),
        ("check_structure: maybe\n", "1:18", "check_structure: expected true or false"),
        ("timezone: !!python/name:os.system UTC\n", "1:11", "YAML tag '!!python/name:os.system'"),
    ],
)
def test_mistakes_name_file_line_and_column(
    tmp_path: Path, text: str, where: str, message: str
) -> None:
    path = config(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert caught.value.exit_code == ExitCode.BAD_DEFINITION
    assert str(caught.value).startswith(f"{path}:{where}: error[")
    assert message in str(caught.value)


def test_a_key_written_twice_is_refused_at_the_second(tmp_path: Path) -> None:
    path = config(tmp_path, "timezone: UTC\ntimezone: Europe/London\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert str(caught.value) == (
        f"{path}:2:1: error[duplicate-key] duplicate key 'timezone' (first at line 1)\n"
        "  hint: a mapping holds each key once; remove or rename one of them"
    )


def test_every_mistake_is_reported_at_once_in_file_order(tmp_path: Path) -> None:
    path = config(tmp_path, "encoding: klingon\ntimezon: UTC\ndelimiter: ';;'\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert [str(d.span) for d in caught.value.diagnostics] == [
        f"{path}:1:11",
        f"{path}:2:1",
        f"{path}:3:12",
    ]


def test_the_cli_shows_a_config_mistake_as_a_definition_mistake(tmp_path: Path) -> None:
    path = config(tmp_path, "timezone: UTC\ntimezone: Mars/Base\n")
    vip = ROOT / "rules" / "vip.yaml"
    result = subprocess.run(
        [sys.executable, "-m", "segcli", "explain", str(vip), "--config", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == ExitCode.BAD_DEFINITION
    assert result.stderr.splitlines() == [
        f"{path}:2:1: error[duplicate-key] duplicate key 'timezone' (first at line 1)",
        "   2 | timezone: Mars/Base",
        "       ^",
        "  hint: a mapping holds each key once; remove or rename one of them",
        "1 problem found; no data was read.",
    ]
    assert result.stdout == ""


def test_find_config(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "vip.yaml").write_text("name: x\n")
    assert find_config(rules / "vip.yaml") is None
    path = config(tmp_path, "timezone: UTC\n")
    assert find_config(rules / "vip.yaml") == path
    assert find_config(rules) == path


def test_a_config_that_is_not_utf8_is_named_at_the_byte(tmp_path: Path) -> None:
    path = tmp_path / "segcli.yaml"
    path.write_bytes("timezone: UTC\ncurrency: £\n".encode("cp1252"))
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert str(caught.value) == (
        f"{path}:2:11: error[file-error] not UTF-8 text\n  hint: save the file as UTF-8"
    )
