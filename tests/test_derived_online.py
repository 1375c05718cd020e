"""The online path: each Derived feature evaluated in Python on a row's inputs equals what every
dialect's SQL computed for that row (golden cases with derived features, all engines)."""

from __future__ import annotations

import pytest

from fsql.expr.to_python import evaluate
from tests.engines import Engine
from tests.engines.duckdb_engine import DuckDBEngine
from tests.golden_support import GoldenCase, _equal, _normalize, cases

CASES = [c for c in cases() if c.plan.derived]


def engines() -> dict[str, type[Engine]]:
    from tests.engines.fakesnow_engine import FakesnowEngine
    from tests.engines.postgres_engine import PostgresEngine
    from tests.engines.zetasql_engine import ZetaSQLEngine

    return {"duckdb": DuckDBEngine, "bigquery": ZetaSQLEngine, "snowflake": FakesnowEngine,
            "postgres": PostgresEngine}


@pytest.mark.engine
@pytest.mark.parametrize("dialect", ["duckdb", "bigquery", "snowflake", "postgres"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_python_evaluation_equals_sql(case: GoldenCase, dialect: str) -> None:
    assert CASES, "no golden case has derived features"
    result = engines()[dialect]().run((case.path / f"{dialect}.sql").read_text(), case.tables)
    names = list(case.output_dtypes)
    checked = 0
    for row in result.rows:
        values = dict(zip(names, row, strict=True))
        for derived in case.plan.derived:
            columns = {n: derived.column(n) for n in derived.expression.references}
            if not all(c in values for c in columns.values()):
                continue  # reads a feature the request did not select (computed, not output)
            inputs = {n: values[c] for n, c in columns.items()}
            online = evaluate(derived.expression, inputs, dtypes=derived.input_dtypes or None)
            dtype = case.output_dtypes[derived.output_name]
            got = _normalize(values[derived.output_name], dtype)
            assert _equal(_normalize(online, dtype), got), (
                f"{derived.output_name}: Python {online!r} != {dialect} SQL {got!r} on {values}"
            )
            checked += 1
    visible = [d for d in case.plan.derived
               if all(d.column(n) in names for n in d.expression.references)]
    assert checked == len(result.rows) * len(visible) > 0
