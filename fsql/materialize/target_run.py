"""Training sets computed in a BigQuery or Snowflake target (``fsql run --target``,
``Repo.get_historical_features(..., target=...)``): the client opened from the target's URL
or profile and credentials, the spine (a local file, a DataFrame or Arrow table: uploaded; a
table or query: used in place) handed to the warehouse's training-set code."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from fsql.dsl.catalog import Catalog
from fsql.engines import bigquery, snowflake
from fsql.engines.runner import RunSummary
from fsql.engines.warehouse_run import run_to_file as write_run
from fsql.errors import CompileError, UnsupportedError
from fsql.materialize.targets import (
    bigquery_client,
    resolve_target,
    snowflake_connection,
)

Progress = Callable[[str], None]
WAREHOUSES = ("bigquery", "snowflake")


def warehouse_training_set(repo: Catalog, features: str | Sequence[Any], spine: Any, *,
                           target: str, progress: Progress | None = None, **options: Any
                           ) -> tuple[pa.Table, tuple[str, ...]]:
    """The training set of ``spine`` computed by ``target`` (a ``bigquery://`` or
    ``snowflake://`` URL or the name of a ``[targets.NAME]`` profile), as Arrow, and its
    feature names. ``spine``: a .parquet/.csv path (str or Path; a relative one from the
    working directory, as on DuckDB), a pandas DataFrame or an Arrow table (all
    uploaded to a table that expires, in their row order), or a table name or SELECT query
    run in place in the warehouse (no order of its own)."""
    where = resolve_target(target, root=repo.root)
    if where.scheme not in WAREHOUSES:
        raise UnsupportedError(
            f"Target {where.url!r}: training sets run in BigQuery and Snowflake targets (and "
            "on embedded DuckDB without a target)")
    with tempfile.TemporaryDirectory(prefix="fsql_spine_") as tmp:
        if isinstance(spine, (pd.DataFrame, pa.Table)):
            table = spine if isinstance(spine, pa.Table) else \
                pa.Table.from_pandas(spine, preserve_index=False)
            path = Path(tmp) / "spine.parquet"
            pq.write_table(table, path)
            spine = str(path)
        elif isinstance(spine, Path):
            spine = str(spine)
        elif not isinstance(spine, str):
            raise CompileError(f"A spine on a {where.scheme} target is a file path, table "
                               f"name, SELECT query, DataFrame or Arrow table, not "
                               f"{type(spine).__name__}")
        if where.scheme == "snowflake":
            con = snowflake_connection(where)
            try:
                return snowflake.training_set(repo, features, spine, con=con,
                                              progress=progress, **options)
            finally:
                con.close()
        bq = bigquery_client(where)
        return bigquery.training_set(repo, features, spine, bq=bq,
                                     dataset=f"{where.host}.{where.database}",
                                     progress=progress, **options)


def warehouse_run_to_file(repo: Catalog, features: str | Sequence[Any], spine: Any,
                          out: str | Path, *, target: str, progress: Progress | None = None,
                          **options: Any) -> RunSummary:
    """``fsql run --target``: that training set written to ``out`` (.parquet or .csv)
    atomically."""
    return write_run(lambda: warehouse_training_set(repo, features, spine, target=target,
                                                    progress=progress, **options), out)
