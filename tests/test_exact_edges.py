"""Exact at the edges: an int64 sum that does not fit is an error naming the feature on every
engine (never a float or a wrapped value); reserved and colliding names are refused in any
letter case; float keys are refused; a header-only CSV is an empty source; table sources are
typed by their schema; a declared DATE spine timestamp runs on BigQuery's engine."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fsql import Aggregate, Entity, FeatureService, FeatureView, Field, Repo, Source, oracle
from fsql.errors import CompileError, DefinitionError, ExecutionError
from fsql.plan.nodes import SpineRef
from tests.engines import TableData
from tests.engines.duckdb_engine import DuckDBEngine

user = Entity("user", join_keys=["user_id"])
EVENTS = Source("events", table="events", timestamp_field="ts",
                schema={"user_id": "int64", "ts": "timestamp", "val": "int64"})
SUMS = FeatureView("sums", entities=[user], source=EVENTS,
                   features=[Aggregate("val", "sum", window="1h", name="val_sum")])
T0 = datetime(2024, 1, 1)
OVERFLOW_TABLES = {
    "spine": TableData([("user_id", "int64"), ("event_timestamp", "timestamp")],
                       [(1, datetime(2024, 1, 1, 0, 30))]),
    "events": TableData([("user_id", "int64"), ("ts", "timestamp"), ("val", "int64")],
                        [(1, T0, 2**62), (1, datetime(2024, 1, 1, 0, 1), 2**62)]),
}


def _overflow_sql(dialect: str) -> str:
    # The spine's columns are named: postgres lists them (it has no SELECT * EXCEPT).
    spine = SpineRef("table", "spine", columns=("user_id", "event_timestamp"))
    return Repo.from_objects([SUMS]).compile([SUMS], spine, dialect=dialect)


def test_oracle_refuses_an_int64_sum_that_does_not_fit() -> None:
    plan = Repo.from_objects([SUMS]).plan([SUMS], SpineRef("table", "spine"))
    rows = {name: [dict(zip([c for c, _ in t.columns], r, strict=True)) for r in t.rows]
            for name, t in OVERFLOW_TABLES.items()}
    with pytest.raises(ExecutionError, match=r"sum sums\.val_sum overflows int64"):
        oracle.evaluate(plan, rows["spine"], {"events": rows["events"]})


def test_duckdb_sql_fails_on_an_int64_sum_that_does_not_fit() -> None:
    with pytest.raises(Exception, match=r"fsql: sum sums\.val_sum overflows int64 at a spine "
                                        r"row: 9223372036854775808"):
        DuckDBEngine().run(_overflow_sql("duckdb"), OVERFLOW_TABLES)


def test_fsql_run_fails_naming_the_feature(tmp_path: Path) -> None:
    pq.write_table(pa.table({"user_id": [1, 1], "ts": [T0, datetime(2024, 1, 1, 0, 1)],
                             "val": [2**62, 2**62]}), tmp_path / "events.parquet")
    source = Source("events", path="events.parquet", timestamp_field="ts")
    view = FeatureView("sums", entities=[user], source=source,
                       features=[Aggregate("val", "sum", window="1h", name="val_sum")])
    spine = pd.DataFrame({"user_id": [1], "event_timestamp": [datetime(2024, 1, 1, 0, 30)]})
    repo = Repo.from_objects([view], root=tmp_path)
    with pytest.raises(ExecutionError, match=r"sum sums\.val_sum overflows int64 at a spine "
                                             r"row: 9223372036854775808; declare "
                                             r"dtype='decimal\(38,0\)'"):
        repo.get_historical_features([view], spine)
    wide = FeatureView("wide", entities=[user], source=source, features=[
        Aggregate("val", "sum", window="1h", name="val_sum", dtype="decimal(38,0)")])
    frame = Repo.from_objects([wide], root=tmp_path).get_historical_features([wide], spine)
    assert frame["val_sum"].tolist() == [2**63]
    exact = FeatureView("exact", entities=[user], source=source, features=[
        Aggregate("val", "sum", window="1m", name="val_sum")])
    table = Repo.from_objects([exact], root=tmp_path).get_historical_features(
        [exact], spine.assign(event_timestamp=[datetime(2024, 1, 1, 0, 1)]), arrow=True)
    assert table.schema.field("val_sum").type == pa.int64()  # not DOUBLE, not HUGEINT
    assert table.column("val_sum").to_pylist() == [2**62]


@pytest.mark.engine
@pytest.mark.parametrize("dialect", ["bigquery", "snowflake", "postgres"])
def test_warehouse_sql_fails_on_an_int64_sum_that_does_not_fit(dialect: str) -> None:
    if dialect == "bigquery":
        from tests.engines.zetasql_engine import ZetaSQLEngine as Engine
    elif dialect == "snowflake":
        from tests.engines.fakesnow_engine import FakesnowEngine as Engine  # type: ignore[assignment]
    else:
        from tests.engines.postgres_engine import PostgresEngine as Engine  # type: ignore[assignment]
    with pytest.raises(Exception, match=r"fsql: sum sums\.val_sum overflows int64"):
        Engine().run(_overflow_sql(dialect), OVERFLOW_TABLES)


def test_reserved_prefix_in_any_case(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match=r"prefix '__fsql' is reserved \(in any letter"):
        Field("__FSQL_score", "float64")
    profiles = Source("p", path="p.parquet", timestamp_field="ts")
    pq.write_table(pa.table({"user_id": [1], "ts": [T0], "score": [1.0]}), tmp_path / "p.parquet")
    view = FeatureView("v", entities=[user], source=profiles, features=[Field("score", "float64")])
    spine = pd.DataFrame({"user_id": [1], "event_timestamp": [T0], "__FSQL_T": [5]})
    with pytest.raises(CompileError, match=r"Spine columns \['__FSQL_T'\] use the prefix"):
        Repo.from_objects([view], root=tmp_path).get_historical_features([view], spine)


def test_names_that_differ_only_in_case_collide(tmp_path: Path) -> None:
    profiles = Source("p", table="p", timestamp_field="ts")
    view = FeatureView("v", entities=[user], source=profiles, features=[Field("score", "float64")])
    other = FeatureView("w", entities=[user], source=Source("q", table="q", timestamp_field="ts"),
                        features=[Field("Score", "float64")])
    repo = Repo.from_objects([view, other])
    spine = SpineRef("table", "spine", columns=("user_id", "event_timestamp", "Score"))
    with pytest.raises(CompileError, match=r"Output columns 'Score' \(spine column\) and "
                                           r"'score' \(feature of view 'v'\) differ only in "
                                           r"letter case"):
        repo.plan([view], spine)
    with pytest.raises(CompileError, match=r"'score' \(feature of view 'v'\) and 'Score' "
                                           r"\(feature of view 'w'\) differ only in letter case"):
        repo.plan([view, other], SpineRef("table", "spine"))
    assert repo.plan([view, other], SpineRef("table", "spine"), full_names=True).output_names == (
        "v__score", "w__Score")
    with pytest.raises(CompileError, match=r"requested twice \(names are compared ignoring"):
        repo.plan([view, view.with_name("V")], SpineRef("table", "spine"), full_names=True)


def test_float_join_keys_are_refused(tmp_path: Path) -> None:
    pq.write_table(pa.table({"k": [1.5], "ts": [T0], "score": [1.0]}), tmp_path / "p.parquet")
    entity = Entity("thing", join_keys=["k"])
    view = FeatureView("v", entities=[entity], source=Source("p", path="p.parquet",
                                                             timestamp_field="ts"),
                       features=[Field("score", "float64")])
    with pytest.raises(CompileError, match=r"Join key 'k' of feature view 'v' .* is DOUBLE in "
                                           r"source 'p': floating-point keys are refused"):
        Repo.from_objects([view], root=tmp_path).compile([view], "spine", dialect="duckdb")
    typed = FeatureView("t", entities=[entity], source=Source(
        "q", table="q", timestamp_field="ts", schema={"k": "float64"}),
        features=[Field("score", "float64")])
    with pytest.raises(CompileError, match=r"floating-point keys are refused"):
        Repo.from_objects([typed]).compile([typed], "spine", dialect="snowflake")


def test_field_dtype_that_the_column_cannot_hold(tmp_path: Path) -> None:
    pq.write_table(pa.table({"user_id": [1], "ts": [T0], "score": ["high"]}),
                   tmp_path / "p.parquet")
    view = FeatureView("v", entities=[user], source=Source("p", path="p.parquet",
                                                           timestamp_field="ts"),
                       features=[Field("score", "int64")])
    with pytest.raises(DefinitionError, match=r"FeatureView 'v' .*Field 'score' is declared "
                                              r"int64 but column 'score' of source 'p' holds "
                                              r"string"):
        Repo.from_objects([view], root=tmp_path).compile([view], "spine")


def test_header_only_csv_is_an_empty_source(tmp_path: Path) -> None:
    (tmp_path / "p.csv").write_text("user_id,ts,created,score,tier\n")
    (tmp_path / "e.csv").write_text("user_id,ts,val\n")
    profiles = Source("p", path="p.csv", timestamp_field="ts", created_timestamp_field="created")
    view = FeatureView("v", entities=[user], source=profiles, ttl="1d", features=[
        Field("score", "float64", default=0.5), Field("tier", "string")])
    events = Source("e", path="e.csv", timestamp_field="ts")
    agg = FeatureView("a", entities=[user], source=events, features=[
        Aggregate("val", "sum", window="1d", dtype="int64"), Aggregate("*", "count")])
    spine = pd.DataFrame({"user_id": [1, 2], "event_timestamp": [T0, T0]})
    frame = Repo.from_objects([view, agg], root=tmp_path).get_historical_features(
        [view, agg], spine)
    assert frame["score"].tolist() == [0.5, 0.5]
    assert frame["tier"].isna().all() and frame["val_sum_1d"].isna().all()
    assert frame["count_lifetime"].tolist() == [0, 0]


def test_table_source_schema_types_where_filters() -> None:
    typed = Source("e", table="db.events", timestamp_field="ts",
                   schema={"ts": "timestamp", "amount": "float64"})
    untyped = Source("u", table="db.events", timestamp_field="ts")
    for source, ok in ((typed, True), (untyped, False)):
        view = FeatureView(f"v_{source.name}", entities=[user], source=source, features=[
            Aggregate("amount", "sum", window="1d", dtype="float64",
                      where="EXTRACT(HOUR FROM ts) >= 22 OR ROUND(amount, 0) > 100")])
        for dialect in ("duckdb", "bigquery", "snowflake"):
            repo = Repo.from_objects([view])
            if ok:
                assert "amount_sum_1d" in repo.compile([view], "s.spine", dialect=dialect)
            else:
                with pytest.raises(CompileError, match=r"is unknown: declare it \(a table "
                                                       r"source's columns: Source\(schema="):
                    repo.compile([view], "s.spine", dialect=dialect)


def test_source_schema_is_checked_against_a_file(tmp_path: Path) -> None:
    pq.write_table(pa.table({"user_id": [1], "ts": [T0], "score": [1.0]}), tmp_path / "p.parquet")
    source = Source("p", path="p.parquet", timestamp_field="ts", schema={"score": "string"})
    view = FeatureView("v", entities=[user], source=source, features=[Field("score", "float64")])
    with pytest.raises(DefinitionError, match=r"schema declares 'score' as string, but "
                                              r"p.parquet holds DOUBLE"):
        Repo.from_objects([view], root=tmp_path).compile([view], "spine")


def test_aggregate_dtype_that_contradicts_its_column(tmp_path: Path) -> None:
    pq.write_table(pa.table({"user_id": [1], "ts": [T0], "amount": [1.5]}),
                   tmp_path / "e.parquet")
    view = FeatureView("v", entities=[user], source=Source("e", path="e.parquet",
                                                           timestamp_field="ts"),
                       features=[Aggregate("amount", "sum", window="1d", default=0)])
    with pytest.raises(DefinitionError, match=r"Aggregate 'amount_sum_1d' .* is int64 \(implied "
                                              r"by its default 0\) but sum of column 'amount', "
                                              r"which holds float64, is float64"):
        Repo.from_objects([view], root=tmp_path).compile([view], "spine")


@pytest.mark.engine
def test_declared_date_spine_timestamp_on_googlesql() -> None:
    from tests.engines.zetasql_engine import ZetaSQLEngine

    profiles = Source("profiles", table="profiles", timestamp_field="ts")
    view = FeatureView("profile", entities=[user], source=profiles, ttl="30d",
                       features=[Field("signup", "date")])
    svc = FeatureService("svc", [view], request_schema={"event_timestamp": "date"})
    sql = Repo.from_objects([view, svc]).compile("svc", "spine", dialect="bigquery")
    tables = {
        "spine": TableData([("user_id", "int64"), ("event_timestamp", "date")],
                           [(1, date(2024, 1, 5)), (1, date(2024, 1, 3))]),
        "profiles": TableData([("user_id", "int64"), ("ts", "timestamp"), ("signup", "date")],
                              [(1, datetime(2024, 1, 4), date(2023, 1, 1)),
                               (1, datetime(2024, 1, 5), date(2023, 6, 1))]),
    }
    for zone in ("UTC", "America/New_York"):
        rows = ZetaSQLEngine(default_time_zone=zone).run(sql, tables).rows
        assert sorted(rows) == [(1, date(2024, 1, 3), None),
                                (1, date(2024, 1, 5), date(2023, 6, 1))]


def test_bad_timestamp_of_a_csv_source_names_row_and_value(tmp_path: Path) -> None:
    (tmp_path / "p.csv").write_text("user_id,ts,score\n1,2024-01-01,1.0\n2,2024-13-45,2.0\n")
    view = FeatureView("v", entities=[user], source=Source("p", path="p.csv",
                                                           timestamp_field="ts"),
                       features=[Field("score", "float64")])
    with pytest.raises(DefinitionError, match=r"timestamp column 'ts' of p.csv holds VARCHAR, "
                                              r"not timestamps: row 2: '2024-13-45' is not a "
                                              r"timestamp or date"):
        Repo.from_objects([view], root=tmp_path).compile([view], "spine")
