"""Latest tables of a Snowflake target read for ``fsql sync``: each read with its timestamps as
epoch microseconds (no session time zone or TIMESTAMP_NTZ reading involved) and fetched in
batches (``fetchmany``), never the whole table at once; NUMBER values come back as Python
ints and floats of the layout's dtypes."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterator
from typing import Any

from sqlglot import exp

from fsql.dtypes import DType
from fsql.engines import snowflake
from fsql.errors import ExecutionError, QueryRejectedError
from fsql.materialize.layout import CREATED_TIMESTAMP, FEATURE_TIMESTAMP, LatestTable
from fsql.materialize.targets import Target
from fsql.online.sync import LatestRow, micros_to_datetime
from fsql.sql.compiler import finalize, render
from fsql.sql.dialect import get_dialect

BATCH = 10_000  # rows per fetch


def latest_rows(con: Any, where: Target, layout: LatestTable, *, batch: int = BATCH
                ) -> Iterator[LatestRow]:
    """The rows of ``layout``'s latest table on ``where`` (keys, feature time, created time,
    features), fetched ``batch`` rows at a time."""
    dialect = get_dialect("snowflake")
    keys = [(k, t) for k, t in layout.keys]
    features = [(f, t) for f, t in layout.features]
    times = [dialect.epoch_micros_sql(exp.column(c), "timestamp")
             for c in (FEATURE_TIMESTAMP, CREATED_TIMESTAMP)]
    table = where.qualified(layout.name)
    query = exp.select(*[exp.column(k) for k, _ in keys], *times,
                       *[exp.column(f) for f, _ in features]).from_(exp.to_table(table))
    n = len(keys)
    dtypes = [t for _, t in keys] + [t for _, t in features]
    try:
        cursor = snowflake.execute(con, render(finalize(query, dialect), dialect),
                                   what=f"reading {table}")
        while rows := cursor.fetchmany(batch):
            for row in rows:
                values = [plain(v, d) for v, d in zip((*row[:n], *row[n + 2:]), dtypes,
                                                     strict=True)]
                created = row[n + 1]
                yield (values[:n], micros_to_datetime(int(row[n])),
                       None if created is None else micros_to_datetime(int(created)),
                       values[n:])
    except QueryRejectedError as err:
        raise ExecutionError(f"Target {where.url!r} has no readable latest table {table} "
                             f"({err}); run fsql materialize --views {layout.view.name} "
                             "first") from None


def plain(value: Any, dtype: DType) -> Any:
    """A value as the online encoder takes it: Snowflake's NUMBER as an int (int64) or a
    float (float64), a TIMESTAMP_NTZ (UTC wall-clock time) as a UTC timestamp."""
    if isinstance(value, decimal.Decimal) and dtype.name in ("int64", "float64"):
        return int(value) if dtype.name == "int64" else float(value)
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value
