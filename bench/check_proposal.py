"""Check the two-phase prototype (bench/fsql_proposal.py) against fsql's oracle.

Runs the query :class:`fsql_proposal.TwoPhaseCompiler` builds on every golden case (in three
session time zones) and on hypothesis-generated scenarios, with the test suite's own engine,
oracle and comparison (tests/ is imported, not modified).

    cd /work/main && python bench/check_proposal.py [--examples 300]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from fsql_proposal import TwoPhaseCompiler  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402

from fsql.compiler import finalize, render  # noqa: E402
from fsql.dialect import get_dialect  # noqa: E402
from fsql.plan import PointInTimePlan  # noqa: E402
from tests.engines.duckdb_engine import DuckDBEngine  # noqa: E402
from tests.golden_support import assert_result_matches, cases  # noqa: E402
from tests.scenarios import Scenario, scenarios  # noqa: E402
from tests.test_properties import expected_rows  # noqa: E402


def two_phase(plan: PointInTimePlan) -> str:
    """The prototype's DuckDB SQL for ``plan``."""
    dialect = get_dialect("duckdb")
    return render(finalize(TwoPhaseCompiler(plan, dialect).build(), dialect), dialect)


def check_golden() -> int:
    """Every golden case, three session time zones; returns the number of checks."""
    done = 0
    for case in cases():
        sql = two_phase(case.plan)
        for zone in ("UTC", "America/Los_Angeles", "Asia/Kolkata"):
            result = DuckDBEngine(time_zone=zone).run(sql, case.tables)
            assert_result_matches(result, case.expected(), case.output_dtypes)
            done += 1
    return done


def check_properties(examples: int) -> None:
    """Generated scenarios: the prototype's rows equal the oracle's."""
    @settings(max_examples=examples, deadline=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(scenarios())
    def prop(scenario: Scenario) -> None:
        result = DuckDBEngine().run(two_phase(scenario.plan), scenario.tables)
        rows, dtypes = expected_rows(scenario)
        assert_result_matches(result, rows, dtypes)

    prop()


def main(argv: list[str] | None = None) -> int:
    """Command line; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=300, help="hypothesis examples")
    args = parser.parse_args(argv)
    print(f"golden cases: {check_golden()} checks passed")
    check_properties(args.examples)
    print(f"properties: {args.examples} generated scenarios equal the oracle")
    return 0


if __name__ == "__main__":
    sys.exit(main())
