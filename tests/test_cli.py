"""The CLI as a user meets it: exit codes, stdout purity, default paths, help, errors."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from commands import segcli
from typer.testing import CliRunner

from segcli.cli import ALLOCATOR_CONF, app, command_app, tune_allocator
from segcli.errors import ExitCode
from segcli.export import EXPORT_HEADER

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "sample_data"
HEADER = (
    "Name,First Name,Last Name,Email Address,Date Registered,Country,Postal Code,Lifetime Spend"
)


def test_the_header_is_the_fixed_export_format() -> None:
    assert ",".join(EXPORT_HEADER) == HEADER


def test_build_to_stdout_prints_only_the_csv() -> None:
    result = segcli(
        "build", "rules/vip.yaml", "sample_data/orders.parquet", "--as-of", "2025-01-01", "-o", "-"
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == HEADER
    assert len(lines) > 1
    assert all(line.count(",") >= 7 for line in lines)
    assert "vip:" in result.stderr
    assert "members" in result.stderr


def test_build_writes_the_default_snapshot_path_with_a_manifest(tmp_path: Path) -> None:
    result = segcli(
        "build",
        str(ROOT / "rules/vip.yaml"),
        str(DATA / "orders.parquet"),
        "--customers",
        str(DATA / "customers.parquet"),
        "--as-of",
        "2025-01-01",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    snapshot = tmp_path / "snapshots" / "vip" / "2025-01-01.csv"
    manifest = json.loads(snapshot.with_name("2025-01-01.csv.manifest.json").read_text("utf-8"))
    assert manifest["segment_id"] == "vip"
    assert manifest["rows"] == len(snapshot.read_text("utf-8").splitlines()) - 1
    assert {Path(i["path"]).name for i in manifest["inputs"]} == {
        "orders.parquet",
        "customers.parquet",
    }
    assert result.stdout == ""
    again = segcli(
        "build",
        str(ROOT / "rules/vip.yaml"),
        str(DATA / "orders.parquet"),
        "--customers",
        str(DATA / "customers.parquet"),
        "--as-of",
        "2025-01-01",
        cwd=tmp_path,
    )
    assert again.returncode == 0
    assert "unchanged" in again.stderr


def test_a_different_result_never_overwrites_a_snapshot(tmp_path: Path) -> None:
    target = tmp_path / "vip.csv"
    args = ["build", "rules/vip.yaml", "sample_data/orders.parquet", "-o", str(target)]
    assert segcli(*args, "--as-of", "2025-01-01").returncode == 0
    original = target.read_bytes()
    refused = segcli(*args, "--as-of", "2023-01-01")
    assert refused.returncode == ExitCode.SEGMENTS_FAILED
    assert "--replace" in refused.stderr
    assert target.read_bytes() == original
    replaced = segcli(*args, "--as-of", "2023-01-01", "--replace")
    assert replaced.returncode == 0, replaced.stderr
    kept = sorted(p.name for p in tmp_path.glob("*.csv"))
    assert kept == ["vip.csv", "vip.replaced-1.csv"]
    assert (tmp_path / "vip.replaced-1.csv").read_bytes() == original


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        ("name: x\nrules:\n  order_cnt: {more_than: 2}\n", "3:3: error[unknown-field]"),
        ("name: x\nrules:\n  order_count: {more_than: many}\n", "3:28: error[wrong-type]"),
        (
            "name: x\nrules:\n  order_count: {more_than: 1, period: last 3 fortnights}\n",
            "error[unknown-period]",
        ),
        ("name: x\nname: y\nrules:\n  order_count: 1\n", "2:1: error[duplicate-key]"),
    ],
)
def test_a_bad_definition_fails_before_any_data_is_read(
    tmp_path: Path, definition: str, message: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(definition, "utf-8")
    result = segcli("build", str(path), str(tmp_path / "no-such-orders.csv"), "-o", "-")
    assert result.returncode == ExitCode.BAD_DEFINITION
    assert f"{path}:" in result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_missing_data_is_bad_input_with_one_line(tmp_path: Path) -> None:
    result = segcli("build", "rules/vip.yaml", str(tmp_path / "nope.csv"), "-o", "-")
    assert result.returncode == ExitCode.BAD_INPUT
    assert "nope.csv" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_purchased_without_lines_says_what_to_pass() -> None:
    result = segcli("build", "rules/brand_buyers.yaml", "sample_data/orders.parquet", "-o", "-")
    assert result.returncode == ExitCode.BAD_DEFINITION
    assert "--lines" in result.stderr


def test_with_id_adds_a_leading_customer_id_column() -> None:
    result = segcli(
        "build",
        "rules/vip.yaml",
        "sample_data/orders.parquet",
        "--as-of",
        "2025-01-01",
        "--with-id",
        "-o",
        "-",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == f"Customer ID,{HEADER}"


def test_validate_checks_a_whole_folder_without_data() -> None:
    result = segcli("validate", "rules")
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("ok ") == len(list((ROOT / "rules").glob("*.yaml")))


def test_schema_is_json_with_every_field() -> None:
    result = segcli("schema")
    assert result.returncode == 0
    assert json.loads(result.stdout)["$schema"].startswith("https://json-schema.org/")


def test_explain_why_and_preview_speak_plainly() -> None:
    data = [
        "sample_data/orders.parquet",
        "--customers",
        "sample_data/customers.parquet",
        "--as-of",
        "2025-01-01",
    ]
    explain = segcli("explain", "rules/vip.yaml", *data)
    assert explain.returncode == 0, explain.stderr
    assert "order_count all time is more than 2" in explain.stdout
    assert "every order counts" in explain.stdout
    assert "polars plan" in explain.stdout
    preview = segcli("preview", "rules/vip.yaml", *data, "-n", "3")
    assert preview.returncode == 0, preview.stderr
    assert "members as of" in preview.stdout
    member = segcli("build", "rules/vip.yaml", *data, "--with-id", "-o", "-")
    first_id = member.stdout.splitlines()[1].split(",")[0]
    why = segcli("why", "rules/vip.yaml", first_id, *data)
    assert why.returncode == 0, why.stderr
    assert "is a member" in why.stdout
    assert why.stdout.count("✓") == 3


def test_an_unknown_customer_in_why_is_a_usage_error() -> None:
    result = segcli("why", "rules/vip.yaml", "nobody-at-all", "sample_data/orders.parquet")
    assert result.returncode == ExitCode.BAD_DEFINITION
    assert "no customer with that id or email" in result.stderr


def test_debug_shows_a_traceback_only_when_asked(tmp_path: Path) -> None:
    quiet = segcli("build", "rules/vip.yaml", str(tmp_path / "nope.csv"), "-o", "-")
    loud = segcli("--debug", "build", "rules/vip.yaml", str(tmp_path / "nope.csv"), "-o", "-")
    assert "Traceback" not in quiet.stderr
    assert "Traceback" in loud.stderr


def test_the_cli_returns_freed_memory_unless_the_user_tuned_the_allocator() -> None:
    fresh: dict[str, str] = {}
    tune_allocator(fresh)
    assert fresh == {"_RJEM_MALLOC_CONF": ALLOCATOR_CONF}
    assert "muzzy_decay_ms:0" in ALLOCATOR_CONF
    tuned = {"_RJEM_MALLOC_CONF": "dirty_decay_ms:-1"}
    tune_allocator(tuned)
    assert tuned == {"_RJEM_MALLOC_CONF": "dirty_decay_ms:-1"}


@pytest.mark.parametrize(
    ("args", "only"),
    [
        ([], None),
        (["--help"], None),
        (["buidl"], None),
        (["build", "--help"], "build"),
        (["--debug", "run", "--help"], "run"),
        (["build"], "build"),
        (["validate", "--bogus"], "validate"),
        (["validate", "rules/vip.yaml"], "validate"),
    ],
)
def test_a_process_builds_only_its_command_and_answers_as_the_whole_app(
    args: list[str], only: str | None
) -> None:
    narrow = command_app(args)
    if only is None:
        assert narrow is app
    else:
        assert [c.callback.__name__ for c in narrow.registered_commands if c.callback] == [only]
    runner = CliRunner()
    whole, alone = runner.invoke(app, args), runner.invoke(narrow, args)
    assert (alone.exit_code, alone.output) == (whole.exit_code, whole.output)


def test_in_segment_by_name_ignores_case_in_validate_and_in_preview(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "big.yaml").write_text(
        "name: big spenders\nrules:\n  total_spend: {more_than: 500}\n", "utf-8"
    )
    (rules / "ref.yaml").write_text("name: Ref\nrules:\n  in_segment: Big Spenders\n", "utf-8")
    data = [str(DATA / "orders.parquet"), "--as-of", "2025-01-01"]
    assert segcli("validate", str(rules)).returncode == 0
    preview = segcli("preview", str(rules / "ref.yaml"), *data)
    assert preview.returncode == 0, preview.stderr
    # The same members as the segment it names, built on its own.
    ref = segcli("build", str(rules / "ref.yaml"), *data, "-o", "-")
    big = segcli("build", str(rules / "big.yaml"), *data, "-o", "-")
    assert ref.returncode == 0, ref.stderr
    assert len(big.stdout.splitlines()) > 1
    assert ref.stdout == big.stdout


def test_validate_skips_the_project_config_in_the_rules_folder(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "vip.yaml").write_bytes((ROOT / "rules" / "vip.yaml").read_bytes())
    (rules / "segcli.yaml").write_text("timezone: Europe/London\n", "utf-8")
    result = segcli("validate", str(rules))
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [f"ok  {rules / 'vip.yaml'}  (VIP customers)"]


def manifest_sha(definition: Path, out: Path) -> str:
    result = segcli(
        "build", str(definition), str(DATA / "orders.parquet"), "--as-of", "2025-01-01",
        "-o", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    manifest = json.loads(out.with_name(out.name + ".manifest.json").read_text("utf-8"))
    return str(manifest["definition_sha256"])


def test_the_definition_hash_covers_its_ids_file_and_the_segments_it_names(
    tmp_path: Path,
) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    big = rules / "big.yaml"
    big.write_text("name: Big\nrules:\n  total_spend: {more_than: 500}\n", "utf-8")
    (rules / "ids.txt").write_text("C00001\n", "utf-8")
    listed = rules / "listed.yaml"
    listed.write_text("name: Listed\nrules:\n  customer_id: {file: ids.txt}\n", "utf-8")
    ref = rules / "ref.yaml"
    ref.write_text("name: Ref\nrules:\n  in_segment: big\n", "utf-8")
    # A definition that reads no other file is hashed as `sha256sum` hashes its file.
    assert manifest_sha(big, tmp_path / "big1.csv") == hashlib.sha256(big.read_bytes()).hexdigest()
    listed_before = manifest_sha(listed, tmp_path / "listed1.csv")
    ref_before = manifest_sha(ref, tmp_path / "ref1.csv")
    (rules / "ids.txt").write_text("C00001\nC00002\n", "utf-8")
    big.write_text("name: Big\nrules:\n  total_spend: {more_than: 400}\n", "utf-8")
    assert manifest_sha(listed, tmp_path / "listed2.csv") != listed_before
    assert manifest_sha(ref, tmp_path / "ref2.csv") != ref_before
    assert manifest_sha(ref, tmp_path / "ref3.csv") == manifest_sha(ref, tmp_path / "ref4.csv")
