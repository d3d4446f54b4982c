"""Bad input through the CLI: exit code 3, one message line on stderr, no output file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
ORDERS = DATA / "shopify_enavant_orders_export_1.pseudonymized.csv"
CUSTOMERS = DATA / "shopify_enavant_customers_export_1.pseudonymized.csv"
CUSTOMERS_2024 = DATA / "shopify_customers_export_2024_truncated.pseudonymized.csv"
VIP = ROOT / "rules" / "vip.yaml"
HEADER = "order_id,email,ordered_at,total\n"
GOOD = "1,a@x.com,2024-01-01,10.00\n"

pytestmark = pytest.mark.skipif(not ORDERS.exists(), reason="../shared/data is not here")


def build(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "segcli", "build", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, check=False)


BAD_ORDERS = {
    "ragged": (HEADER + GOOD + "2,b@x.com,2024-01-02\n", "row 2 (line 3) has 3 fields"),
    "duplicate_header": ("order_id,email,ordered_at,total,total\n", "column 'total' appears twice"),
    "missing_column": (
        "order_id,email,total\n1,a@x.com,1\n",
        "missing required column 'ordered_at'",
    ),
    "money": (HEADER + GOOD + '2,b@x.com,2024-01-02,"12,50"\n', "row 2 (line 3), column 'total'"),
    "date": (HEADER + GOOD + "2,b@x.com,2024-13-01,1\n", "row 2 (line 3), column 'ordered_at'"),
    "empty": ("", "line 1: the file is empty"),
}


@pytest.mark.parametrize("case", sorted(BAD_ORDERS))
def test_bad_orders_file(tmp_path: Path, case: str) -> None:
    text, expected = BAD_ORDERS[case]
    orders = tmp_path / "orders.csv"
    orders.write_text(text, encoding="utf-8")
    out = tmp_path / "out.csv"
    result = build(VIP, orders, "--as-of", "2024-06-01", "-o", out)
    assert result.returncode == 3, result.stderr
    assert expected in result.stderr
    assert str(orders) in result.stderr
    assert not out.exists()
    assert result.stdout == ""


def test_truncated_customers_file(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    result = build(VIP, ORDERS, "--customers", CUSTOMERS_2024, "-o", out)
    assert result.returncode == 3, result.stderr
    assert "row 4 (line 5) ends inside an open quote in column 'Note'" in result.stderr
    assert not out.exists()


def test_shopify_build_needs_no_flag() -> None:
    result = build(VIP, ORDERS, "--customers", CUSTOMERS, "-o", "-")
    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.startswith("Name,First Name,Last Name,Email Address")
    assert rows


def test_uci_builds_through_the_example_config() -> None:
    rules = ROOT / "examples" / "uci" / "rules" / "repeat_buyers.yaml"
    uci = DATA / "uci_online_retail_sample_20k.csv"
    result = build(rules, uci, "--as-of", "2011-12-10", "-o", "-")
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) > 1


LONG_ORDERS = (
    "order_id,customer_id,email,ordered_at,total\n"
    "1,C1,a@x.com,2024-01-01,600.00\n"
    "2,C1,a@x.com,2024-01-02,10.00\n"
    "3,C1,a@x.com,2024-01-03,10.00\n"
    "4,C2,b@x.com,2024-01-03,10.00\n"
)
# Longer than the csv module's default field limit (128 KiB), with a quote, a comma and a line
# break inside: a well-formed cell, as a long customer note or product description is.
LONG_NAME = 'Ann "the long", ' + "n" * 200_000 + "\nend"


def long_customers(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "customers.csv"
    quoted = LONG_NAME.replace('"', '""')
    path.write_text(
        "customer_id,email,first_name,last_name\n"
        f'C1,a@x.com,"{quoted}",Long\n'
        "C2,b@x.com,Bea,Short\n" + extra,
        encoding="utf-8",
    )
    return path


def test_a_cell_longer_than_128_kib_is_read_exported_verified_and_previewed(
    tmp_path: Path,
) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text(LONG_ORDERS, encoding="utf-8")
    data = [str(orders), "--customers", str(long_customers(tmp_path)), "--as-of", "2024-06-01"]
    snapshot = tmp_path / "vip.csv"
    built = build(VIP, *data, "-o", snapshot)
    assert built.returncode == 0, built.stderr
    text = snapshot.read_text(encoding="utf-8")
    # C1 alone has more than two orders and 500 spent.
    assert ",a@x.com," in text
    assert "b@x.com" not in text
    assert f'"{LONG_NAME.replace(chr(34), chr(34) * 2)}"' in text
    verify = subprocess.run(
        [sys.executable, "-m", "segcli", "verify", str(snapshot)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert verify.returncode == 0, verify.stderr
    preview = subprocess.run(
        [sys.executable, "-m", "segcli", "preview", str(VIP), *data],
        capture_output=True,
        text=True,
        check=False,
    )
    assert preview.returncode == 0, preview.stderr
    assert "1 members" in preview.stdout


def test_a_ragged_row_after_a_long_cell_is_named_as_ragged(tmp_path: Path) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text(LONG_ORDERS, encoding="utf-8")
    customers = long_customers(tmp_path, extra="C3,c@x.com\n")
    result = build(VIP, orders, "--customers", customers, "--as-of", "2024-06-01", "-o", "-")
    assert result.returncode == 3, result.stderr
    # The long cell holds one line break: row 1 is lines 2-3, row 3 is line 5.
    assert f"{customers}: row 3 (line 5) has 2 fields but the header has 4" in result.stderr
    assert "quoting" not in result.stderr
