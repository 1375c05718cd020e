"""fsql/sql/generation.py prints every tree exactly as sqlglot does: every tree fsql prints
for the golden cases and bench/golden_check.py's repository (training
sets, materialization scripts, dbt models, on every dialect), and trees holding the nodes whose
rewrites it keeps (UNNEST, EXPLODE, GENERATE_DATE_ARRAY), alone or beside SELECTs without them."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from sqlglot import exp

from fsql.checks import golden
from fsql.checks.outputs import KINDS, MATERIALIZE
from fsql.materialize.run import utc_now
from fsql.sql import compiler, generation
from fsql.sql.dialect import get_dialect
from tests.golden_support import DIALECTS, MATERIALIZE_CASES, cases

ROOT = Path(__file__).resolve().parent.parent
CASES = cases()


@pytest.fixture
def compared(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """Every tree fsql prints while the test runs is also printed by sqlglot (on a copy,
    first) and the two texts compared; yields how many trees were compared per dialect."""
    real = generation.sql
    seen: Counter[str] = Counter()

    def checked(tree: exp.Expr, dialect: str, **options: Any) -> str:
        expected = tree.sql(dialect=dialect, **{**options, "copy": True})
        text = real(tree, dialect, **options)
        assert text == expected, f"{dialect}: generation.sql differs from sqlglot's for\n{expected}"
        seen[dialect] += 1
        return text

    monkeypatch.setattr(compiler.generation, "sql", checked)
    yield seen


def test_the_faster_generator_is_used_where_it_skips_work() -> None:
    # sqlglot's BigQuery and Snowflake SELECT chains hold rewrites it leaves out; a sqlglot
    # whose chains it cannot read would silently lose the speed-up (bench/README.md)
    for dialect in ("bigquery", "snowflake"):
        found = generation._fast(dialect)
        assert found is not None and found.triggers
        chain = generation._chain(found.cls.__mro__[1].TRANSFORMS[exp.Select])
        assert chain is not None
        names = {generation._name(r) for r in chain[0]}
        assert set(generation.IDLE_WITHOUT) & names
    for dialect in DIALECTS:  # identifiers remembered
        found = generation._fast(dialect)
        assert found is not None and "identifier_sql" in vars(found.cls)
    assert not generation._fast("duckdb").triggers  # nothing of its chain is skipped


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_golden_case_trees_print_as_sqlglot_prints_them(case: Any, compared: Counter[str]
                                                        ) -> None:
    repo, settings, service = case.golden_request
    for dialect in DIALECTS:
        KINDS["training"].render(repo, settings, dialect, service)
    if case.name in MATERIALIZE_CASES:
        settings = replace(settings, end=case.end)
        for full_refresh in (True, False):
            for name in ("materialize", "dbt"):
                kind = KINDS[name]
                for dialect in (d for d in DIALECTS if kind.writes(d)):
                    for item in kind.items(repo):
                        kind.render(repo, replace(settings, full_refresh=full_refresh),
                                    dialect, item)
    assert set(compared) == set(DIALECTS)


def test_repository_trees_print_as_sqlglot_prints_them(tmp_path: Path,
                                                       compared: Counter[str]) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import golden_check  # bench/golden_check.py's repository: every kind of file
    finally:
        sys.path.remove(str(ROOT / "bench"))
    golden_check.write_repository(tmp_path, 20, False, list(KINDS))
    texts = golden.render(tmp_path, dialects=list(DIALECTS), jobs=1)  # compared here
    assert any(p.startswith("snowflake/materialize/") for p in texts)
    assert min(compared[d] for d in DIALECTS) > 0


# Trees with the nodes whose rewrites are kept, parsed from SQL that other dialects write:
# alone, nested, and next to SELECTs without them (those take the shorter chain).
TRIGGERING = [
    ("spark", "SELECT EXPLODE(xs) AS x FROM t"),
    ("spark", "SELECT POSEXPLODE(xs) FROM t"),
    ("spark", "SELECT a FROM (SELECT EXPLODE(xs) AS a FROM t) AS s JOIN (SELECT b FROM u "
              "WHERE b > 1) AS v ON s.a = v.b"),
    ("bigquery", "SELECT x FROM UNNEST([1, 2]) AS x"),
    ("bigquery", "SELECT t.a, x FROM (SELECT a, xs FROM (SELECT a, xs FROM t) AS i) AS t "
                 "CROSS JOIN UNNEST(t.xs) AS x"),
    ("bigquery", "WITH c AS (SELECT a FROM t), d AS (SELECT v FROM UNNEST([STRUCT(1 AS v)])) "
                 "SELECT * FROM c, d"),
    ("bigquery", "SELECT d FROM UNNEST(GENERATE_DATE_ARRAY(DATE '2020-01-01', "
                 "DATE '2020-01-05')) AS d"),
    ("bigquery", "SELECT ARRAY_LENGTH(GENERATE_DATE_ARRAY(DATE '2020-01-01', "
                 "DATE '2020-01-05')) AS n, (SELECT MAX(a) FROM t) AS m"),
    ("duckdb", "SELECT UNNEST(xs) AS x, (SELECT 1) AS one FROM t"),
    ("duckdb", "SELECT a FROM (VALUES (1), (2)) AS v(a)"),
    # identifiers: reserved words, digits, quotes inside, the same name quoted and not
    ("duckdb", 'SELECT "select", "1a", "a""b", "A", A, a, "order" AS "group" FROM "t" AS t'),
    ("bigquery", "SELECT `select`, `1a`, `a-b`, `dual` FROM `p.d.t` AS dual"),
    ("snowflake", 'SELECT "dual", dual, "Mixed", mixed FROM dual'),
]


@pytest.mark.parametrize("dialect", ["bigquery", "snowflake", "duckdb", "postgres"])
@pytest.mark.parametrize(("read", "text"), TRIGGERING)
def test_trees_with_kept_rewrites_print_as_sqlglot_prints_them(read: str, text: str,
                                                               dialect: str) -> None:
    tree = sqlglot.parse_one(text, read=read)
    for pretty in (False, True):
        assert generation.sql(tree, dialect, pretty=pretty) == tree.sql(dialect=dialect,
                                                                        pretty=pretty)
    for identify in (False, True):  # identify set: sqlglot's own identifier_sql
        assert generation.sql(tree, dialect, identify=identify) == tree.sql(
            dialect=dialect, identify=identify)
    expected = tree.sql(dialect=dialect)
    assert generation.sql(tree, dialect, copy=False) == expected  # rewrites it in place


def test_a_materialization_script_prints_the_warehouse_clock() -> None:
    case = next(c for c in CASES if c.name in MATERIALIZE_CASES)
    repo, settings, _ = case.golden_request
    (view,) = MATERIALIZE.items(repo)
    for dialect in ("duckdb", "bigquery", "snowflake"):
        text = MATERIALIZE.render(repo, replace(settings, end=case.end), dialect, view)
        clock = compiler.render(utc_now(dialect), get_dialect(dialect)).strip()
        assert text.count(clock) == 3, (dialect, clock)  # materialized_at, started, finished
        assert "1111-11-11" not in text

