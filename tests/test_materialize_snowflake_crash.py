"""Printed Snowflake scripts are safe to run again after a crash at any statement boundary.

Snowflake runs the script one autocommitted statement at a time (its MERGE is atomic, but
outside a transaction), so a job that dies leaves every statement before the crash done and
none after. For each golden case and each boundary, on fakesnow: a finished run, the next
run stopped at that boundary, then (a) the same script run again in full and a later run,
(b) the later run only. The latest tables must equal the oracle for a spine of (every key,
end): lifetime sums merged with the stored state are never counted twice (each key stores
the settle point of its sums, docs/materialization.md, "Lifetime aggregates")."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fsql.materialize.run import print_script
from tests.golden_support import GoldenCase
from tests.test_golden_materialize import CASES, _check, _statements

pytestmark = pytest.mark.engine


def _script(case: GoldenCase, back: timedelta) -> list[str]:
    return _statements(print_script(case.golden_request[0], dialect="snowflake",
                                    end=case.end - back))


def _run(case: GoldenCase, statements: list[str]) -> None:
    from tests.engines.fakesnow_engine import load_statements
    from tests.engines.fakesnow_rewrite import rewrite_for_fakesnow
    from tests.test_materialize_engines import _fakesnow

    setup = [*load_statements(case.tables), *(rewrite_for_fakesnow(s + ";") for s in statements)]
    _check(case, lambda table: _fakesnow(setup, f'SELECT * FROM "{table}"'))


@pytest.mark.parametrize("again", [True, False], ids=["rerun", "next_only"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_snowflake_script_after_a_crash_at_every_boundary_equals_the_oracle(
        case: GoldenCase, again: bool) -> None:
    first = _script(case, timedelta(hours=2, minutes=30))
    crashed = _script(case, timedelta(hours=1, minutes=30))
    last = _script(case, timedelta(0))
    assert any(s.startswith("MERGE") for s in crashed)
    # every boundary after the first data statement, the last one (before the state UPDATE)
    # included: the boundary whose double counting the settle points fix
    for stop in range(1, len(crashed)):
        _run(case, [*first, *crashed[:stop], *(crashed if again else []), *last])
