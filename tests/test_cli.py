"""The ``fsql`` command: a user mistake prints one line (``fsql: error: ...``) on stderr and
exits 2, never a traceback; ``compile`` prints SQL every dialect parses; ``run`` writes the
training set the oracle expects."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
import sqlglot
from sqlglot import exp

from fsql import Repo, oracle
from fsql.cli import main
from fsql.plan.nodes import SpineRef
from fsql.sql.dialect import available, get_dialect

FSQL = Path(sys.executable).with_name("fsql")

PATH_REPO = textwrap.dedent("""\
    from fsql import Entity, FeatureService, FeatureView, Field, Source

    user = Entity("user", join_keys=["user_id"])
    stats = FeatureView(
        "user_stats", entities=[user], ttl="2d",
        source=Source("txn", path="data/txn.parquet", timestamp_field="ts"),
        features=[Field("amount", "float64"), Field("n", "int64", default=0)])
    svc = FeatureService("svc", features=[stats])
""")
TABLE_REPO = textwrap.dedent("""\
    from fsql import Entity, FeatureService, FeatureView, Field, Source

    user = Entity("user", join_keys=["user_id"])
    merchant = Entity("merchant", join_keys=["merchant_id"])
    stats = FeatureView(
        "user_stats", entities=[user], ttl="7d",
        source=Source("txn", table="analytics.txn_features", timestamp_field="ts",
                      created_timestamp_field="created"),
        features=[Field("amount", "float64"), Field("tier", "string", default="none")])
    risk = FeatureView(
        "merchant_risk", entities=[merchant], ttl="30d",
        source=Source("risk", query="SELECT merchant_id, ts, score FROM analytics.risk",
                      timestamp_field="ts"),
        features=[Field("score", "decimal(10,2)")])
    svc = FeatureService("svc", features=[stats, risk[["score"]]])
