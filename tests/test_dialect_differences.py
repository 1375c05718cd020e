"""Warehouse differences that could change a result, and the explicit choice fsql's SQL makes
for each (docs/dialects.md). Executed proof is in the goldens on all four engines; these tests
pin the choice in the generated tree, where an engine cannot show the behaviour."""

from __future__ import annotations

import pytest
from sqlglot import exp

from fsql.sql.compiler import compile_plan
from fsql.sql.dialect import get_dialect
from tests.golden_support import DIALECTS, cases

CASES = {c.name: c for c in cases()}


def tree(case: str, dialect: str) -> exp.Expression:
    return compile_plan(CASES[case].plan, get_dialect(dialect))


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_every_sort_states_its_null_order(case: str, dialect: str) -> None:
    """NULL ordering defaults differ (BigQuery: NULLs first ascending; Snowflake and DuckDB:
    last), so every ORDER BY in fsql's SQL says where NULLs go."""
    ordered = list(tree(case, dialect).find_all(exp.Ordered))
    assert ordered, "every query orders at least its output rows"
    for node in ordered:
        assert node.args.get("nulls_first") is not None, f"{node.sql(dialect)} leaves NULLs open"


SESSION_DEPENDENT = ("CURRENT_TIMESTAMP", "LOCALTIMESTAMP", "NOW", "CONVERT_TIMEZONE",
                     "TO_TIMESTAMP_LTZ", "CURRENT_TIMEZONE", "TIMESTAMPLTZ", "TIMESTAMP_LTZ",
                     "TIMESTAMPTZ", "TIMESTAMP_TZ")


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_no_session_time_zone_dependence(case: str, dialect: str) -> None:
    """fakesnow ignores the session TIMEZONE, so this is checked on the tree: times are compared
    as epoch microseconds, never through a session-zone function or a zone-bearing cast."""
    sql = tree(case, dialect).sql(get_dialect(dialect).sqlglot).upper()
    for word in SESSION_DEPENDENT:
        assert word not in sql.replace("EPOCH_MICROSECOND", ""), f"{word} in {dialect} SQL"
    if dialect == "bigquery" and CASES[case].plan.lookups[0].source.timestamp_dtype == "date":
        assert "TIMESTAMP(" in sql and "'UTC')" in sql, "DATE -> TIMESTAMP names UTC explicitly"


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("case", sorted(n for n, c in CASES.items() if not c.plan.derived))
def test_no_division_and_no_value_casts(case: str, dialect: str) -> None:
    """Integer vs float division and float-to-integer rounding differ between warehouses; the
    point-in-time query divides nothing and casts only constants (typed NULLs and defaults),
    DATE columns (to a timestamp, exact) and avg/stddev/variance results (to DOUBLE). The one
    division: avg over dyadic blocks, and a float avg from its scaled sum (BigQuery,
    Postgres), a sum cast to DOUBLE over NULLIF(count, 0) (float division on every dialect).
    Derived expressions divide on purpose: tests/test_expressions*.py covers them."""
    root = tree(case, dialect)
    averages = set()
    for div in root.find_all(exp.Div):
        numerator = div.this
        assert isinstance(numerator, exp.Cast) and numerator.to.is_type("double", "float"), (
            f"division: {div.sql(dialect)}")
        assert isinstance(div.expression, exp.Nullif), f"division: {div.sql(dialect)}"
        averages.add(id(numerator))
    wide = get_dialect(dialect).int64_sum_type()
    for cast in root.find_all(exp.Cast):
        if id(cast) in averages:
            continue
        inner = cast.this
        aggregate = inner.this if isinstance(inner, exp.Window) else inner
        guard = cast.parent.this if isinstance(cast.parent, exp.If) else None
        assert (
            isinstance(inner, (exp.Literal, exp.Null, exp.Neg, exp.Boolean))
            # Exact integer sums: int64 inputs widened to the exact sum type, sums of decimals
            # to DECIMAL(38, s) or their declared decimal dtype (exact, or an engine error),
            # and back to int64 only behind a range check (else an error whose message shows
            # the value as text).
            or cast.to == wide
            or cast.to.this == exp.DataType.Type.DECIMAL
            or (isinstance(guard, exp.Between) and guard.this == inner)
            or cast.find_ancestor(exp.Concat) is not None
            or inner.find(exp.Concat) is not None
            or (isinstance(inner, exp.Column) and cast.to.is_type("timestamp", "timestampntz"))
            # Postgres' epoch microseconds: EXTRACT(EPOCH ...) is an exact NUMERIC with 6
            # decimals, so the product by 10^6 is an integer and its cast to BIGINT exact.
            or (isinstance(inner, exp.Mul) and isinstance(inner.this, exp.Extract)
                and inner.this.this.name.upper() == "EPOCH" and cast.to.is_type("bigint"))
            # The dyadic-block levels of a window: FLOOR(LOG(2, positions)), already integral.
            or (isinstance(inner, exp.Floor) and cast.to.is_type("int"))
            # avg/stddev/variance are DOUBLE on every dialect (NUMERIC/NUMBER natively).
            or (
                isinstance(aggregate, (exp.Avg, exp.StddevSamp, exp.Variance))
                and cast.to.is_type("double", "float")
            )
            # ... and so is a float avg taken from its scaled sum (the division above).
            or (isinstance(inner, exp.Case) and cast.to.is_type("double", "float")
                and any(id(d.this) in averages for d in inner.find_all(exp.Div)))
        ), f"cast of a value: {cast.sql(dialect)}"


def test_bigquery_writes_a_table_path_as_one_backticked_name() -> None:
    sql = CASES["two_entities"].sql("bigquery")
    assert "`features.merchants`" in sql
    assert "`features`.`merchants`" not in sql


def test_snowflake_quotes_reserved_words_and_keeps_feature_names_exact() -> None:
    sql = CASES["weird_identifiers"].sql("snowflake")
    for name in ('"select"', '"order"', '"from"', '"group"', '"order data"', '"total amount"'):
        assert name in sql
    # Output feature aliases are quoted, so Snowflake does not upper-case them.
    assert 'AS "total_amount"' in sql and 'AS "grp"' in sql


@pytest.mark.parametrize("case", ["full_tie", "created_tiebreak"])
def test_snowflake_asof_never_sees_ties(case: str) -> None:
    """Snowflake's ASOF JOIN picks an arbitrary row among equal match values: fsql first keeps
    one row per (key, event ts) by the full tie order."""
    root = tree(case, "snowflake")
    joins = [j for j in root.find_all(exp.Join) if j.args.get("method") == "ASOF"]
    assert joins and all(j.args.get("match_condition") is not None for j in joins)
    assert root.find(exp.Qualify) is not None


def test_duckdb_asof_sorts_only_keys_and_time() -> None:
    """DuckDB's ASOF also picks an arbitrary row among ties: fsql's ASOF only finds the winning
    event time (ties share it), and ROW_NUMBER over the tie order picks the row."""
    root = tree("full_tie", "duckdb")
    join = next(j for j in root.find_all(exp.Join) if j.args.get("method") == "ASOF")
    narrow = join.this.this
    assert [c.alias_or_name for c in narrow.expressions] == ["__fsql_k0", "__fsql_ts"]
    qualify = root.find(exp.Qualify)
    assert qualify is not None
    order = [o.this.name for o in qualify.find(exp.Window).args["order"].expressions]
    assert order == ["__fsql_c", "__fsql_f0", "__fsql_f1"]
