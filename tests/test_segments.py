"""`segcli segments CUSTOMER RULES_DIR ORDERS…`: the segments one customer is in, checked against
the reference evaluator's members of every rules/ file over sample_data/."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import reference

from segcli.errors import ExitCode

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "sample_data"
RULES = ROOT / "rules"
AS_OF = "2025-01-01"
ALL_DATA = (
    *("--lines", str(DATA / "order_lines.csv"), "--customers", str(DATA / "customers.csv")),
    *("--reviews", str(DATA / "reviews.csv"), "--as-of", AS_OF),
)
ALL_PARQUET = tuple(a.replace(".csv", ".parquet") for a in ALL_DATA)


def segments(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "segcli", "segments", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )


@pytest.fixture(scope="module")
def held() -> dict[str, set[str]]:
    """segment → the reference's members, for every rules/*.yaml."""
    data = reference.read_dataset(
        DATA / "orders.csv", DATA / "order_lines.csv", DATA / "customers.csv", DATA / "reviews.csv"
    )
    documents: dict[str, dict[str, Any]] = {}
    for path in sorted(RULES.glob("*.yaml")):
        document = reference.load_definition(path.read_text(encoding="utf-8"))
        documents[path.stem] = document
        documents.setdefault(str(document["name"]), document)
    return {
        path.stem: set(reference.member_keys(documents[path.stem], data, AS_OF, documents, RULES))
        for path in sorted(RULES.glob("*.yaml"))
    }


def _emails() -> dict[str, str]:
    with (DATA / "customers.csv").open(encoding="utf-8") as handle:
        return {row["customer_id"]: row["email"] for row in csv.DictReader(handle)}


def _customers(held: dict[str, set[str]]) -> list[str]:
    """The customer in most segments, one in none, and the two money edge-case accounts."""
    counts: dict[str, int] = {}
    for members in held.values():
        for key in members:
            counts[key] = counts.get(key, 0) + 1
    busiest = max(sorted(counts), key=lambda k: counts[k])
    nowhere = next(k for k in sorted(_emails()) if k not in counts)
    return [busiest, nowhere, "C00001", "C00002"]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])  # Parquet: only the customer's rows are cut
def test_the_segments_of_a_customer_are_the_reference_members(
    held: dict[str, set[str]], fmt: str
) -> None:
    data = ALL_DATA if fmt == "csv" else ALL_PARQUET
    for key in _customers(held):
        result = segments(key, "rules", str(DATA / f"orders.{fmt}"), *data, "--json")
        assert result.returncode == ExitCode.OK, result.stderr
        answer = json.loads(result.stdout)
        expected = sorted(segment for segment, members in held.items() if key in members)
        assert answer["member_of"] == expected, key
        assert len(answer["segments"]) == len(held)
        assert answer["unanswered"] == []


def test_a_customer_named_by_email_in_any_case(held: dict[str, set[str]]) -> None:
    key = _customers(held)[0]
    email = _emails()[key].upper()
    result = segments(email, "rules", str(DATA / "orders.parquet"), *ALL_PARQUET, "--json")
    assert result.returncode == ExitCode.OK, result.stderr
    answer = json.loads(result.stdout)
    assert answer["member_of"] == sorted(s for s, members in held.items() if key in members)


def test_the_rule_values_of_each_segment_are_printed() -> None:
    # C00002 spent 500.01 over 3 orders (sample_data/generate.py's money edge cases): a VIP
    result = segments("C00002", "rules", str(DATA / "orders.csv"), *ALL_DATA)
    assert result.returncode == ExitCode.OK, result.stderr
    assert "✓ vip  VIP customers" in result.stdout
    assert "✓ total_spend all time is more than 500  500.01" in result.stdout
    assert "✗ not in: " in result.stdout


def test_segments_the_data_cannot_answer_are_listed_apart() -> None:
    result = segments("C00002", "rules", str(DATA / "orders.csv"), "--as-of", AS_OF, "--json")
    assert result.returncode == ExitCode.OK, result.stderr
    unanswered = {u["segment"] for u in json.loads(result.stdout)["unanswered"]}
    assert {"brand_buyers", "cross_sell", "reviewed_product", "big_baskets"} <= unanswered
    assert "vip" not in unanswered


def test_an_unknown_customer_is_a_usage_error() -> None:
    result = segments("nobody@example.com", "rules", str(DATA / "orders.csv"), *ALL_DATA)
    assert result.returncode == ExitCode.BAD_DEFINITION
    assert "no customer with that id or email" in result.stderr
    assert result.stdout == ""


def test_orders_without_ids_are_found_by_the_customers_email(tmp_path: Path) -> None:
    """Orders that carry only emails belong to the customers-file id with that email: named by
    id, the customer's orders are found through their email (worked by hand: 3 orders, 600.03
    net, so a VIP; the other customer has one order)."""
    orders = pl.DataFrame(
        {
            "order_id": ["A1", "A2", "A3", "B1"],
            "email": ["Pat@Example.com", "pat@example.com", " pat@example.com", "kim@example.com"],
            "ordered_at": ["2024-01-01", "2024-02-01", "2024-03-01", "2024-03-01"],
            "total": ["200.01", "200.01", "200.01", "900.00"],
        }
    )
    customers = pl.DataFrame(
        {"customer_id": ["P1", "K1"], "email": ["pat@example.com", "kim@example.com"]}
    )
    orders.write_parquet(tmp_path / "orders.parquet")
    customers.write_parquet(tmp_path / "customers.parquet")
    for name in ("P1", "p1", "PAT@example.com"):
        result = segments(
            name, "rules", str(tmp_path / "orders.parquet"),
            "--customers", str(tmp_path / "customers.parquet"), "--as-of", AS_OF, "--json",
        )  # fmt: skip
        assert result.returncode == ExitCode.OK, result.stderr
        answer = json.loads(result.stdout)
        vip = next(s for s in answer["segments"] if s["segment"] == "vip")
        assert vip["member"], name
        assert vip["rules"][1]["value"] == "3"
        assert vip["rules"][2]["value"] == "600.03"
