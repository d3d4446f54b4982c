"""The Spark engine gives the Polars engine's snapshots, byte for byte.

One local[2] session serves every test (starting one costs seconds); each comparison puts many
segments into one plan, so a shop costs one Spark job. Without Java or PySpark these tests are
skipped with the reason, except in CI (`CI` set), where that is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import random_shops as shops
from typer.testing import CliRunner

from segcli import api
from segcli.cli import app
from segcli.errors import InputError, UsageError
from segcli.export import render_csv
from segcli.inputs.config import load_settings
from segcli.inputs.settings import MoneyFormat, Settings
from segcli.manifest import manifest_path
from segcli.plan import EXPORT_COLUMNS, segment_column
from segcli.spec.model import Definition
from segcli.verify import verify_snapshot

pytestmark = pytest.mark.spark
ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
GOLDEN = Path(__file__).resolve().parent / "golden"
GOLDEN_CASES = sorted(p for p in GOLDEN.iterdir() if (p / "definition.yaml").is_file())
UNICODE = Path(__file__).resolve().parent / "spark_unicode"
SHOPS = int(os.environ.get("SEGCLI_SPARK_SHOPS", "10"))
DEFINITIONS_PER_SHOP = 6


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"the Spark tests must run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One local Spark session on two cores for every test (the engine finds it as the active
    session)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        _unavailable("PySpark is not installed (pip install 'segcli[spark]')")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        _unavailable("Java is not installed (the Spark engine needs Java 17)")
    session = (
        SparkSession.builder.master("local[2]")
        .appName("segcli-tests")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        # Tables of a few rows: compiling code for a query costs more than running it
        # (interpreted expressions give the same results: this only changes the speed).
        .config("spark.sql.codegen.wholeStage", "false")
        .config("spark.sql.codegen.factoryMode", "NO_CODEGEN")
        .config("spark.sql.adaptive.enabled", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def snapshots(
    segments: Sequence[Definition],
    orders: Path,
    as_of: object,
    *,
    engine: str,
    library: Sequence[Definition] = (),
    lines: Path | None = None,
    customers: Path | None = None,
    reviews: Path | None = None,
    timezone: str = "UTC",
) -> dict[str, bytes]:
    """Each segment's snapshot bytes (with the Customer ID column), from one members table."""
    settings = Settings(timezone=timezone)
    tables = api.open_tables(
        orders, engine=engine, lines=lines, customers=customers, reviews=reviews, settings=settings
    )
    instant = api.effective_as_of(None, as_of, tables.settings)  # type: ignore[arg-type]
    table = api.members_table(segments, tables, instant, library)
    return {
        d.segment_id: render_csv(
            table.filter(pl.col(segment_column(d))).select(EXPORT_COLUMNS),
            timezone=tables.settings.timezone,
            with_id=True,
        )
        for d in segments
    }


def assert_same(polars: dict[str, bytes], spark: dict[str, bytes], context: str) -> None:
    differ = [name for name in polars if polars[name] != spark[name]]
    details = "\n".join(
        f"--- {name}\npolars:\n{polars[name].decode()}\nspark:\n{spark[name].decode()}"
        for name in differ[:3]
    )
    assert not differ, f"{context}: {len(differ)} segment(s) differ: {differ}\n{details}"


def test_every_rule_over_sample_data_gives_the_same_bytes(spark: Any) -> None:
    """Parquet here (typed columns); the golden cases and random shops read CSV."""
    del spark
    fmt = "parquet"
    rules = api.load_definitions([ROOT / "rules"])
    both = [
        snapshots(
            rules,
            SAMPLE / f"orders.{fmt}",
            "2025-01-01",
            engine=e,
            library=rules,
            lines=SAMPLE / f"order_lines.{fmt}",
            customers=SAMPLE / f"customers.{fmt}",
            reviews=SAMPLE / f"reviews.{fmt}",
        )
        for e in ("polars", "spark")
    ]
    assert sum(b.count(b"\n") - 1 for b in both[0].values()) > 1000, "sample segments are empty"
    assert_same(both[0], both[1], f"rules/ over sample_data/*.{fmt}")


