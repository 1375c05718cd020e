"""A service's request schema: the spine columns its Derived features read, typed on table and
query spines, checked against file and DataFrame spines; Derived inputs resolve by the names
the definitions use under either naming mode."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from fsql import Aggregate, Derived, Entity, FeatureService, FeatureView, Field, Repo, Source
from fsql.errors import CompileError
from fsql.plan.nodes import SpineRef

SPINE = SpineRef("query", "SELECT * FROM spine")

user = Entity("user", join_keys=["user_id"])
events = Source("events", table="events", timestamp_field="ts")
profiles = Source("profiles", table="profiles", timestamp_field="ts")
activity = FeatureView("activity", entities=[user], source=events,
                       features=[Aggregate("amount", "avg", window="1d")])
profile = FeatureView("profile", entities=[user], source=profiles, ttl="30d",
                      features=[Field("amount_avg_1d", "float64"), Field("signup", "date")])


def _repo(*services: FeatureService) -> Repo:
    return Repo.from_objects([activity, profile, *services])


def _spine_frame(**columns: object) -> pd.DataFrame:
    frame = pd.DataFrame({"user_id": [1], "event_timestamp": [pd.Timestamp("2024-01-02")]})
    for name, value in columns.items():
        frame[name] = [value]
    return frame


def test_undeclared_spine_column_is_refused_on_every_spine_kind(tmp_path: Path) -> None:
    svc = FeatureService("svc", [activity, Derived("ratio", "amount / amount_avg_1d")])
    repo = _repo(svc)
    spine = tmp_path / "spine.parquet"
    _spine_frame(amount=3.0).to_parquet(spine)
    for given in ("proj.ds.spine", "SELECT * FROM spine", str(spine)):
        with pytest.raises(CompileError, match=r"Derived 'ratio' .*reads (spine column )?"
                                               r"'amount'"):
            repo.compile("svc", given, dialect="duckdb")
    with pytest.raises(CompileError, match=r"request_schema=\{'amount': 'float64'\}"):
        repo.compile("svc", str(spine), dialect="duckdb")


def test_typo_in_a_derived_expression_is_refused_on_a_table_spine() -> None:
    svc = FeatureService("svc", [activity, Derived("ratio", "amount / amount_avg_1")],
                         request_schema={"amount": "float64"})
    with pytest.raises(CompileError, match=r"reads 'amount_avg_1', which is neither a feature "
                                           r"of the request nor a request column .* Did you "
                                           r"mean 'amount_avg_1d'\?"):
        _repo(svc).compile("svc", "proj.ds.spine", dialect="bigquery")


def test_declared_columns_type_a_table_spine() -> None:
    svc = FeatureService("svc", [profile[["signup"]],
                                 Derived("days", "DAYS_BETWEEN(signup, since)")],
                         request_schema={"since": "date"})
    for dialect in ("duckdb", "bigquery", "snowflake"):
        assert "AS \"days\"" in _repo(svc).compile("svc", "proj.ds.spine", dialect=dialect) \
            or "AS `days`" in _repo(svc).compile("svc", "proj.ds.spine", dialect=dialect)


def test_declared_types_are_checked_against_a_known_spine() -> None:
    svc = FeatureService("svc", [activity, Derived("ratio", "amount / amount_avg_1d")],
                         request_schema={"amount": "float64"})
    repo = _repo(svc)
    with pytest.raises(CompileError, match=r"spine column 'amount' is declared float64 but "
                                           r"the spine holds string"):
        repo.plan("svc", SPINE, spine_types={
            "user_id": "BIGINT", "event_timestamp": "TIMESTAMP", "amount": "VARCHAR"})
    with pytest.raises(CompileError, match=r"the spine has no column 'amount' \(did you mean "
                                           r"'amonut'\?\)"):
        repo.plan("svc", SPINE, spine_types={
            "user_id": "BIGINT", "event_timestamp": "TIMESTAMP", "amonut": "DOUBLE"})


def test_full_names_resolve_definition_names_and_refuse_ambiguity() -> None:
    svc = FeatureService("svc", [activity, profile[["amount_avg_1d"]],
                                 Derived("twice", "amount_avg_1d * 2")])
    with pytest.raises(CompileError, match=r"reads 'amount_avg_1d', a feature of several "
                                           r"requested views \(activity__amount_avg_1d, "
                                           r"profile__amount_avg_1d\)"):
        _repo(svc).plan("svc", "spine", full_names=True)
    explicit = FeatureService("svc2", [activity, profile[["amount_avg_1d"]],
                                       Derived("twice", "activity__amount_avg_1d * 2")])
    plan = _repo(explicit).plan("svc2", "spine", full_names=True)
    assert plan.derived[0].column("activity__amount_avg_1d") == "activity__amount_avg_1d"


def test_declared_date_spine_timestamp_on_a_table_spine() -> None:
    """A DATE spine timestamp of a table spine, declared in the request schema, is read as
    midnight UTC: compiled for DuckDB and executed over DuckDB tables."""
    svc = FeatureService("svc", [profile[["signup"]]],
                         request_schema={"event_timestamp": "date"})
    repo = _repo(svc)
    plan = repo.plan("svc", "spine")
    assert plan.spine.timestamp_dtype == "date"
    assert "UNIX_MICROS(TIMESTAMP(event_timestamp, 'UTC'))" in repo.compile(
        "svc", "spine", dialect="bigquery")
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE TABLE spine AS SELECT 1::BIGINT AS user_id, DATE '2024-01-05' AS "
                "event_timestamp UNION ALL SELECT 1, DATE '2024-01-03'")
    con.execute("CREATE TABLE profiles (user_id BIGINT, ts TIMESTAMP, amount_avg_1d DOUBLE, "
                "signup DATE)")
    con.execute("INSERT INTO profiles VALUES (1, TIMESTAMP '2024-01-04 00:00:00', 1.0, "
                "DATE '2023-01-01'), (1, TIMESTAMP '2024-01-05 00:00:00', 1.0, DATE '2023-06-01')")
    rows = con.execute(repo.compile("svc", "spine", dialect="duckdb")).fetchall()
    # Inclusive cut at midnight of 2024-01-05 sees the row of exactly that instant; the spine
    # row of 2024-01-03 sees nothing yet.
    assert sorted(rows) == [(1, date(2024, 1, 3), None), (1, date(2024, 1, 5), date(2023, 6, 1))]
