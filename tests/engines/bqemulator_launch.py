"""Entry point of the local BigQuery API server, run by tests/engines/bqemulator_server.py in
``.venv-bqemulator`` (never imported by fsql's own environment).

bqemulator's engine runs ``INSTALL spatial`` at start, which downloads an extension; this
machine is offline and fsql uses no GEOGRAPHY, so that one step is skipped.

Before its type-aware rewrite rules, bqemulator runs sqlglot's ``qualify`` over the query with
the catalog's schema. On GoogleSQL's star of a STRUCT column (``SELECT __fsql_whole.* FROM
__fsql_pk``: how fsql's BigQuery SQL carries the chain row across a UNION ALL) that produces a
qualified ``__fsql_pk.__fsql_whole.*``, which its DuckDB cannot parse ("Did not expect more
than one column in front of a star expression"). When the rewritten query does not parse, the
rules are applied without the schema, the path bqemulator itself takes when ``qualify`` fails
(its type-aware rules then skip). Everything else is the package's own ``bqemulator start``."""

import sys
from typing import Any

import duckdb
from bqemulator.cli import main
from bqemulator.sql.translator import SQLTranslator
from bqemulator.storage import engine


def _no_spatial(self: object) -> None:
    """GEOGRAPHY is unused by fsql; skip the extension download."""


engine.DuckDBEngine._load_spatial = _no_spatial  # type: ignore[method-assign]

_apply_rules = SQLTranslator._apply_rules


def _rules_that_parse(self: SQLTranslator, sql: str, *, schema: Any = None) -> str:
    """bqemulator's rewrite, without the schema when the schema's output does not parse."""
    out = _apply_rules(self, sql, schema=schema)
    if schema is None or out == sql:
        return out
    try:
        duckdb.extract_statements(out)
    except duckdb.ParserException:
        return _apply_rules(self, sql, schema=None)
    return out


SQLTranslator._apply_rules = _rules_that_parse  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.exit(main())
