"""One test per bad-input class: a one-line InputError naming the file, the row and the column."""

from __future__ import annotations

from pathlib import Path

import pytest

from segcli.errors import ExitCode, InputError
from segcli.inputs.checks import collect
from segcli.inputs.read import open_tables

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
ORDERS = DATA / "shopify_enavant_orders_export_1.pseudonymized.csv"
CUSTOMERS_2024 = DATA / "shopify_customers_export_2024_truncated.pseudonymized.csv"
HEADER = "order_id,email,ordered_at,total\n"
GOOD = "1,a@x.com,2024-01-01,10.00\n"


def _read_all(orders: Path, **kwargs: object) -> None:
    tables = open_tables(orders, **kwargs)  # type: ignore[arg-type]
    collect(tables.orders, tables)
    if tables.customers is not None:
        collect(tables.customers, tables)


def message_of(orders: Path, **kwargs: object) -> str:
    """The error's message, whether open_tables or the collect raises it."""
    with pytest.raises(InputError) as caught:
        _read_all(orders, **kwargs)
    assert caught.value.exit_code == ExitCode.BAD_INPUT
    text = str(caught.value)
    assert "\n" not in text
    return text


def write(tmp_path: Path, text: str, name: str = "orders.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_ragged_row_short(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + GOOD + "2,b@x.com,2024-01-02\n")
    assert message_of(path) == (
        f"{path}: row 2 (line 3) has 3 fields but the header has 4: column 'total' and after "
        "are missing; fix or remove that row and re-run"
    )


def test_ragged_row_long(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + GOOD + "2,b@x.com,2024-01-02,12,50\n")
    assert message_of(path) == (
        f"{path}: row 2 (line 3) has 5 fields but the header has 4: extra fields after column "
        "'total' (an unquoted delimiter?); quote that value or fix the row"
    )


@pytest.mark.skipif(not CUSTOMERS_2024.exists(), reason="../shared/data is not here")
def test_truncated_last_row_the_2024_customers_file() -> None:
    assert message_of(ORDERS, customers=CUSTOMERS_2024) == (
        f"{CUSTOMERS_2024}: row 4 (line 5) ends inside an open quote in column 'Note' at the "
        "end of the file: the file looks truncated; export it again or cut off its last row"
    )


def test_duplicate_header(tmp_path: Path) -> None:
    path = write(tmp_path, "order_id,email,ordered_at,total,email\n1,a,2024-01-01,1,b\n")
    assert message_of(path) == (
        f"{path}: line 1 (header), column 'email' appears twice (columns 2 and 5); "
        "rename or remove one of them"
    )


def test_missing_required_column(tmp_path: Path) -> None:
    path = write(tmp_path, "order_id,email,total\n1,a@x.com,1\n")
    assert message_of(path) == (
        f"{path}: line 1 (header): missing required column 'ordered_at' for the orders table "
        "(needed: order_id, customer_id or email, ordered_at, total; present: order_id, email, "
        "total); rename the column or map it under `orders: columns:` in segcli.yaml"
    )


def test_unparseable_money(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + GOOD + '2,b@x.com,2024-01-02,"12,50"\n')
    assert message_of(path) == (
        f"{path}: row 2 (line 3), column 'total': cannot read '12,50' as money; write a plain "
        "amount like 125.40, or set `money:` (currency_sign, thousands_separator, "
        "decimal_separator) in segcli.yaml"
    )


def test_unparseable_date(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + GOOD + "2,b@x.com,2024-02-30,12.50\n")
    assert message_of(path) == (
        f"{path}: row 2 (line 3), column 'ordered_at': cannot read '2024-02-30' as a date or "
        "timestamp; write YYYY-MM-DD, optionally with HH:MM[:SS] and an offset (Z, +0200, "
        "+02:00), or set `date_format:` in segcli.yaml"
    )


def test_empty_file(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    assert message_of(path) == (
        f"{path}: line 1: the file is empty (no header row); export it again with a header row"
    )


def test_empty_required_cell(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + GOOD + ",b@x.com,2024-01-02,1\n")
    assert message_of(path) == (
        f"{path}: row 2 (line 3), column 'order_id': the value is empty; every row needs a "
        "value here; fill it in or remove the row"
    )


def test_personal_data_is_not_shown(tmp_path: Path) -> None:
    path = write(tmp_path, "order_id,email,ordered_at,total\n1,,2024-01-01,1\n", "o.csv")
    customers = write(tmp_path, "email,accepts_marketing\nsecret@x.com,maybe\n", "c.csv")
    text = message_of(path, customers=customers)
    assert "column 'accepts_marketing': cannot read 'maybe' as true/false" in text
    assert "secret" not in text


def test_missing_file_and_empty_glob(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="orders file not found"):
        open_tables(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="no orders file matches this pattern"):
        open_tables(str(tmp_path / "part-*.csv"))
