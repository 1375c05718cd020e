"""Golden materialization scripts: golden/<case>/materialize.<dialect>.sql equals what
``fsql materialize --print --full-refresh`` writes as of the case's end time; the DuckDB one,
executed on DuckDB, and the Snowflake one, on fakesnow, leave latest tables equal to the
oracle for a spine of (every key, end). Printed incremental scripts (a first run, and runs
after each kind of state: a --full-refresh, an incremental run, an older end, a run that
stopped after its MERGE) leave the same tables on DuckDB."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import duckdb
import pytest

from fsql import oracle
from fsql.checks.golden import unified_diff
from fsql.materialize.layout import table_name
from fsql.materialize.run import print_script
from fsql.plan.nodes import SpineRef
from tests.engines.duckdb_engine import duckdb_type
from tests.golden_support import (
    GOLDEN,
    MATERIALIZE_CASES,
    MATERIALIZE_DIALECTS,
    GoldenCase,
    cases,
)
from tests.materialize_support import same

CASES = [c for c in cases() if c.name in MATERIALIZE_CASES]


def test_materialization_goldens_are_the_listed_cases() -> None:
    assert [c.name for c in CASES] == sorted(MATERIALIZE_CASES)
    found = sorted(p.relative_to(GOLDEN).as_posix() for p in GOLDEN.glob("*/materialize.*"))
    assert found == sorted(f"{c}/materialize.{d}.sql" for c in MATERIALIZE_CASES
                           for d in MATERIALIZE_DIALECTS)


@pytest.mark.parametrize("dialect", MATERIALIZE_DIALECTS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_materialize_sql_matches_golden(case: GoldenCase, dialect: str,
                                        update_golden: bool) -> None:
    path = case.path / f"materialize.{dialect}.sql"
    sql = case.materialize_sql(dialect)
    if update_golden:
        path.write_text(sql)
    assert path.exists(), f"{path} missing: run pytest --update-golden and review the diff"
    committed = path.read_text()
    assert sql == committed, (f"{path} differs from fsql's output; review and --update-golden:\n"
                              + unified_diff(f"{case.name}/materialize.{dialect}.sql",
                                             committed, sql))


def _statements(script: str) -> list[str]:
    body = "\n".join(line for line in script.splitlines() if not line.startswith("--"))
    return [s.strip() for s in body.split(";\n") if s.strip().rstrip(";")]


def _oracle(case: GoldenCase, view: str
            ) -> tuple[dict[tuple[Any, ...], dict[str, Any]], dict[str, Any]]:
    """key -> features, for a spine of (every non-NULL key of the view's source, end), and
    what a key without a row reads (the oracle with nothing visible)."""
    repo = case.golden_request[0]
    keys = repo.views[view].join_keys
    ref = repo.views[view].source
    table = case.tables[ref.table]
    names = [c for c, _ in table.columns]
    rows = [dict(zip(names, r, strict=True)) for r in table.rows]
    distinct = sorted({tuple(r[k] for k in keys) for r in rows
                       if all(r[k] is not None for k in keys)}, key=repr)
    spine = [dict(zip(keys, k, strict=True), event_timestamp=case.end) for k in distinct]
    types = dict(table.columns)
    plan = repo.plan([repo.views[view]],
                     SpineRef("table", "spine", "event_timestamp", "timestamp",
                              (*keys, "event_timestamp")),
                     spine_types={**{k: duckdb_type(types[k]) for k in keys},
                                  "event_timestamp": "TIMESTAMP"})
    source = plan.lookups[0].source.name
    result = oracle.evaluate(plan, spine, {source: rows})
    (nothing,) = oracle.evaluate(plan, [spine[0]], {source: []})
    return ({tuple(r[k] for k in keys): {n: r[n] for n in plan.output_names} for r in result},
            {n: nothing[n] for n in plan.output_names})


def _check(case: GoldenCase, rows_of: Any) -> None:
    """Every view's latest table (``rows_of(table) -> (columns, rows)``) equals the oracle
    for a spine of (every key, end); a key without a row reads as nothing visible."""
    repo = case.golden_request[0]
    for view in (v for v in repo.views.values() if v.join_keys):
        expected, absent = _oracle(case, view.name)
        columns, rows = rows_of(table_name(view))
        table = {}
        for row in rows:
            record = {str(c).lower(): v for c, v in zip(columns, row, strict=True)}
            table[tuple(record[k.lower()] for k in view.join_keys)] = record
        table = {tuple(int(k) if isinstance(k, Decimal) else k for k in key): r
                 for key, r in table.items()}
        assert table, f"{view.name}: the latest table is empty"
        assert set(table) <= set(expected), set(table) - set(expected)
        for key, want in expected.items():
            got = table.get(key)
            for name, value in want.items():
                have = absent[name] if got is None else got[name.lower()]
                if isinstance(value, int) and not isinstance(value, bool) and have is not None:
                    have = int(have)  # Snowflake's NUMBER comes back as Decimal
                if isinstance(value, Decimal) and have is not None:
                    have = Decimal(have)
                assert same(have, value), (view.name, key, name, have, value)


@pytest.mark.engine
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_snowflake_materialize_golden_runs_on_fakesnow_to_the_oracle(case: GoldenCase) -> None:
    from tests.engines.fakesnow_engine import load_statements
    from tests.engines.fakesnow_rewrite import rewrite_for_fakesnow
    from tests.test_materialize_engines import _fakesnow

    script = (case.path / "materialize.snowflake.sql").read_text()
    setup = [*load_statements(case.tables),
             *(rewrite_for_fakesnow(s + ";") for s in _statements(script))]
    _check(case, lambda table: _fakesnow(setup, f'SELECT * FROM "{table}"'))


@pytest.mark.engine
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_snowflake_printed_first_run_without_full_refresh_runs_on_fakesnow_to_the_oracle(
        case: GoldenCase) -> None:
    from tests.engines.fakesnow_engine import load_statements
    from tests.engines.fakesnow_rewrite import rewrite_for_fakesnow
    from tests.test_materialize_engines import _fakesnow

    script = case.materialize_sql("snowflake", full_refresh=False)
    setup = [*load_statements(case.tables),
             *(rewrite_for_fakesnow(s + ";") for s in _statements(script))]
    _check(case, lambda table: _fakesnow(setup, f'SELECT * FROM "{table}"'))


def _run_duckdb(case: GoldenCase, *scripts: str) -> None:
    """Load the case's tables, run ``scripts`` in order, check the latest tables."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for name, data in case.tables.items():
        columns = ", ".join(f'"{c}" {duckdb_type(t)}' for c, t in data.columns)
        con.execute(f'CREATE TABLE "{name}" ({columns})')
        if data.rows:
            marks = ", ".join("?" for _ in data.columns)
            con.executemany(f'INSERT INTO "{name}" VALUES ({marks})', data.rows)
    for script in scripts:
        for statement in _statements(script):
            con.execute(statement)

    def rows_of(table: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        cursor = con.execute(f'SELECT * FROM "{table}"')
        return [d[0] for d in cursor.description], cursor.fetchall()

    _check(case, rows_of)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_duckdb_materialize_golden_executes_to_the_oracle(case: GoldenCase) -> None:
    _run_duckdb(case, (case.path / "materialize.duckdb.sql").read_text())


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_printed_first_run_without_full_refresh_equals_the_oracle(case: GoldenCase) -> None:
    _run_duckdb(case, case.materialize_sql("duckdb", full_refresh=False))


def _script(case: GoldenCase, back: timedelta, *, full_refresh: bool = False) -> str:
    return print_script(case.golden_request[0], dialect="duckdb", end=case.end - back,
                        full_refresh=full_refresh)


def _crashed_after_merge(script: str) -> str:
    """``script`` as run by a warehouse that stopped after the MERGE (Snowflake's MERGE is
    atomic but outside a transaction): the latest table written, the state row unfinished."""
    kept = [s for s in _statements(script) if not s.startswith("UPDATE")]
    assert len(kept) < len(_statements(script)), "the script has no finish_state UPDATE"
    return ";\n".join(kept) + ";\n"


@pytest.mark.parametrize("scenario", ["after_full_refresh", "older_end_after", "after_crash",
                                      "after_incremental"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_printed_runs_read_everything_the_previous_state_does_not_cover(
        case: GoldenCase, scenario: str) -> None:
    """Every way the printed scripts read the state table: a run after a --full-refresh at an
    earlier end, an older end after the latest run (changes nothing), a run after a first run
    that stopped after its MERGE (no finished run: its stored state is not counted again), a
    run after an incremental first run."""
    (view,) = (v for v in case.golden_request[0].views.values() if v.join_keys)
    table = case.tables[view.source.table]
    at = [c for c, _ in table.columns].index(view.source.timestamp_field)
    times = sorted({r[at] for r in table.rows if r[at] is not None})
    # the earlier run ends at an event time inside the data: some rows before, some after
    earlier, now = case.end - (times[0] + (times[-1] - times[0]) / 2), timedelta(0)
    assert times[0] < case.end - earlier < times[-1]
    scripts = {
        "after_full_refresh": [_script(case, earlier, full_refresh=True), _script(case, now)],
        "older_end_after": [_script(case, now), _script(case, earlier)],
        "after_crash": [_crashed_after_merge(_script(case, earlier)), _script(case, now)],
        "after_incremental": [_script(case, earlier), _script(case, now)],
    }[scenario]
    _run_duckdb(case, *scripts)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_printed_run_after_a_crash_after_the_merge_of_a_later_run(case: GoldenCase) -> None:
    for first, crashed in ((timedelta(hours=2, minutes=30), timedelta(hours=1, minutes=30)),
                           (timedelta(minutes=55), timedelta(minutes=45))):
        _run_duckdb(case, _script(case, first), _crashed_after_merge(_script(case, crashed)),
                    _script(case, timedelta(0)))
