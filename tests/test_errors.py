"""Every user mistake raises one of fsql's typed errors, naming the definition (file:line) and
saying how to fix it. One test per mistake: the exception type and the key parts of its message.
"""

from __future__ import annotations

import re
import textwrap
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fsql import (
    CompileError,
    DefinitionError,
    Entity,
    ExecutionError,
    FeatureService,
    FeatureView,
    Field,
    FsqlError,
    Repo,
    Source,
    UnsupportedError,
)
from fsql.durations import parse_duration
from fsql.engines.runner import run_training_set
from fsql.plan.nodes import SpineRef

HEADER = "from fsql import Entity, FeatureService, FeatureView, Field, Source\n"
DEFINITIONS = HEADER + textwrap.dedent("""\
    user = Entity("user", join_keys=["user_id"])
    src = Source("txn", path="data/txn.parquet", timestamp_field="ts")
    stats = FeatureView("user_stats", entities=[user], source=src, ttl="7d",
                        features=[Field("amount", "float64"), Field("tier", "string")])
    svc = FeatureService("fraud", features=[stats])
""")


def _write(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def _line(text: str, marker: str) -> int:
    """1-based number of the first line of ``text`` containing ``marker``."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if marker in line)


def _txn_parquet(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({
        "user_id": pa.array([1, 2], type=pa.int64()),
        "ts": pa.array([datetime(2024, 1, 1), datetime(2024, 1, 2)], type=pa.timestamp("us")),
        "amount": [1.0, 2.0],
        "tier": ["a", "b"],
    }), path)


@pytest.fixture
def repo_dir(tmp_path: Path) -> Path:
    root = _write(tmp_path / "repo", {"features.py": DEFINITIONS})
    _txn_parquet(root / "data" / "txn.parquet")
    return root


def _spine(path: Path, columns: dict[str, pa.Array]) -> Path:
    pq.write_table(pa.table(columns), path)
    return path


def _good_spine(tmp_path: Path) -> Path:
    return _spine(tmp_path / "spine.parquet", {
        "user_id": pa.array([1], type=pa.int64()),
        "event_timestamp": pa.array([datetime(2024, 1, 3)], type=pa.timestamp("us")),
    })


def test_every_error_shares_one_root() -> None:
    assert issubclass(DefinitionError, FsqlError)
    assert issubclass(CompileError, FsqlError)
    assert issubclass(UnsupportedError, CompileError)
    assert issubclass(ExecutionError, FsqlError)
    assert not issubclass(ExecutionError, CompileError)


# -- definitions ---------------------------------------------------------------------------
def test_view_naming_an_entity_instead_of_passing_it(tmp_path: Path) -> None:
    text = HEADER + textwrap.dedent("""\
        src = Source("txn", table="txn", timestamp_field="ts")
        stats = FeatureView("user_stats", entities=["user"], source=src,
                            features=[Field("amount", "float64")])
    """)
    root = _write(tmp_path / "repo", {"views.py": text})
    with pytest.raises(DefinitionError) as info:
        Repo.load(root)
    message = str(info.value)
    assert f"FeatureView 'user_stats' ({root / 'views.py'}:{_line(text, 'FeatureView(')})" \
        in message
    assert "unknown entity 'user'" in message
    assert "Entity('user', join_keys=[...])" in message


def test_view_with_a_non_entity_object(tmp_path: Path) -> None:
    src = Source("txn", table="txn", timestamp_field="ts")
    with pytest.raises(DefinitionError, match=r"entities must be Entity objects, got 42"):
        FeatureView("v", entities=[42], source=src,  # type: ignore[list-item]
                    features=[Field("amount", "float64")])


def test_view_with_a_single_entity_instead_of_a_list() -> None:
    user = Entity("user", join_keys=["user_id"])
    src = Source("txn", table="txn", timestamp_field="ts")
    with pytest.raises(DefinitionError) as info:
        FeatureView("v", entities=user, source=src,  # type: ignore[arg-type]
                    features=[Field("amount", "float64")])
    assert "entities= must be a list" in str(info.value)
    assert "entities=[user]" in str(info.value)
    assert f"{__file__}:" in str(info.value)


def test_join_key_map_naming_a_non_key() -> None:
    user = Entity("user", join_keys=["user_id"])
    view = FeatureView("stats", entities=[user], features=[Field("amount", "float64")],
                       source=Source("txn", table="txn", timestamp_field="ts"))
    with pytest.raises(DefinitionError) as info:
        view.with_join_key_map({"userid": "buyer_id"})
    message = str(info.value)
    assert "FeatureView 'stats'" in message
    assert "['userid']" in message and "not join keys" in message
    assert "['user_id']" in message
    assert re.search(rf"with_join_key_map \({re.escape(__file__)}:\d+\)", message)


def test_feature_missing_from_a_path_source(tmp_path: Path) -> None:
    text = DEFINITIONS.replace('Field("amount", "float64")', 'Field("amout", "float64")')
    root = _write(tmp_path / "repo", {"features.py": text})
    _txn_parquet(root / "data" / "txn.parquet")
    repo = Repo.load(root)  # the file's columns are checked when a request is planned
    with pytest.raises(DefinitionError) as info:
        repo.plan("fraud", SpineRef("table", "spine"))
    message = str(info.value)
    assert f"FeatureView 'user_stats' ({root / 'features.py'}:{_line(text, 'FeatureView(')})" \
        in message
    assert "'amout' is not a column of source 'txn'" in message
    assert "user_id, ts, amount, tier" in message
    assert "Did you mean 'amount'?" in message
    assert "field_mapping={'amount': 'amout'}" in message


def test_field_mapping_naming_a_column_the_file_lacks(repo_dir: Path) -> None:
    view = FeatureView(
        "stats", entities=[Entity("user", join_keys=["user_id"])],
        source=Source("txn", path="data/txn.parquet", timestamp_field="ts",
                      field_mapping={"amt": "amount"}),
        features=[Field("amount", "float64")])
    repo = Repo.from_objects([view], root=repo_dir)
    with pytest.raises(DefinitionError) as info:
        repo.plan("stats", SpineRef("table", "spine"))
    assert "'amount' (column 'amt') is not a column of source 'txn'" in str(info.value)


def test_two_definitions_with_one_name_in_two_files(tmp_path: Path) -> None:
    a = HEADER + 'user = Entity("user", join_keys=["user_id"])\n'
    b = HEADER + '\n\ncustomer = Entity("user", join_keys=["customer_id"])\n'
    root = _write(tmp_path / "repo", {"a.py": a, "b.py": b})
    with pytest.raises(DefinitionError) as info:
        Repo.load(root)
    message = str(info.value)
    assert "Entity definitions are named 'user'" in message
    assert f"{root / 'a.py'}:2" in message
    assert f"{root / 'b.py'}:4" in message
    assert "rename one" in message


def test_one_definition_imported_by_another_file_is_not_a_duplicate(tmp_path: Path) -> None:
    root = _write(tmp_path / "repo", {
        "entities.py": HEADER + 'user = Entity("user", join_keys=["user_id"])\n',
        "views.py": HEADER + textwrap.dedent("""\
            from entities import user
            v = FeatureView("v", entities=[user], features=[Field("a", "int64")],
                            source=Source("s", table="t", timestamp_field="ts"))
        """),
    })
    repo = Repo.load(root)
    assert sorted(repo.entities) == ["user"]
    assert sorted(repo.views) == ["v"]


@pytest.mark.parametrize(("ttl", "expected"), [
    ("7 days", "Did you mean '7d'?"),
    ("2 hours 30 minutes", "Did you mean '2h30m'?"),
    ("1mo", "write it in days instead"),
    ("1 year", "write it in days instead"),
    ("1.5h", "write whole units such as"),
    ("0d", "must be positive"),
    ("99999999999d", "too long"),
])
def test_bad_ttl(ttl: str, expected: str) -> None:
    src = Source("txn", table="txn", timestamp_field="ts")
    with pytest.raises(DefinitionError) as info:
        FeatureView("stats", source=src, features=[Field("a", "int64")], ttl=ttl)
    message = str(info.value)
    assert expected in message
    assert f"FeatureView 'stats' ({__file__}:" in message
    assert repr(ttl) in message


def test_ttl_of_a_wrong_type() -> None:
    with pytest.raises(DefinitionError, match=r"expected a timedelta or a string like '7d'"):
        parse_duration(7, where="x")  # type: ignore[arg-type]


@pytest.mark.parametrize(("dtype", "hint"), [
    ("int", "Did you mean 'int64'?"), ("double", "Did you mean 'float64'?"),
    ("varchar", "Did you mean 'string'?"), ("strng", "Did you mean 'string'?"),
    ("blob", ""),
])
def test_wrong_dtype(dtype: str, hint: str) -> None:
    with pytest.raises(DefinitionError) as info:
        Field("amount", dtype)
    message = str(info.value)
    assert f"Field 'amount' ({__file__}:" in message
    assert f"unknown dtype {dtype!r}" in message
    assert hint in message
    assert "int64, float64, string, bool, timestamp, date or decimal(p,s)" in message


def test_dtype_given_as_a_python_type() -> None:
    with pytest.raises(DefinitionError, match=r"dtype must be a string such as 'float64'"):
        Field("amount", float)  # type: ignore[arg-type]


def test_decimal_out_of_range() -> None:
    with pytest.raises(DefinitionError, match=r"1 <= precision <= 38"):
        Field("amount", "decimal(40,2)")


@pytest.mark.parametrize(("dtype", "default"), [
    ("int64", "0"), ("int64", True), ("int64", 2**63), ("float64", "0.0"), ("string", 0),
    ("bool", 1), ("timestamp", "2024-01-01"), ("date", datetime(2024, 1, 1)),
])
def test_default_of_the_wrong_type(dtype: str, default: object) -> None:
    with pytest.raises(DefinitionError) as info:
        Field("f", dtype, default=default)
    assert f"default {default!r} does not fit dtype {dtype}" in str(info.value)
    assert f"Field 'f' ({__file__}:" in str(info.value)


def test_bad_names() -> None:
    with pytest.raises(DefinitionError, match=r"a name must be a non-empty string"):
        Field(" ", "float64")
    with pytest.raises(DefinitionError, match=r"names cannot hold control characters"):
        Field("total\tamount", "float64")
    with pytest.raises(DefinitionError, match=r"prefix '__fsql' is reserved"):
        Entity("__fsql_user", join_keys=["id"])


def test_source_locations() -> None:
    with pytest.raises(DefinitionError, match=r"give table= or query=, not both"):
        Source("s", path="a.parquet", table="t", query="SELECT 1", timestamp_field="ts")
    with pytest.raises(DefinitionError, match=r"give path= .*, table= .* or query="):
        Source("s", timestamp_field="ts")


def test_service_with_a_non_feature() -> None:
    with pytest.raises(DefinitionError, match=r"FeatureService 'svc' .*cannot use 3"):
        FeatureService("svc", features=[3])  # type: ignore[list-item]


def test_feature_that_is_a_join_key() -> None:
    with pytest.raises(DefinitionError, match=r"features \['user_id'\] are join keys"):
        FeatureView("v", entities=[Entity("user", join_keys=["user_id"])],
                    source=Source("s", table="t", timestamp_field="ts"),
                    features=[Field("user_id", "int64")])


# -- repository loading --------------------------------------------------------------------
def test_python_syntax_error_in_the_repository(tmp_path: Path) -> None:
    text = HEADER + 'user = Entity("user", join_keys=["user_id"]\nx = 1\n'
    root = _write(tmp_path / "repo", {"broken.py": text})
    with pytest.raises(DefinitionError) as info:
        Repo.load(root)
    message = str(info.value)
    assert message.startswith(f"{root / 'broken.py'}:2: Python syntax error")
    assert "never closed" in message


def test_exception_while_importing_the_repository(tmp_path: Path) -> None:
    text = HEADER + "\nrate = 1 / 0\n"
    root = _write(tmp_path / "repo", {"broken.py": text})
    with pytest.raises(DefinitionError) as info:
        Repo.load(root)
    assert str(info.value).startswith(f"{root / 'broken.py'}:3: importing the feature")
    assert "ZeroDivisionError" in str(info.value)


def test_missing_repository_directory(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match=r"is not a directory; pass --repo DIR"):
        Repo.load(tmp_path / "nope")


def test_fsql_toml_with_a_bad_project(tmp_path: Path) -> None:
    root = _write(tmp_path / "repo", {"fsql.toml": 'project = "fraud"\n'})
    with pytest.raises(DefinitionError) as info:
        Repo.load(root)
    assert str(info.value).startswith(f"{root / 'fsql.toml'}: 'project' must be a table")


def test_fsql_toml_that_is_not_toml(tmp_path: Path) -> None:
    root = _write(tmp_path / "repo", {"fsql.toml": "[project\n"})
    with pytest.raises(DefinitionError, match=r"fsql.toml: cannot read it as TOML"):
        Repo.load(root)


def test_unknown_dialect_in_fsql_toml(tmp_path: Path) -> None:
    root = _write(tmp_path / "repo", {"fsql.toml": '[project]\ndialect = "snowflak"\n'})
    with pytest.raises(DefinitionError) as info:
        Repo.load(root)
    message = str(info.value)
    assert "fsql.toml" in message
    assert "Unknown dialect 'snowflak'. Did you mean 'snowflake'?" in message


# -- requests ------------------------------------------------------------------------------
def test_unknown_dialect(repo_dir: Path, tmp_path: Path) -> None:
    repo = Repo.load(repo_dir)
    with pytest.raises(CompileError) as info:
        repo.compile("fraud", str(_good_spine(tmp_path)), dialect="duckbd")
    assert "Unknown dialect 'duckbd'. Did you mean 'duckdb'?" in str(info.value)
    assert "bigquery, duckdb, postgres, snowflake" in str(info.value)


def test_unknown_feature_service(repo_dir: Path) -> None:
    repo = Repo.load(repo_dir)
    with pytest.raises(DefinitionError) as info:
        repo.resolve("frad")
    assert "Unknown feature service 'frad'. Did you mean 'fraud'?" in str(info.value)


def test_unknown_view_reference(repo_dir: Path) -> None:
    repo = Repo.load(repo_dir)
    with pytest.raises(DefinitionError) as info:
        repo.resolve("user_stat:amount")
    assert "Unknown feature view 'user_stat'. Did you mean 'user_stats'?" in str(info.value)


def test_unknown_feature_reference(repo_dir: Path) -> None:
    repo = Repo.load(repo_dir)
    with pytest.raises(DefinitionError) as info:
        repo.resolve("user_stats:amout")
    message = str(info.value)
    assert f"FeatureView 'user_stats' ({repo_dir / 'features.py'}:" in message
    assert "has no feature 'amout'. Did you mean 'amount'?" in message
    assert "amount, tier" in message


def test_malformed_feature_reference(repo_dir: Path) -> None:
    with pytest.raises(DefinitionError, match=r"'user_stats:' must look like 'view:feature'"):
        Repo.load(repo_dir).resolve("user_stats:,user_stats:amount")


def test_service_listing_an_unknown_view(tmp_path: Path) -> None:
    text = DEFINITIONS + 'broken = FeatureService("broken", features=["user_stat:amount"])\n'
    root = _write(tmp_path / "repo", {"features.py": text})
    with pytest.raises(DefinitionError) as info:
        Repo.load(root).resolve("broken")
    message = str(info.value)
    assert f"FeatureService 'broken' ({root / 'features.py'}:{_line(text, 'broken =')})" \
        in message
    assert "Did you mean 'user_stats'?" in message


def test_spine_missing_a_key_column(repo_dir: Path, tmp_path: Path) -> None:
    spine = _spine(tmp_path / "spine.parquet", {
        "buyer_id": pa.array([1], type=pa.int64()),
        "event_timestamp": pa.array([datetime(2024, 1, 3)], type=pa.timestamp("us")),
    })
    with pytest.raises(CompileError) as info:
        Repo.load(repo_dir).compile("fraud", str(spine), dialect="duckdb")
    message = str(info.value)
    assert "join key column(s) ['user_id']" in message
    assert "feature view 'user_stats'" in message
    assert "with_join_key_map" in message
    assert "Spine columns: buyer_id, event_timestamp" in message


def test_spine_missing_the_timestamp_column(repo_dir: Path, tmp_path: Path) -> None:
    spine = _spine(tmp_path / "spine.parquet", {
        "user_id": pa.array([1], type=pa.int64()),
        "event_time": pa.array([datetime(2024, 1, 3)], type=pa.timestamp("us")),
    })
    with pytest.raises(CompileError) as info:
        Repo.load(repo_dir).compile("fraud", str(spine), dialect="duckdb")
    message = str(info.value)
    assert "no timestamp column 'event_timestamp'" in message
    assert "--spine-timestamp COL" in message and "spine_timestamp=" in message
    assert "did you mean 'event_time'?" in message


def test_spine_timestamp_column_without_timestamps(repo_dir: Path, tmp_path: Path) -> None:
    spine = tmp_path / "spine.csv"
    spine.write_text("user_id,event_timestamp\n1,yesterday\n")
    with pytest.raises(CompileError) as info:
        run_training_set(Repo.load(repo_dir), "fraud", spine)
    message = str(info.value)
    assert "timestamp column 'event_timestamp' holds VARCHAR, not timestamps" in message
    assert "ISO 8601" in message


def test_spine_key_of_another_type_than_the_source_key(repo_dir: Path, tmp_path: Path) -> None:
    """DuckDB would cast '1' to 1 and match; fsql compares keys as typed values."""
    spine = _spine(tmp_path / "spine.parquet", {
        "user_id": pa.array(["1"]),
        "event_timestamp": pa.array([datetime(2024, 1, 3)], type=pa.timestamp("us")),
    })
    with pytest.raises(CompileError) as info:
        Repo.load(repo_dir).compile("fraud", str(spine), dialect="duckdb")
    message = str(info.value)
    assert "Join key 'user_id' of feature view 'user_stats'" in message
    assert "BIGINT in source 'txn'" in message and "spine column 'user_id' is VARCHAR" in message


def test_missing_spine_file(repo_dir: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nope.parquet"
    with pytest.raises(ExecutionError, match=rf"file {re.escape(repr(str(missing)))} does not "
                                             "exist"):
        Repo.load(repo_dir).compile("fraud", str(missing), dialect="duckdb")
    with pytest.raises(ExecutionError, match=r"Spine file .*nope.parquet' does not exist"):
        run_training_set(Repo.load(repo_dir), "fraud", missing)


def test_unreadable_spine_file(repo_dir: Path, tmp_path: Path) -> None:
    corrupt = tmp_path / "spine.parquet"
    corrupt.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(ExecutionError) as info:
        run_training_set(Repo.load(repo_dir), "fraud", corrupt)
    assert "Cannot read the spine" in str(info.value)
    assert "\n" not in str(info.value)


def test_spine_of_an_unsupported_kind(repo_dir: Path) -> None:
    with pytest.raises(ExecutionError, match=r"Cannot read the spine, a list: give a .parquet"):
        run_training_set(Repo.load(repo_dir), "fraud", [1, 2])


def test_missing_source_file(repo_dir: Path) -> None:
    (repo_dir / "data" / "txn.parquet").unlink()
    repo = Repo.load(repo_dir)
    with pytest.raises(ExecutionError) as info:
        repo.plan("fraud", SpineRef("table", "spine"))
    message = str(info.value)
    assert f"Source 'txn' ({repo_dir / 'features.py'}:" in message
    assert f"{repo_dir / 'data' / 'txn.parquet'}' does not exist" in message


def test_unreadable_source_file(repo_dir: Path) -> None:
    (repo_dir / "data" / "txn.parquet").write_bytes(b"not parquet at all")
    repo = Repo.load(repo_dir)
    with pytest.raises(ExecutionError) as info:
        repo.plan("fraud", SpineRef("table", "spine"))
    assert "Source 'txn'" in str(info.value) and "cannot read" in str(info.value)
    assert "\n" not in str(info.value)


def test_source_timestamp_column_without_timestamps(tmp_path: Path) -> None:
    root = _write(tmp_path / "repo", {"data/txn.csv": "user_id,ts,amount\n1,soon,1.5\n"})
    view = FeatureView("v", entities=[Entity("user", join_keys=["user_id"])],
                       source=Source("txn", path="data/txn.csv", timestamp_field="ts"),
                       features=[Field("amount", "float64")])
    with pytest.raises(DefinitionError, match=r"timestamp column 'ts' of data/txn.csv holds "
                                              r"VARCHAR, not timestamps"):
        Repo.from_objects([view], root=root).plan("v", SpineRef("table", "spine"))


def test_local_file_on_a_warehouse_dialect(repo_dir: Path) -> None:
    with pytest.raises(UnsupportedError, match=r"has only the local file .*which bigquery "
                                                r"cannot read; load it into a warehouse table "
                                                r"and add table="):
        Repo.load(repo_dir).compile("fraud", "project.dataset.spine", dialect="bigquery")


def test_same_feature_name_from_two_views(repo_dir: Path) -> None:
    repo = Repo.load(repo_dir)
    other = repo.views["user_stats"].with_name("other")
    with pytest.raises(CompileError, match=r"Feature 'amount' is requested from both "
                                           r"'user_stats' and 'other'; use --full-names"):
        repo.plan([repo.views["user_stats"], other], SpineRef("table", "spine"))


def test_unknown_cut(repo_dir: Path) -> None:
    with pytest.raises(CompileError, match=r"Unknown cut 'strict'"):
        Repo.load(repo_dir).plan("fraud", SpineRef("table", "spine"),
                                 cut="strict")  # type: ignore[arg-type]
