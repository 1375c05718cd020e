"""``fsql validate --target``: ask the target's warehouse about each compiled statement of its
dialect without running it (a BigQuery dry run or a Snowflake ``EXPLAIN``: what it would
read, or why it refuses).

One function per scheme in :data:`ASKERS` opens the warehouse and returns an :data:`Ask`:
the statement's SQL (and what it is, for messages) in, the bytes it would process out (None
when the warehouse does not say), a :class:`~fsql.errors.QueryRejectedError` when the
warehouse refuses the statement (a problem of that definition), any other error when the
warehouse cannot answer at all (an outage: the whole check stops).
:data:`HOW` names each scheme's way of asking, for the report.

>>> ask = asker(parse_url("bigquery://p/ds", root=Path(".")))  # doctest: +SKIP
>>> ask("SELECT 1", "a test")  # doctest: +SKIP
0
"""

from __future__ import annotations

from collections.abc import Callable

from fsql.engines import bigquery, snowflake
from fsql.engines.credentials import Credentials
from fsql.errors import UnsupportedError
from fsql.materialize.targets import Target, bigquery_client, credentials

Ask = Callable[[str, str], int | None]  # (SQL, what it is for errors: "view 'v'") -> bytes


def _bigquery(target: Target, found: Credentials) -> Ask:
    bq = bigquery_client(target, found)
    dataset = f"{target.host}.{target.database}"

    def ask(sql: str, what: str) -> int | None:
        job = bigquery.dry_run(bq, sql, what=f"dry-running {what}", dataset=dataset)
        done = job.total_bytes_processed
        return None if done is None else int(done)

    return ask


def _snowflake(target: Target, found: Credentials) -> Ask:
    con = snowflake.connection(target.host, database=target.database,
                               schema=target.schema.split(".")[-1],
                               options=dict(target.options), credentials=found)

    def ask(sql: str, what: str) -> int | None:
        return snowflake.explain(con, sql, what=what).bytes_assigned

    return ask


def _duckdb(target: Target, found: Credentials) -> Ask:
    raise UnsupportedError(
        f"Target {target.url!r}: fsql validate --target asks a warehouse (bigquery://... or "
        "snowflake://...); "
        "DuckDB statements are checked without --target, and fsql run executes them")


# The scheme's way of asking about a statement without running it, and its name.
HOW = {"bigquery": "dry run", "snowflake": "EXPLAIN"}  # "accepted ... in a dry run / an EXPLAIN"
ASKERS: dict[str, Callable[[Target, Credentials], Ask]] = {
    "bigquery": _bigquery, "snowflake": _snowflake, "duckdb": _duckdb}


def asker(target: Target) -> Ask:
    """How ``target``'s warehouse is asked about one statement (credentials checked first;
    none: a CredentialsError naming what would provide them)."""
    return ASKERS[target.scheme](target, credentials(target))