def test_cli_build_with_spark_writes_the_same_snapshot(spark: Any) -> None:
    del spark
    runner = CliRunner()
    common = ["build", "rules/vip.yaml", "sample_data/orders.parquet", "--lines",
              "sample_data/order_lines.parquet", "--customers", "sample_data/customers.parquet",
              "--as-of", "2025-01-01", "-o", "-"]  # fmt: skip
    cwd = Path.cwd()
    os.chdir(ROOT)
    try:
        polars = runner.invoke(app, common)
        spark_run = runner.invoke(app, [*common, "--engine", "spark"])
    finally:
        os.chdir(cwd)
    assert polars.exit_code == 0, polars.stderr
    assert spark_run.exit_code == 0, spark_run.stderr
    assert spark_run.stdout_bytes == polars.stdout_bytes
    assert spark_run.stdout_bytes.count(b"\n") > 100


def _golden_args(case: Path) -> list[str]:
    import shlex

    args = ["build", "definition.yaml", "orders.csv"]
    for option, name in (("--lines", "order_lines.csv"), ("--customers", "customers.csv"),
                         ("--reviews", "reviews.csv")):  # fmt: skip
        if (case / name).is_file():
            args += [option, name]
    extra = case / "args.txt"
    if extra.is_file():
        args += shlex.split(extra.read_text(encoding="utf-8"), comments=True)
    return [*args, "-o", "-", "--engine", "spark"]


