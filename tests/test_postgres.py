"""The postgres dialect on the tree and the printed text, where an engine run cannot show the
choice: QUALIFY is sqlglot's rewrite, the output lists the spine's columns (no `* EXCEPT`),
strings are ordered with COLLATE "C", and what fsql cannot compile exactly is refused at
compile time. Executed proof: the goldens on a real server (tests/test_golden_engines.py)."""

from __future__ import annotations

import pytest
from sqlglot import exp

from fsql import Aggregate, Entity, FeatureView, Repo, Source
from fsql.errors import UnsupportedError
from fsql.plan.nodes import SpineRef
from fsql.sql.compiler import compile_plan
from fsql.sql.dialect import get_dialect
from tests.golden_support import DIALECTS, cases

CASES = {c.name: c for c in cases()}
POSTGRES = get_dialect("postgres")


@pytest.mark.parametrize("case", sorted(CASES))
def test_qualify_is_rewritten_and_no_star_except_is_printed(case: str) -> None:
    """The trees use QUALIFY (range_rank, first/last ranks); sqlglot's postgres generator
    prints each as a filtered subquery (transforms.eliminate_qualify), and the final
    projection names its columns."""
    text = CASES[case].path.joinpath("postgres.sql").read_text().upper()
    for word in ("QUALIFY", "EXCEPT", "EXCLUDE", "ASOF", "IGNORE NULLS"):
        assert word not in text, f"{word} in {case}/postgres.sql"
    tree = compile_plan(CASES[case].plan, POSTGRES)
    if tree.find(exp.Qualify) is not None:
        assert "_W = 1" in text  # the rewrite's filter


@pytest.mark.parametrize("case", ["full_tie", "derived", "unicode_names", "weird_identifiers"])
def test_the_output_lists_the_spine_columns_then_the_features(case: str) -> None:
    plan = CASES[case].plan
    tree = compile_plan(plan, POSTGRES)
    assert tree.named_selects == [*CASES[case].output_dtypes]
    assert plan.spine.columns is not None
    assert tree.named_selects[:len(plan.spine.columns)] == list(plan.spine.columns)


def _repo(source: Source, *aggregates: Aggregate) -> tuple[Repo, FeatureView]:
    view = FeatureView("tags", entities=[Entity("user", join_keys=["user_id"])],
                       source=source, features=list(aggregates))
    return Repo.from_objects([view]), view


def test_a_spine_whose_columns_are_unknown_is_refused() -> None:
    repo, view = _repo(Source("e", table="events", timestamp_field="ts"),
                       Aggregate("*", "count", window="1h"))
    for spine in (SpineRef("table", "db.spine"), SpineRef("query", "SELECT * FROM s")):
        with pytest.raises(UnsupportedError, match=r"postgres has no SELECT \* EXCEPT.*"
                                                   r"--spine-columns.*SpineRef"):
            repo.compile([view], spine, dialect="postgres")
    named = SpineRef("table", "db.spine", columns=("user_id", "event_timestamp", "label"))
    tree = repo.tree([view], named, dialect="postgres")
    assert tree.named_selects == ["user_id", "event_timestamp", "label", "count_1h"]
    for dialect in ("duckdb", "bigquery", "snowflake"):  # * EXCEPT: no columns needed
        repo.compile([view], SpineRef("table", "db.spine"), dialect=dialect)


@pytest.mark.parametrize("function", ["min", "max", "first", "last"])
def test_ordering_a_column_of_unknown_dtype_is_refused(function: str) -> None:
    """Postgres orders text by a collation: fsql must know the column is a string to add
    COLLATE "C" (and must not add it to a number, where it is an error)."""
    spine = SpineRef("table", "spine", columns=("user_id", "event_timestamp"))
    repo, view = _repo(Source("e", table="events", timestamp_field="ts"),
                       Aggregate("tag", function))
    with pytest.raises(UnsupportedError, match=rf"{function} over column 'tag', whose dtype "
                                               r"fsql does not know.*for postgres.*collation"):
        repo.compile([view], spine, dialect="postgres")
    repo.compile([view], spine, dialect="duckdb")  # code point order natively
    typed, view = _repo(Source("e", table="events", timestamp_field="ts",
                               schema={"tag": "string"}), Aggregate("tag", function))
    assert 'x0 COLLATE "C"' in typed.compile([view], spine, dialect="postgres")


@pytest.mark.parametrize("dialect", DIALECTS)
def test_strings_are_ordered_by_code_point(dialect: str) -> None:
    """golden/string_order: every ORDER BY key and MIN/MAX input that is a string carries
    COLLATE "C" on Postgres; no other dialect needs (or gets) a collation."""
    tree = compile_plan(CASES["string_order"].plan, get_dialect(dialect))
    collated = list(tree.find_all(exp.Collate))
    if dialect != "postgres":
        assert not collated
        return
    assert {c.this.sql("postgres") for c in collated} >= {
        "code", "__fsql_e.__fsql_f0", "__fsql_x0"}
    for aggregate in (exp.Min, exp.Max):  # (MAX of the winner's time __fsql_o: no string)
        assert all(isinstance(node.this, exp.Collate) for node in tree.find_all(aggregate)
                   if "__fsql_x0" in node.sql() and "__fsql_o" not in node.sql())
    # first/last (the navigation plan): the running count's tie order collates the value.
    ties = [w for w in tree.find_all(exp.Window) if isinstance(w.this, exp.Count)
            and w.args.get("order") is not None and "__fsql_x0" in w.this.sql()]
    assert ties and all(any(isinstance(o.this, exp.Collate) for o in w.args["order"].expressions)
                        for w in ties)
