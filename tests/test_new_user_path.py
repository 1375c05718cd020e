"""The path a new user takes right after `make example`, replayed on a fresh copy of the example:
the Python API on every spine kind, --full-names, the example compiled for every dialect as
shipped, environments, and the same SQL text from two clones at different paths."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fsql import Repo
from fsql.cli import main
from fsql.errors import CompileError, DefinitionError

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "fraud"
SERVICE = "fraud_detection"
DIALECTS = ("duckdb", "bigquery", "snowflake")


def _copy_example(target: Path) -> Path:
    """The example as a user clones it (no data), with small generated data."""
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("data", "__pycache__"))
    spec = importlib.util.spec_from_file_location("example_generate", target / "generate_data.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.generate(target / "data", users=200, merchants=40, transactions=2000)
    return target


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _copy_example(tmp_path_factory.mktemp("clone_a") / "fraud")


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or value != value


def _run(example: Path, out: Path, *flags: str) -> pa.Table:
    code = main(["run", "--repo", str(example), "--features", SERVICE, "--spine",
                 str(example / "data" / "transactions.parquet"), "--out", str(out), *flags])
    assert code == 0
    return pq.read_table(out)


def test_python_api_equals_the_cli_on_every_spine_kind(example: Path, tmp_path: Path) -> None:
    expected = _run(example, tmp_path / "cli.parquet").to_pandas()
    repo = Repo.load(example)
    spine_file = example / "data" / "transactions.parquet"
    spine = pq.read_table(spine_file)
    spine.to_pandas().to_csv(tmp_path / "spine.csv", index=False)
    for given in (spine.to_pandas(), spine, str(spine_file), str(tmp_path / "spine.csv")):
        got = repo.get_historical_features(SERVICE, given)
        assert list(got.columns) == list(expected.columns)
        assert len(got) == len(expected)
        for name in expected.columns:
            if name == "event_timestamp":  # CSV round trip: same instants
                assert (pd.to_datetime(got[name], utc=True)
                        == pd.to_datetime(expected[name], utc=True)).all()
                continue
            left, right = got[name].astype(object), expected[name].astype(object)
            same = [(_missing(a) and _missing(b)) or a == pytest.approx(b)
                    for a, b in zip(left, right, strict=True)]
            assert all(same), (type(given).__name__, name)
    table = repo.get_historical_features(SERVICE, spine, arrow=True)
    assert table.num_rows == spine.num_rows and table.column_names == list(expected.columns)


def test_full_names_runs_and_compiles(example: Path, tmp_path: Path) -> None:
    short = _run(example, tmp_path / "short.parquet")
    full = _run(example, tmp_path / "full.parquet", "--full-names")
    assert "user_activity__amount_avg_7d" in full.column_names
    # The derived feature reads amount_avg_7d by its definition name under both modes.
    assert full.column("amount_vs_avg_7d").to_pylist() == \
        short.column("amount_vs_avg_7d").to_pylist()
    repo = Repo.load(example)
    for dialect in DIALECTS:
        sql = repo.compile(SERVICE, "proj.fraud.spine", dialect=dialect, full_names=True)
        assert '"user_activity__amount_avg_7d"' in sql or "`user_activity__amount_avg_7d`" in sql


@pytest.mark.parametrize("dialect", DIALECTS)
def test_example_compiles_for_every_dialect_as_shipped(example: Path, dialect: str,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["compile", "--repo", str(example), "--features", SERVICE, "--spine",
                 "proj.fraud.spine", "--dialect", dialect])
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("-- fsql ") and f"dialect {dialect}" in out.splitlines()[0]
    if dialect == "duckdb":
        assert "READ_PARQUET('data/transactions.parquet')" in out
    else:
        assert "fraud.transactions" in out and "parquet" not in out.lower()


def test_example_compiles_for_postgres_with_the_spine_columns(
        example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Postgres has no SELECT * EXCEPT: the spine table's columns are named on the command."""
    code = main(["compile", "--repo", str(example), "--features", SERVICE, "--spine",
                 "fraud.spine", "--dialect", "postgres", "--spine-columns",
                 "transaction_id,user_id,merchant_id,event_timestamp,amount,is_fraud"])
    out = capsys.readouterr().out
    assert code == 0 and "dialect postgres" in out.splitlines()[0]
    assert "fraud.transactions" in out and "__fsql_o.transaction_id," in out


def test_readme_python_line(example: Path) -> None:
    sql = Repo.load(example).compile(SERVICE, "project.dataset.spine", dialect="bigquery")
    assert "`project.dataset.spine`" in sql and "`fraud.user_risk`" in sql


def test_environments_choose_tables_and_schemas(example: Path) -> None:
    repo = Repo.load(example)
    staging = repo.compile(SERVICE, "db.s.spine", dialect="snowflake", env="staging")
    assert "fraud_staging.transactions" in staging and "fraud.transactions" not in staging
    prod = repo.compile(SERVICE, "p.d.spine", env="prod")  # the environment's dialect
    assert "dialect bigquery" in prod.splitlines()[0] and "| env prod" in prod.splitlines()[0]
    assert "`acme-payments.fraud.transactions`" in prod
    duck_tables = repo.compile(SERVICE, "spine", dialect="duckdb", env="staging")
    assert "READ_PARQUET" not in duck_tables and "fraud_staging.transactions" in duck_tables
    with pytest.raises(DefinitionError, match=r"Unknown environment 'prd'. Did you mean 'prod'"):
        repo.compile(SERVICE, "spine", env="prd")


def test_two_clones_compile_to_the_same_text(example: Path,
                                             tmp_path_factory: pytest.TempPathFactory) -> None:
    other = _copy_example(tmp_path_factory.mktemp("somewhere_else") / "nested" / "fraud")
    assert other.resolve() != example.resolve()
    for dialect in DIALECTS:
        texts = [Repo.load(root).compile(SERVICE, "proj.fraud.spine", dialect=dialect)
                 for root in (example, other)]
        assert texts[0] == texts[1]
        assert str(example) not in texts[0] and str(other) not in texts[1]
    files = [Repo.load(root).compile(SERVICE, str(root / "data" / "transactions.parquet"))
             for root in (example, other)]
    assert files[0] == files[1] and "READ_PARQUET('data/transactions.parquet')" in files[0]


def test_compiled_duckdb_sql_runs_with_file_search_path(example: Path, tmp_path: Path) -> None:
    """The compiled text runs as printed from any directory once the search path is set."""
    import duckdb

    sql = Repo.load(example).compile(SERVICE, str(example / "data" / "transactions.parquet"))
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET file_search_path = ?", [str(example)])
    rows = con.execute(sql).fetchall()
    assert len(rows) == pq.read_metadata(example / "data" / "transactions.parquet").num_rows


def test_exclusive_cut_is_the_service_default(example: Path) -> None:
    repo = Repo.load(example)
    assert repo.plan(SERVICE, "spine").cut == "exclusive"
    with pytest.raises(CompileError, match=r"declares cut='exclusive', but the request asks "
                                           r"for the 'inclusive' cut"):
        repo.plan(SERVICE, "spine", cut="inclusive")


def test_definition_files_print_nothing_into_compiled_sql(
        example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (example / "noisy.py").write_text("print('hello from a definitions file')\n")
    try:
        assert main(["compile", "--repo", str(example), "--features", SERVICE, "--spine",
                     "s", "--dialect", "bigquery"]) == 0
        captured = capsys.readouterr()
        assert captured.out.startswith("-- fsql") and "hello" not in captured.out
        assert "hello from a definitions file" in captured.err
    finally:
        (example / "noisy.py").unlink()
