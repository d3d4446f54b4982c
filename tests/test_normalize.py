"""`segcli normalize`: the canonical Parquet tables give the same snapshots as the exports."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from segcli import api
from segcli.backends import Inputs
from segcli.errors import SegcliError, UsageError
from segcli.inputs.config import find_project_config, load_settings
from segcli.inputs.read import open_tables as read_tables
from segcli.nightly import load_segments

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data"
DATA = ROOT.parent / "shared" / "data"
ORDERS = DATA / "shopify_enavant_orders_export_1.pseudonymized.csv"
CUSTOMERS = DATA / "shopify_enavant_customers_export_1.pseudonymized.csv"
CUSTOMERS_2024 = DATA / "shopify_customers_export_2024_truncated.pseudonymized.csv"
UCI = DATA / "uci_online_retail_sample_20k.csv"
UCI_CONFIG = ROOT / "examples" / "uci" / "segcli.yaml"
needs_data = pytest.mark.skipif(not ORDERS.exists(), reason="../shared/data is not here")


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "segcli", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)


def reopen(folder: Path) -> Inputs:
    """The normalized folder read back as a build reads it: its tables and its segcli.yaml."""

    def present(file: str) -> Path | None:
        path = folder / f"{file}.parquet"
        return path if path.exists() else None

    return api.open_tables(
        folder / "orders.parquet",
        lines=present("order_lines"),
        customers=present("customers"),
        reviews=present("reviews"),
        settings=load_settings(folder / "segcli.yaml"),
    )


def snapshots(tables: Inputs, as_of: str) -> dict[str, bytes | str]:
    """Every rules/ segment built alone, with ids: the bytes, or the error it stops with."""
    definitions, broken = load_segments(ROOT / "rules")
    assert not broken
    built: dict[str, bytes | str] = {}
    for definition in definitions:
        try:
            _result, data = api.build_snapshot(
                definition, tables, as_of=as_of, with_id=True, library=definitions
            )
        except SegcliError as error:
            built[definition.segment_id] = f"{type(error).__name__}: {error}"
        else:
            built[definition.segment_id] = data
    return built


def assert_same_snapshots(raw: Inputs, out: Path, as_of: str, *, min_members: int) -> None:
    api.normalize_inputs(raw, out)
    before, after = snapshots(raw, as_of), snapshots(reopen(out), as_of)
    assert before.keys() == after.keys()
    different = [segment for segment in before if before[segment] != after[segment]]
    assert not different, f"segments with different snapshots: {different}"
    rows = sum(data.count(b"\n") - 1 for data in before.values() if isinstance(data, bytes))
    assert rows >= min_members  # the comparison is not one of empty files


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_sample_data_gives_the_same_snapshots(tmp_path: Path, suffix: str) -> None:
    raw = api.open_tables(
        SAMPLE / f"orders.{suffix}",
        lines=SAMPLE / f"order_lines.{suffix}",
        customers=SAMPLE / f"customers.{suffix}",
        reviews=SAMPLE / f"reviews.{suffix}",
        products=SAMPLE / f"products.{suffix}",
    )
    assert_same_snapshots(raw, tmp_path / "normalized", "2025-01-01", min_members=1000)
    assert not (tmp_path / "normalized" / "products.parquet").exists()  # joined onto lines


def cut_2024_customers(folder: Path) -> Path:
    """The 2024 customers export without its truncated last row (header and 3 whole rows)."""
    lines = CUSTOMERS_2024.read_text(encoding="utf-8").splitlines(keepends=True)
    whole = folder / "customers_2024.csv"
    whole.write_text("".join(lines[:4]), encoding="utf-8")
    return whole


@needs_data
@pytest.mark.parametrize("customers", ["enavant", "2024", "none"])
def test_shopify_exports_give_the_same_snapshots(tmp_path: Path, customers: str) -> None:
    files = {"enavant": CUSTOMERS, "2024": cut_2024_customers(tmp_path), "none": None}
    raw = api.open_tables(ORDERS, customers=files[customers])
    assert_same_snapshots(raw, tmp_path / "normalized", "2022-01-12", min_members=100)


@needs_data
def test_uci_with_its_mapping_gives_the_same_snapshots(tmp_path: Path) -> None:
    raw = api.open_tables(UCI, settings=load_settings(UCI_CONFIG))
    assert_same_snapshots(raw, tmp_path / "normalized", "2011-12-10", min_members=1000)


@needs_data
def test_written_config_carries_the_settings_that_still_apply(tmp_path: Path) -> None:
    out = tmp_path / "uci"
    api.normalize_inputs(api.open_tables(UCI, settings=load_settings(UCI_CONFIG)), out)
    settings = load_settings(out / "segcli.yaml")
    assert settings.timezone == "Europe/London"
    assert settings.exclude_statuses == ("cancelled",)
    # Applied while normalizing, so no longer in the config: mapping, NA, default currency.
    assert (settings.tables, settings.null_values, settings.currency) == ((), (), None)
    orders = pl.read_parquet(out / "orders.parquet")
    assert (orders["currency"] == "GBP").all()
    assert orders.filter(pl.col("status") == "cancelled")["order_id"].str.starts_with("C").all()


@needs_data
def test_2024_customers_ids_are_resolved_on_the_orders(tmp_path: Path) -> None:
    raw = api.open_tables(ORDERS, customers=cut_2024_customers(tmp_path))
    out = tmp_path / "normalized"
    api.normalize_inputs(raw, out)
    orders = pl.read_parquet(out / "orders.parquet")
    # customer0001 is id 7864668586262 in the customers export (its 3rd line, 2nd data row);
    # customer0003 is not in it, so stays known by email.
    first = orders.filter(pl.col("email") == "customer0001@example.com")
    assert first["customer_id"].to_list() == ["7864668586262"]
    third = orders.filter(pl.col("email") == "customer0003@example.com")
    assert third["customer_id"].null_count() == third.height > 0
    customers = pl.read_parquet(out / "customers.parquet")
    assert customers["customer_id"].to_list() == ["7985351721238", "7864668586262", "7694309228822"]
    assert "registered_at" not in customers.columns  # Shopify exports carry no registration date


IDENTITY_ORDERS = (
    "order_id,customer_id,email,ordered_at,total\n"
    "1,C1,B@x.com,2024-01-01 10:00:00,10.00\n"  # C1's two orders share an instant: the export
    "2,C1,a@x.com,2024-01-01 10:00:00,5.00\n"  # email is the smaller as written, 'B@x.com'
    "3, , Ann@X.com ,2024-02-01,1.10\n"  # no id: known by her email, two spellings
    "4,,ann@x.com,2024-03-01,2.20\n"
    "5,C2,,2024-01-05,0.01\n"
)
IDENTITY_CUSTOMERS = (
    "customer_id,email,first_name\n"
    "C1,,Cee\n"  # no email in the customers file: the earliest order's is exported
    "C2,c2@x.com,First\n"
    "C2,other@x.com,Second\n"  # a duplicate: the first row wins
    ",zed@x.com,Zed\n"  # no id: known by email, no orders
)
IDENTITY_EXPECTED = (
    "Customer ID,Name,First Name,Last Name,Email Address,Date Registered,Country,Postal Code,"
    "Lifetime Spend\n"
    "C1,Cee,Cee,,b@x.com,,,,15.00\n"
    "C2,First,First,,c2@x.com,,,,0.01\n"
    "ann@x.com,,,,ann@x.com,,,,3.30\n"
)


def test_identity_survives_normalizing(tmp_path: Path) -> None:
    (tmp_path / "orders.csv").write_text(IDENTITY_ORDERS, encoding="utf-8")
    (tmp_path / "customers.csv").write_text(IDENTITY_CUSTOMERS, encoding="utf-8")
    definition = tmp_path / "rules" / "buyers.yaml"
    definition.parent.mkdir()
    definition.write_text("name: Buyers\nrules:\n  order_count: {at_least: 1}\n")
    out = tmp_path / "normalized"
    assert cli("normalize", tmp_path / "orders.csv", "--customers", tmp_path / "customers.csv",
               "--out", out).returncode == 0  # fmt: skip
    for orders, customers in (
        (tmp_path / "orders.csv", tmp_path / "customers.csv"),
        (out / "orders.parquet", out / "customers.parquet"),
    ):
        built = cli("build", definition, orders, "--customers", customers, "--as-of",
                    "2025-01-01", "--with-id", "-o", "-")  # fmt: skip
        assert built.returncode == 0, built.stderr
        assert built.stdout == IDENTITY_EXPECTED
    written = pl.read_parquet(out / "orders.parquet")
    assert written["customer_id"].to_list() == ["C1", "C1", None, None, "C2"]
    assert written["email"].to_list() == ["B@x.com", "a@x.com", " Ann@X.com ", "ann@x.com", None]


def test_money_is_exact_decimal_and_reads_back_to_the_cent(tmp_path: Path) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "order_id,email,ordered_at,total,refunded\n"
        "1,a@x.com,2024-01-01 12:00:00 +0200,0.01,\n"
        "2,a@x.com,2024-01-01,-5.1,5.10\n"
        "3,a@x.com,2024-01-01,999999999999999.99,0\n",
        encoding="utf-8",
    )
    out = tmp_path / "normalized"
    api.normalize_inputs(api.open_tables(orders), out)
    written = pl.read_parquet(out / "orders.parquet")
    assert written.schema["total"] == pl.Decimal(18, 2)
    assert written["total"].to_list() == [
        Decimal("0.01"),
        Decimal("-5.10"),
        Decimal("999999999999999.99"),
    ]
    assert written["refunded"].to_list() == [Decimal("0.00"), Decimal("5.10"), Decimal("0.00")]
    assert written["ordered_at"][0] == datetime(2024, 1, 1, 10, tzinfo=UTC)
    again = read_tables(out / "orders.parquet").orders.collect()
    assert again["total_cents"].to_list() == [1, -510, 99999999999999999]


@needs_data
def test_bad_input_exits_3_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "normalized"
    result = cli("normalize", ORDERS, "--customers", CUSTOMERS_2024, "--out", out)
    assert result.returncode == 3, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "row 4 (line 5) ends inside an open quote in column 'Note'" in result.stderr
    assert list(tmp_path.iterdir()) == []  # neither the folder nor its temporary one


def test_bad_cell_gives_the_build_error_and_writes_nothing(tmp_path: Path) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text(
        'order_id,email,ordered_at,total\n1,a@x.com,2024-01-01,1\n2,b@x.com,2024-01-02,"12,50"\n',
        encoding="utf-8",
    )
    result = cli("normalize", orders, "--out", tmp_path / "normalized")
    assert result.returncode == 3
    assert "row 2 (line 3), column 'total'" in result.stderr
    built = cli("build", ROOT / "rules" / "vip.yaml", orders, "-o", "-")
    assert built.stderr == result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["orders.csv"]


def test_existing_folder_is_refused_unless_replace(tmp_path: Path) -> None:
    out = tmp_path / "normalized"
    tables = api.open_tables(SAMPLE / "orders.parquet")
    api.normalize_inputs(tables, out)
    with pytest.raises(UsageError, match="not empty; pass --replace"):
        api.normalize_inputs(tables, out)
    result = api.normalize_inputs(
        api.open_tables(SAMPLE / "orders.parquet", customers=SAMPLE / "customers.parquet"),
        out,
        replace=True,
    )
    assert [t.table for t in result.tables] == ["orders", "customers"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["normalized"]
    (out / "notes.txt").write_text("mine")
    with pytest.raises(UsageError, match=r"does not write \(notes.txt\)"):
        api.normalize_inputs(tables, out, replace=True)
    empty = tmp_path / "empty"
    empty.mkdir()
    api.normalize_inputs(tables, empty)  # an empty folder is as good as none
    assert (empty / "orders.parquet").exists()


@needs_data
def test_build_finds_the_settings_beside_the_orders(tmp_path: Path) -> None:
    out = tmp_path / "uci"
    assert cli("normalize", UCI, "--config", UCI_CONFIG, "--out", out).returncode == 0
    rule = tmp_path / "repeat_buyers.yaml"  # the example's rule, away from the example's config
    rule.write_bytes((UCI_CONFIG.parent / "rules" / "repeat_buyers.yaml").read_bytes())
    args = ("--lines", out / "order_lines.parquet", "--customers", out / "customers.parquet",
            "--as-of", "2011-12-10", "--with-id", "-o", "-")  # fmt: skip
    found = cli("build", rule, out / "orders.parquet", *args)
    raw = cli("build", rule, UCI, "--config", UCI_CONFIG, "--as-of", "2011-12-10",
              "--with-id", "-o", "-")  # fmt: skip
    assert found.returncode == raw.returncode == 0, found.stderr + raw.stderr
    assert found.stdout == raw.stdout
    assert found.stdout.count("\n") > 50
    # Without those settings (cancelled invoices counted, UTC) the members differ.
    (out / "segcli.yaml").write_text("timezone: UTC\n")
    assert cli("build", rule, out / "orders.parquet", *args).stdout != raw.stdout


def test_two_configs_are_refused_rather_than_one_dropped(tmp_path: Path) -> None:
    rules, data = tmp_path / "rules", tmp_path / "data"
    rules.mkdir()
    data.mkdir()
    (rules / "segcli.yaml").write_text("timezone: UTC\n")
    (data / "segcli.yaml").write_text("timezone: Europe/London\n")
    with pytest.raises(UsageError, match="two project configs apply"):
        find_project_config(rules / "x.yaml", [data / "orders.parquet"])
    assert find_project_config(tmp_path / "x.yaml", [data / "orders.parquet"]) == (
        data / "segcli.yaml"
    )
    (data / "segcli.yaml").unlink()
    assert find_project_config(rules / "x.yaml", [data / "orders.parquet"]) == (
        rules / "segcli.yaml"
    )


@needs_data
def test_normalizing_the_normalized_tables_changes_nothing(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    api.normalize_inputs(api.open_tables(ORDERS, customers=CUSTOMERS), first)
    api.normalize_inputs(reopen(first), second)
    for name in ("orders", "order_lines", "customers", "segcli"):
        suffix = ".yaml" if name == "segcli" else ".parquet"
        a, b = first / f"{name}{suffix}", second / f"{name}{suffix}"
        if suffix == ".yaml":
            assert a.read_text() == b.read_text()
        else:
            assert pl.read_parquet(a).equals(pl.read_parquet(b)), name


def test_a_bad_cell_in_the_last_table_leaves_nothing_either(tmp_path: Path) -> None:
    reviews = tmp_path / "reviews.csv"
    reviews.write_text(
        "customer_id,sku,reviewed_at\nC00001,SKU-1001,2024-01-01\nC00002,SKU-1002,yesterday\n",
        encoding="utf-8",
    )
    out = tmp_path / "normalized"
    result = cli("normalize", SAMPLE / "orders.csv", "--customers", SAMPLE / "customers.csv",
                 "--reviews", reviews, "--out", out)  # fmt: skip
    assert result.returncode == 3, result.stderr
    assert f"{reviews}: row 2 (line 3), column 'reviewed_at'" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reviews.csv"]
