"""`segcli diff OLD NEW --why`: the rule that flipped for each change, worked out by hand on a
few customers."""

from __future__ import annotations

import json
from pathlib import Path

from commands import segcli

from segcli.errors import ExitCode

ROOT = Path(__file__).resolve().parent.parent
LAPSED = (
    "name: Lapsed\nrules:\n  all:\n"
    "    - total_spend: {at_least: 1000}\n"
    "    - days_since_last_order: {more_than: 180}\n"
)
ORDERS = """order_id,email,ordered_at,total
D1,dora@example.com,2023-10-01,1200.00
E1,eve@example.com,2023-06-01,1500.00
E2,eve@example.com,2024-04-01,20.00
F1,fay@example.com,2023-01-01,999.99
F2,fay@example.com,2024-05-01,0.01
G1,gus@example.com,2023-01-01,950.00
"""


def _snapshots(tmp_path: Path, old_rule: str = LAPSED) -> Path:
    """vip-like snapshots of rules/lapsed.yaml as of 2024-03-01 and 2024-06-01."""
    (tmp_path / "rules").mkdir()
    (tmp_path / "orders.csv").write_text(ORDERS, encoding="utf-8")
    definition = tmp_path / "rules" / "lapsed.yaml"
    for as_of, text in (("2024-03-01", old_rule), ("2024-06-01", LAPSED)):
        definition.write_text(text, encoding="utf-8")
        built = segcli(
            "build", "rules/lapsed.yaml", "orders.csv", "--as-of", as_of,
            "-o", f"snapshots/lapsed/{as_of}.csv", cwd=tmp_path,
        )  # fmt: skip
        assert built.returncode == ExitCode.OK, built.stderr
    return tmp_path / "snapshots" / "lapsed"


def test_each_change_names_the_rule_that_flipped_with_both_values(tmp_path: Path) -> None:
    # As of 2024-03-01: eve (1520.00, last order 2023-06-01: 274 days) is in; dora's last order
    # (2023-10-01) is 152 days back, fay has 999.99. As of 2024-06-01: dora is 244 days back
    # (enters); eve ordered on 2024-04-01 (61 days: leaves); fay reaches 1000.00 but ordered
    # 31 days back (stays out); gus never reaches 1000.
    folder = _snapshots(tmp_path)
    result = segcli("diff", str(folder), "--why", "--orders", "orders.csv", cwd=tmp_path)
    assert result.returncode == ExitCode.OK, result.stderr
    out = result.stdout
    assert "1 entered, 1 left, 0 stayed" in out
    assert "1 entered: days_since_last_order is more than 180" in out
    assert "1 left: days_since_last_order is more than 180" in out
    assert "dora@example.com entered: days_since_last_order is more than 180" in out
    assert (
        "days_since_last_order is more than 180: last_order_at: 2023-10-01 00:00:00+00:00"
        " → last_order_at: 2023-10-01 00:00:00+00:00"
    ) in out
    assert (
        "days_since_last_order is more than 180: last_order_at: 2023-06-01 00:00:00+00:00"
        " → last_order_at: 2024-04-01 00:00:00+00:00"
    ) in out
    assert "definition changed" not in out


def test_json_gives_every_change_with_its_rules(tmp_path: Path) -> None:
    folder = _snapshots(tmp_path)
    result = segcli("diff", str(folder), "--why", "--orders", "orders.csv", "--json", cwd=tmp_path)
    assert result.returncode == ExitCode.OK, result.stderr
    report = json.loads(result.stdout)
    assert report["old_as_of"] == "2024-03-01T00:00:00+00:00"
    assert report["new_as_of"] == "2024-06-01T00:00:00+00:00"
    changes = {c["customer"]: c for c in report["customers"]}
    assert sorted(changes) == ["dora@example.com", "eve@example.com"]
    assert changes["eve@example.com"]["change"] == "left"
    (rule,) = changes["eve@example.com"]["rules"]
    assert rule["rule"] == "days_since_last_order is more than 180"
    assert rule["held_after"] is False
    assert report["definition_changed"] is False


def test_an_edited_definition_is_named_as_the_reason(tmp_path: Path) -> None:
    # The older snapshot was built with at_least 900: gus (950.00, long lapsed) was in it. With
    # the current 1000 he leaves, and no rule's outcome changed between the as-ofs.
    folder = _snapshots(tmp_path, old_rule=LAPSED.replace("1000", "900"))
    result = segcli("diff", str(folder), "--why", "--orders", "orders.csv", cwd=tmp_path)
    assert result.returncode == ExitCode.OK, result.stderr
    assert "the definition changed between the two snapshots" in result.stdout
    assert "gus@example.com left: no rule flipped" in result.stdout


def test_why_needs_the_data(tmp_path: Path) -> None:
    folder = _snapshots(tmp_path)
    result = segcli("diff", str(folder), "--why", cwd=tmp_path)
    assert result.returncode == ExitCode.BAD_DEFINITION
    assert "--orders" in result.stderr
