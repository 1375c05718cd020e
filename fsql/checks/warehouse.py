"""``fsql validate --target``: ask the target's warehouse about each compiled statement of its
dialect without running it (a BigQuery dry run: what it would read, or why it refuses).

One function per scheme in :data:`ASKERS` opens the warehouse and returns an :data:`Ask`:
the statement's SQL (and what it is, for messages) in, the bytes it would process out (None
when the warehouse does not say), a :class:`~fsql.errors.QueryRejectedError` when the
warehouse refuses the statement (a problem of that definition), any other error when the
warehouse cannot answer at all (an outage: the whole check stops).
A Snowflake ``EXPLAIN`` is one more entry of :data:`ASKERS`.

>>> ask = asker(parse_url("bigquery://p/ds", root=Path(".")))  # doctest: +SKIP
>>> ask("SELECT 1", "dry-running a test")  # doctest: +SKIP
0
"""

from __future__ import annotations

from collections.abc import Callable

from fsql.engines import bigquery
from fsql.engines.credentials import Credentials, bigquery_endpoint
from fsql.errors import UnsupportedError
from fsql.materialize.targets import Target, credentials

Ask = Callable[[str, str], int | None]  # (SQL, what it is for errors) -> bytes


def _bigquery(target: Target, found: Credentials) -> Ask:
    bq = bigquery.client(target.host, location=target.option("location"),
                         endpoint=bigquery_endpoint(target.option("api_endpoint")),
                         credentials=found)
    dataset = f"{target.host}.{target.database}"

    def ask(sql: str, what: str) -> int | None:
        job = bigquery.dry_run(bq, sql, what=what, dataset=dataset)
        done = job.total_bytes_processed
        return None if done is None else int(done)

    return ask


def _snowflake(target: Target, found: Credentials) -> Ask:
    raise UnsupportedError(
        f"Target {target.url!r}: fsql validate asks only BigQuery targets today (a dry run); "
        "the Snowflake EXPLAIN check is not built yet: run fsql validate without --target, "
        "or print a statement with fsql compile --dialect snowflake and EXPLAIN it there")


def _duckdb(target: Target, found: Credentials) -> Ask:
    raise UnsupportedError(
        f"Target {target.url!r}: fsql validate --target asks a warehouse (bigquery://...); "
        "DuckDB statements are checked without --target, and fsql run executes them")


# The scheme's way of asking about a statement without running it.
ASKERS: dict[str, Callable[[Target, Credentials], Ask]] = {
    "bigquery": _bigquery, "snowflake": _snowflake, "duckdb": _duckdb}


def asker(target: Target) -> Ask:
    """How ``target``'s warehouse is asked about one statement (credentials checked first;
    none: a CredentialsError naming what would provide them)."""
    return ASKERS[target.scheme](target, credentials(target))