""")
TXN_ROWS: list[dict[str, Any]] = [
    {"user_id": 1, "ts": datetime(2024, 1, 1), "amount": 1.5, "n": 1},
    {"user_id": 1, "ts": datetime(2024, 1, 3), "amount": None, "n": 2},
    {"user_id": 2, "ts": datetime(2024, 1, 2), "amount": 7.0, "n": 5},
]
SPINE_ROWS: list[dict[str, Any]] = [
    {"user_id": 2, "event_timestamp": datetime(2024, 1, 2, 6), "label": "b"},
    {"user_id": 1, "event_timestamp": datetime(2024, 1, 2), "label": "a"},
    {"user_id": 1, "event_timestamp": datetime(2024, 1, 2), "label": "c"},
    {"user_id": 1, "event_timestamp": datetime(2024, 1, 9), "label": "d"},
    {"user_id": 3, "event_timestamp": datetime(2024, 1, 3), "label": "e"},
]


@pytest.fixture
def path_repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "data").mkdir(parents=True)
    (root / "features.py").write_text(PATH_REPO)
    pq.write_table(pa.Table.from_pylist(TXN_ROWS), root / "data" / "txn.parquet")
    return root


@pytest.fixture
def table_repo(tmp_path: Path) -> Path:
    root = tmp_path / "tables"
    root.mkdir()
    (root / "features.py").write_text(TABLE_REPO)
    (root / "fsql.toml").write_text('[project]\nname = "demo"\ndialect = "snowflake"\n')
    return root


@pytest.fixture
def spine_parquet(tmp_path: Path) -> Path:
    path = tmp_path / "spine.parquet"
    pq.write_table(pa.Table.from_pylist(SPINE_ROWS), path)
    return path


def _one_error_line(err: str) -> str:
    """The single stderr line of a failed command (asserting there is exactly one)."""
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("fsql: error: ")
    return lines[0]


# -- mistakes ------------------------------------------------------------------------------
@pytest.mark.parametrize(("argv", "expected"), [
    ([], "the following arguments are required: command"),
    (["bogus"], "invalid choice: 'bogus'"),
    (["compile", "--features", "svc"], "the following arguments are required: --spine"),
    (["run", "--features", "svc", "--spine", "s.parquet", "--out", "o.parquet",
      "--cut", "sideways"], "argument --cut: invalid choice: 'sideways'"),
    (["compile", "--features", "svc", "--spine", "t", "--unknown-flag"],
     "unrecognized arguments: --unknown-flag"),
])
def test_usage_errors_print_one_line_and_exit_2(argv: list[str], expected: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    captured = capsys.readouterr()
    assert expected in _one_error_line(captured.err)
    assert captured.out == ""


def _fails(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    return _one_error_line(captured.err)


def test_missing_repo_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = _fails(["compile", "--repo", str(tmp_path / "nope"), "--features", "svc",
                   "--spine", "t"], capsys)
    assert "is not a directory; pass --repo DIR" in line


def test_bad_dialect(table_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = _fails(["compile", "--repo", str(table_repo), "--features", "svc", "--spine", "t",
                   "--dialect", "duckbd"], capsys)
    assert "Unknown dialect 'duckbd'. Did you mean 'duckdb'?" in line


def test_postgres_needs_the_columns_of_a_table_spine(table_repo: Path, path_repo: Path,
                                                     spine_parquet: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    line = _fails(["compile", "--repo", str(table_repo), "--features", "svc", "--spine",
                   "analytics.spine", "--dialect", "postgres"], capsys)
    assert "postgres has no SELECT * EXCEPT" in line and "--spine-columns a,b,c" in line
    line = _fails(["compile", "--repo", str(path_repo), "--features", "svc", "--spine",
                   str(spine_parquet), "--spine-columns", "a"], capsys)
    assert "--spine-columns is for a table or query spine" in line


@pytest.mark.parametrize("command", ["compile", "run"])
def test_spine_file_that_does_not_exist(command: str, path_repo: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    extra = ["--out", str(tmp_path / "out.parquet")] if command == "run" else []
    line = _fails([command, "--repo", str(path_repo), "--features", "svc",
                   "--spine", str(tmp_path / "missing.parquet"), *extra], capsys)
    assert "missing.parquet' does not exist" in line
    assert not (tmp_path / "out.parquet").exists()


@pytest.mark.parametrize("name", ["out.json", "out", "out.parquet.bak"])
def test_output_with_a_bad_suffix(name: str, path_repo: Path, spine_parquet: Path,
                                  tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = _fails(["run", "--repo", str(path_repo), "--features", "svc",
                   "--spine", str(spine_parquet), "--out", str(tmp_path / name)], capsys)
    assert f"Output '{tmp_path / name}': use a file name ending in .parquet, .csv" in line
    assert not (tmp_path / name).exists()


def test_output_directory_that_cannot_be_created(path_repo: Path, spine_parquet: Path,
                                                 tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    line = _fails(["run", "--repo", str(path_repo), "--features", "svc",
                   "--spine", str(spine_parquet), "--out", str(blocker / "out.parquet")], capsys)
    assert "cannot write there" in line


def test_unknown_service(path_repo: Path, spine_parquet: Path,
                         capsys: pytest.CaptureFixture[str]) -> None:
    line = _fails(["compile", "--repo", str(path_repo), "--features", "sv",
                   "--spine", str(spine_parquet)], capsys)
    assert "Unknown feature service 'sv'. Did you mean 'svc'?" in line


def test_engine_failure_is_one_line(path_repo: Path, spine_parquet: Path, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    """DuckDB appends the failing SQL to its messages; the CLI still prints one line."""
    (path_repo / "data" / "txn.parquet").write_bytes(b"PAR1 garbage PAR1")
    line = _fails(["run", "--repo", str(path_repo), "--features", "svc",
                   "--spine", str(spine_parquet), "--out", str(tmp_path / "o.parquet")], capsys)
    assert "Source 'txn'" in line and "cannot read" in line


@pytest.mark.parametrize(("argv", "expected"), [
    (["compile", "--repo", "{tmp}/nope", "--features", "svc", "--spine", "t"],
     "is not a directory"),
    (["run", "--features", "svc", "--spine", "s.parquet"],
     "the following arguments are required: --out"),
])
def test_the_installed_command_prints_no_traceback(argv: list[str], expected: str,
                                                   tmp_path: Path) -> None:
    assert FSQL.exists(), f"the fsql executable should be installed next to {sys.executable}"
    proc = subprocess.run([str(FSQL), *[a.format(tmp=tmp_path) for a in argv]],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert expected in _one_error_line(proc.stderr)


# -- happy paths ---------------------------------------------------------------------------
@pytest.mark.parametrize("dialect", available())
def test_compile_prints_sql_the_dialect_parses(dialect: str, table_repo: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    # Without SELECT * EXCEPT (postgres) the output lists the spine's columns: name them.
    columns = [] if "star_except" in get_dialect(dialect).capabilities else [
        "--spine-columns", "user_id, merchant_id,event_timestamp"]
    code = main(["compile", "--repo", str(table_repo), "--features", "svc",
                 "--spine", "analytics.spine", "--dialect", dialect, *columns])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert captured.err == ""
    tree = sqlglot.parse_one(captured.out, read=get_dialect(dialect).sqlglot)
    assert isinstance(tree, exp.Select)
    assert tree.named_selects[-3:] == ["amount", "tier", "score"]
    if columns:
        assert tree.named_selects[:3] == ["user_id", "merchant_id", "event_timestamp"]
    tables = {t.name for t in tree.find_all(exp.Table)}
    assert {"spine", "txn_features", "risk"} <= tables


def test_compile_uses_the_dialect_of_fsql_toml(table_repo: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compile", "--repo", str(table_repo), "--features", "svc",
                 "--spine", "analytics.spine"]) == 0
    default = capsys.readouterr().out
    assert main(["compile", "--repo", str(table_repo), "--features", "svc",
                 "--spine", "analytics.spine", "--dialect", "snowflake"]) == 0
    assert default == capsys.readouterr().out
    assert "MATCH_CONDITION" in default  # Snowflake's ASOF JOIN


def _expected(repo_dir: Path) -> list[dict[str, Any]]:
    plan = Repo.load(repo_dir).plan("svc", SpineRef("table", "spine"))
    return oracle.evaluate(plan, SPINE_ROWS, {"txn": TXN_ROWS})


@pytest.mark.parametrize("spine_format", ["parquet", "csv"])
@pytest.mark.parametrize("out_name", ["training.parquet", "training.csv"])
def test_run_writes_the_training_set(spine_format: str, out_name: str, path_repo: Path,
                                     spine_parquet: Path, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    spine = spine_parquet
    if spine_format == "csv":
        spine = tmp_path / "spine.csv"
        pacsv.write_csv(pq.read_table(spine_parquet), spine)
    out = tmp_path / "out" / out_name
    code = main(["run", "--repo", str(path_repo), "--features", "svc", "--spine", str(spine),
                 "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    expected = _expected(path_repo)
    nulls = sum(row["amount"] is None for row in expected)
    assert captured.out.startswith(f"wrote {out}: {len(SPINE_ROWS)} rows, 2 features")
    assert f"amount  NULL {nulls} ({100 * nulls / len(SPINE_ROWS):.1f}%)" in captured.out
    written = (pq.read_table(out) if out_name.endswith(".parquet")
               else pacsv.read_csv(out)).to_pylist()
    # CSV loses the naive/aware distinction of timestamps: compare instants.
    def norm(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: oracle.to_micros(v) if isinstance(v, datetime) else v
                 for k, v in row.items()} for row in rows]
    assert norm(written) == norm(expected)
    assert [row["label"] for row in written] == ["b", "a", "c", "d", "e"]
