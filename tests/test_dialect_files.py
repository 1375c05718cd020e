"""Dialect files are checked against dialects/base.toml when they load: unknown or mistyped
settings, and strategies or plans that need an engine feature the dialect does not declare,
are refused with the key named."""

from __future__ import annotations

from importlib import resources

import pytest

from fsql.errors import CompileError
from fsql.sql.dialect import available, get_dialect, load_dialect


def _shipped(name: str) -> str:
    return resources.files("fsql.dialects").joinpath(f"{name}.toml").read_text()


def test_shipped_dialects_load_and_base_is_not_one() -> None:
    assert available() == ["bigquery", "duckdb", "postgres", "snowflake"]
    for name in available():
        dialect = get_dialect(name)
        assert dialect.name == name
    assert "star_except" not in get_dialect("postgres").capabilities


def test_unknown_setting_names_the_key_and_suggests() -> None:
    text = _shipped("duckdb").replace("snapshot_strategy =", "snapshot_stratgy =")
    with pytest.raises(CompileError, match=r"x.toml: unknown setting 'snapshot_stratgy'\. Did "
                                           r"you mean 'snapshot_strategy'\?"):
        load_dialect(text, where="x.toml")
    text = _shipped("duckdb").replace("[capabilities]\n", "[capabilities]\nasof = true\n")
    with pytest.raises(CompileError, match=r"unknown setting 'capabilities\.asof'"):
        load_dialect(text, where="x.toml")


def test_mistyped_setting() -> None:
    text = _shipped("bigquery").replace("reads_local_files = false", 'reads_local_files = "no"')
    with pytest.raises(CompileError, match=r"'reads_local_files' must be a bool, got 'no'"):
        load_dialect(text, where="x.toml")


def test_a_plan_needing_a_missing_feature_is_refused() -> None:
    # BigQuery cannot order STRUCTs: first/last over frames would be SQL BigQuery rejects.
    text = _shipped("bigquery").replace('first = "navigation"', 'first = "frames"')
    with pytest.raises(CompileError, match=r"\[aggregation_plans\] first = 'frames' needs the "
                                           r"engine features \['struct_ordering'\]"):
        load_dialect(text, where="bigquery.toml")
    text = _shipped("bigquery").replace('snapshot_strategy = "window"',
                                        'snapshot_strategy = "asof_two_phase"')
    with pytest.raises(CompileError, match=r"snapshot_strategy = 'asof_two_phase' needs the "
                                           r"engine features \['asof_join_on'\]"):
        load_dialect(text, where="bigquery.toml")
    text = _shipped("postgres").replace('snapshot_strategy = "range_rank"',
                                        'snapshot_strategy = "window"')
    with pytest.raises(CompileError, match=r"snapshot_strategy = 'window' needs the engine "
                                           r"features \['ignore_nulls', 'struct'\]"):
        load_dialect(text, where="postgres.toml")
    # The navigation plan crosses the spine with a VALUES list of probes.
    text = _shipped("postgres").replace("values_lists = true", "values_lists = false").replace(
        'count_distinct = "islands"', 'count_distinct = "join"')
    with pytest.raises(CompileError, match=r"first = 'navigation' needs the engine features "
                                           r"\['values_lists'\]"):
        load_dialect(text, where="postgres.toml")


def test_unknown_choice() -> None:
    text = _shipped("snowflake").replace('snapshot_strategy = "asof_dedup"',
                                         'snapshot_strategy = "asof"')
    with pytest.raises(CompileError, match=r"snapshot_strategy = 'asof'; choose one of "
                                           r"asof_two_phase, asof_dedup, window, range_rank"):
        load_dialect(text, where="x.toml")
    text = _shipped("snowflake").replace('count = "frames"', 'count = "islands"')
    with pytest.raises(CompileError, match=r"count = 'islands': that plan cannot compute count"):
        load_dialect(text, where="x.toml")


def test_a_minimal_dialect_takes_the_documented_defaults() -> None:
    """A file with only a name, sqlglot's name, its capabilities and its types gets the portable
    defaults of base.toml (range_rank, join plans) and loads."""
    text = "\n".join(line for line in _shipped("duckdb").splitlines()
                     if not line.startswith(("snapshot_strategy", "join_first_last",
                                             "materialize_ctes")))
    text = text.split("[aggregation_plans]")[0]
    dialect = load_dialect(text, where="minimal.toml")
    assert dialect.snapshot_strategy == "range_rank"
    assert set(dialect.aggregation_plans.values()) == {"join"}


def test_a_dialect_without_star_except_lists_the_spine_columns() -> None:
    """No `SELECT * EXCEPT` (Postgres) is no longer a refusal: the compiler lists the spine's
    columns in the output (tests/test_postgres.py), so the file loads."""
    text = _shipped("duckdb").replace("star_except = true", "star_except = false")
    assert "star_except" not in load_dialect(text, where="duckdb.toml").capabilities
