"""The conformance report: every golden case on every dialect's engine.

Run ``python -m tests.conformance`` (or ``make conformance``). Prints one row per case with
``pass``, ``xfail (reason)`` or ``FAIL (message)`` per dialect, and each engine's total seconds.
Exits 1 when any cell fails.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from tests.engines import Engine
from tests.golden_support import DIALECTS, GoldenCase, assert_result_matches, cases


def _engines() -> dict[str, Callable[[], Engine]]:
    from tests.engines.duckdb_engine import DuckDBEngine
    from tests.engines.fakesnow_engine import FakesnowEngine
    from tests.engines.postgres_engine import PostgresEngine
    from tests.engines.zetasql_engine import ZetaSQLEngine

    return {"duckdb": DuckDBEngine, "bigquery": ZetaSQLEngine, "snowflake": FakesnowEngine,
            "postgres": PostgresEngine}


def check(case: GoldenCase, dialect: str, engine: Engine) -> str:
    """``pass`` or ``FAIL (...)`` for one cell."""
    try:
        result = engine.run((case.path / f"{dialect}.sql").read_text(), case.tables)
        assert_result_matches(result, case.expected(), case.output_dtypes)
    except Exception as err:  # a report: every failure becomes a cell, none is hidden
        return f"FAIL ({type(err).__name__}: {str(err).splitlines()[0][:80]})"
    return "pass"


def main() -> int:
    """Print the matrix; return 1 if any cell failed."""
    factories = _engines()
    engines = {d: factories[d]() for d in DIALECTS}
    seconds = dict.fromkeys(DIALECTS, 0.0)
    all_cases = cases()
    width = max(len(c.name) for c in all_cases)
    print(f"{'case':<{width}}  " + "  ".join(f"{d:<10}" for d in DIALECTS))
    failed = False
    for case in all_cases:
        cells = []
        for dialect in DIALECTS:
            started = time.perf_counter()
            cell = check(case, dialect, engines[dialect])
            seconds[dialect] += time.perf_counter() - started
            failed |= cell.startswith("FAIL")
            cells.append(f"{cell:<10}")
        print(f"{case.name:<{width}}  " + "  ".join(cells))
    print(f"{'seconds':<{width}}  " + "  ".join(f"{seconds[d]:<10.2f}" for d in DIALECTS))
    print("engines: duckdb = DuckDB; bigquery = GoogleSQL reference implementation (zetasql); "
          "snowflake = fakesnow via snowflake-connector-python; postgres = PostgreSQL "
          "server via psycopg")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