@pytest.mark.parametrize("case", GOLDEN_CASES, ids=[c.name for c in GOLDEN_CASES])
def test_golden_case_on_spark(spark: Any, case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    del spark
    monkeypatch.chdir(case)
    result = CliRunner().invoke(app, _golden_args(case))
    assert result.exit_code == 0, result.stderr
    assert result.stdout_bytes == (case / "expected.csv").read_bytes(), result.stdout


def _random_shop(seed: int, folder: Path) -> tuple[list[Definition], object, dict[str, Path]]:
    """A random shop (tests/random_shops.py) and several random definitions
    over it, written to `folder`."""
    g = shops.Gen(seed)
    shop = shops.make_shop(g)
    documents: dict[str, dict[str, Any]] = {}
    for number in range(DEFINITIONS_PER_SHOP):
        rule = shops.rules(g, shop) if number % 2 else shops.leaf(g, shop)
        documents[f"gen{number}"] = shops.document(g, rule, name=f"Generated {number}")
    first, *others = documents.items()
    example = shops.Example(shop, first[1], dict(others))
    paths = shops.write_files(folder, example)
    paths[first[0]] = paths.pop("gen")
    definitions = [_parse(paths[stem], stem) for stem in documents]
    return definitions, shop.as_of, paths


def _parse(path: Path, stem: str) -> Definition:
    text = path.read_text(encoding="utf-8")
    return api.parse_definition(text, source=str(path), segment_id=stem, base_dir=path.parent)


ZONED = [(seed, "UTC") for seed in range(SHOPS)]
ZONED += [(SHOPS, "Europe/London"), (SHOPS + 1, "America/New_York"), (SHOPS + 2, "Asia/Kolkata")]


@pytest.mark.parametrize(("seed", "timezone"), ZONED)
def test_random_shops_and_definitions_give_the_same_bytes(
    spark: Any, seed: int, timezone: str
) -> None:
    """Local times in the project time zone, calendar days and periods there: the same."""
    del spark
    with tempfile.TemporaryDirectory() as tmp:
        definitions, as_of, paths = _random_shop(seed, Path(tmp))
        both = [
            snapshots(
                definitions,
                paths["orders"],
                as_of,
                engine=e,
                lines=paths["order_lines"],
                customers=paths["customers"],
                reviews=paths["reviews"],
                timezone=timezone,
            )
            for e in ("polars", "spark")
        ]
    assert_same(both[0], both[1], f"random shop {seed} in {timezone}")


# Hand-worked members of each segment of tests/spark_unicode/ (see its README.md).
UNICODE_MEMBERS = {
    "kelvin": ["U1"],
    "no_break_space": ["U2"],
    "ideographic_space": ["U3"],
    "tab": ["U4"],
    "dotted_i": ["U5"],
    "final_sigma": ["U6"],
    "plus_separator": ["U7"],
    "dot_in_code": ["U8"],
}


def test_unicode_fixtures_on_both_engines(spark: Any) -> None:
    del spark
    definitions = api.load_definitions([UNICODE])
    for engine in ("polars", "spark"):
        found = snapshots(definitions, UNICODE / "orders.csv", "2025-01-01", engine=engine,
                          customers=UNICODE / "customers.csv")  # fmt: skip
        members = {
            name: [line.split(",", 1)[0] for line in data.decode().splitlines()[1:]]
            for name, data in found.items()
        }
        assert members == UNICODE_MEMBERS, engine


def test_customer_values_say_which_rules_held(spark: Any) -> None:
    del spark
    from segcli.backends import load_engine

    definitions = {d.segment_id: d for d in api.load_definitions([UNICODE])}
    kelvin, sigma = definitions["kelvin"], definitions["final_sigma"]
    tables = api.open_tables(
        UNICODE / "orders.csv", engine="spark", customers=UNICODE / "customers.csv"
    )
    plan = api.plan_segments(
        [kelvin], tables, api.effective_as_of(kelvin, "2025-01-01", tables.settings)
    )
    engine = load_engine("spark")
    rows = engine.customer_values(
        plan, tables, [" u1@EXAMPLE.com", "U6", "nobody"], [kelvin.rule, sigma.rule]
    )
    found = {r["customer_key"]: (r["rule0"], r["rule1"], r[segment_column(kelvin)]) for r in rows}
    assert found == {"U1": (True, False, True), "U6": (False, True, False)}
    assert "== Physical Plan ==" in engine.explain_plan(plan, tables)


SHARED = ROOT.parent / "shared" / "data"


@pytest.mark.parametrize(
    ("table", "name"),
    [
        ("orders", "shopify_enavant_orders_export_1.pseudonymized.csv"),
        ("customers", "shopify_customers_export_2024_truncated.pseudonymized.csv"),
    ],
)
def test_a_shopify_export_is_refused_with_the_way_out(spark: Any, table: str, name: str) -> None:
    del spark
    export = SHARED / name
    orders, customers = (export, None) if table == "orders" else (SAMPLE / "orders.csv", export)
    with pytest.raises(InputError, match=f"Shopify {table} export; run `segcli normalize` first"):
        api.open_tables(orders, customers=customers, engine="spark")


def test_a_local_shopify_export_is_refused_before_a_session_starts(
    spark: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Starting a JVM takes seconds: a layout the engine refuses is refused first."""
    del spark  # only for the skip when PySpark or Java is missing
    import segcli.backends.spark as engine

    def no_session() -> None:
        raise AssertionError("a Spark session was started")

    monkeypatch.setattr(engine, "spark_session", no_session)
    orders = SHARED / "shopify_enavant_orders_export_1.pseudonymized.csv"
    with pytest.raises(InputError, match="Shopify orders export; run `segcli normalize` first"):
        api.open_tables(orders, engine="spark")
    with pytest.raises(UsageError, match="unknown time zone 'Mars/Base'"):
        api.open_tables(SAMPLE / "orders.csv", settings=Settings("Mars/Base"), engine="spark")


def test_settings_for_the_single_machine_readers_are_refused(spark: Any) -> None:
    del spark
    euro = Settings(money=MoneyFormat(decimal_separator=","), date_format="%d/%m/%Y")
    with pytest.raises(UsageError, match=r"`money:`, `date_format:` need .*segcli normalize"):
        api.open_tables(SAMPLE / "orders.csv", engine="spark", settings=euro)


def test_a_local_time_skipped_by_daylight_saving_is_bad_input(spark: Any, tmp_path: Path) -> None:
    """01:30 on 2024-03-31 never happened in London: an error on both engines, not a guess."""
    del spark
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "order_id,customer_id,ordered_at,total\n1,C1,2024-03-31 01:30:00,10.00\n",
        encoding="utf-8",
    )
    vip = api.load_definitions([ROOT / "rules" / "vip.yaml"])
    for engine in ("polars", "spark"):
        with pytest.raises(InputError, match=r"orders\.csv.*ordered_at"):
            snapshots(vip, orders, "2025-01-01", engine=engine, timezone="Europe/London")


def test_a_bad_money_cell_names_the_file_and_column(spark: Any, tmp_path: Path) -> None:
    del spark
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "order_id,customer_id,ordered_at,total\n1,C1,2024-01-01,10.00\n2,C1,2024-01-02,1.234\n",
        encoding="utf-8",
    )
    vip = api.load_definitions([ROOT / "rules" / "vip.yaml"])
    with pytest.raises(InputError, match=r"orders\.csv: column 'total': .*money"):
        snapshots(vip, orders, "2025-01-01", engine="spark")


def test_a_ragged_csv_row_is_bad_input(spark: Any, tmp_path: Path) -> None:
    del spark
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "order_id,customer_id,ordered_at,total\n1,C1,2024-01-01,10.00\n2,C1,2024-01-02\n",
        encoding="utf-8",
    )
    vip = api.load_definitions([ROOT / "rules" / "vip.yaml"])
    with pytest.raises(InputError, match=r"orders\.csv: cannot read .*more or fewer fields"):
        snapshots(vip, orders, "2025-01-01", engine="spark")


def test_a_spark_snapshot_fingerprints_its_inputs_by_size_and_time(
    spark: Any, tmp_path: Path
) -> None:
    """Hashing terabytes for every snapshot is not practical: a Spark build's manifest records
    each input's size and modification time, says so, and still verifies."""
    del spark
    files = [ROOT / "sample_data" / f"{t}.parquet" for t in ("orders", "customers")]
    out = tmp_path / "vip.csv"
    args = ["build", str(ROOT / "rules" / "vip.yaml"), str(files[0]), "--customers",
            str(files[1]), "--as-of", "2025-01-01", "-o", str(out),
            "--engine", "spark"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.stderr
    document = json.loads(manifest_path(out).read_text(encoding="utf-8"))
    assert document["input_fingerprint"] == "size-mtime"
    expected = [
        {
            "path": str(f.absolute()),
            "size": f.stat().st_size,
            "modified": datetime.fromtimestamp(f.stat().st_mtime, UTC).isoformat(),
        }
        for f in files
    ]
    assert document["inputs"] == expected
    assert verify_snapshot(out).ok


def test_why_on_spark_says_what_the_default_engine_says(spark: Any) -> None:
    del spark
    common = ["why", str(ROOT / "rules" / "lapsed_big_spenders.yaml"), "C00007",
              str(ROOT / "sample_data" / "orders.parquet"), "--customers",
              str(ROOT / "sample_data" / "customers.parquet"), "--as-of", "2025-01-01"]  # fmt: skip
    polars = CliRunner().invoke(app, common)
    spark_run = CliRunner().invoke(app, [*common, "--engine", "spark"])
    assert polars.exit_code == 0, polars.stderr
    assert spark_run.exit_code == 0, spark_run.stderr
    assert spark_run.stdout == polars.stdout
    assert "total_spend" in polars.stdout


def test_normalized_shopify_exports_give_the_same_snapshots_on_spark(
    spark: Any, tmp_path: Path
) -> None:
    """The bridge to a cluster: `segcli normalize` of the real Shopify exports, then Spark over
    the canonical tables, gives every segment the default engine gives on the raw exports."""
    del spark
    data = ROOT.parent / "shared" / "data"
    orders = data / "shopify_enavant_orders_export_1.pseudonymized.csv"
    customers = data / "shopify_enavant_customers_export_1.pseudonymized.csv"
    raw = api.open_tables(orders, customers=customers)
    out = tmp_path / "canonical"
    api.normalize_inputs(raw, out)
    canonical = api.open_tables(
        out / "orders.parquet",
        lines=out / "order_lines.parquet",
        customers=out / "customers.parquet",
        settings=load_settings(out / "segcli.yaml"),
        engine="spark",
    )
    rules = api.load_definitions([ROOT / "rules"])
    as_of = api.effective_as_of(None, "2022-01-12", raw.settings)
    answerable = [d for d in rules if _answerable(d, raw, as_of, rules)]
    assert len(answerable) >= 20
    both = []
    for tables in (raw, canonical):
        table = api.members_table(answerable, tables, as_of, rules)
        both.append({
            d.segment_id: render_csv(
                table.filter(pl.col(segment_column(d))).select(EXPORT_COLUMNS),
                timezone=tables.settings.timezone,
                with_id=True,
            )
            for d in answerable
        })  # fmt: skip
    assert_same(both[0], both[1], "rules/ over the normalized Shopify exports")
    assert sum(body.count(b"\n") - 1 for body in both[0].values()) > 100


def _answerable(definition: Definition, tables: Any, as_of: Any, rules: Any) -> bool:
    """Whether the data can answer the segment (no reviews file, no registration date)."""
    try:
        api.plan_segments([definition], tables, as_of, rules)
    except (UsageError, InputError):
        return False
    return True
