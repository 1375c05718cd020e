"""Latest tables of a BigQuery target read for ``fsql sync``: each streamed page by page as
Arrow (never the whole table in memory)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlglot import exp

from fsql.engines import bigquery
from fsql.errors import ExecutionError, QueryRejectedError
from fsql.materialize.layout import CREATED_TIMESTAMP, FEATURE_TIMESTAMP, LatestTable
from fsql.materialize.targets import Target
from fsql.online.sync import LatestRow

PAGE = 50_000  # rows per page fetched from BigQuery


def latest_rows(bq: Any, where: Target, layout: LatestTable, *, page_size: int = PAGE
                ) -> Iterator[LatestRow]:
    """The rows of ``layout``'s latest table on ``where`` (keys, feature time, created time,
    features), fetched a page at a time."""
    keys = [k for k, _ in layout.keys]
    features = [f for f, _ in layout.features]
    columns = [*keys, FEATURE_TIMESTAMP, CREATED_TIMESTAMP, *features]
    table = where.qualified(layout.name)
    query = exp.select(*[exp.column(c, quoted=True) for c in columns]).from_(
        exp.to_table(table)).sql(dialect="bigquery")
    n = len(keys)
    try:
        for batch in bigquery.query_batches(bq, query, what=f"reading {table}",
                                            page_size=page_size):
            values = [batch.column(i).to_pylist() for i in range(len(columns))]
            for row in zip(*values, strict=True):
                yield row[:n], row[n], row[n + 1], row[n + 2:]
    except QueryRejectedError as err:
        raise ExecutionError(f"Target {where.url!r} has no readable latest table {table} "
                             f"({err}); run fsql materialize --views {layout.view.name} "
                             "first") from None
