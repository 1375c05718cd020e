"""Training sets on BigQuery through google-cloud-bigquery: a local spine file uploaded to a
table that expires, a table or query spine used in place, the result fetched as Arrow, job
state shown as progress, and Ctrl-C cancelling the job."""

from __future__ import annotations

import concurrent.futures
import io
import json
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

from fsql.dsl.catalog import Catalog
from fsql.engines.bigquery_calls import (
    TIMEOUT,
    as_execution_error,
    failures,
    is_client_error,
    retry,
)
from fsql.engines.credentials import Credentials
from fsql.engines.files import DuckDBFiles
from fsql.engines.runner import SPINE_ROW_ID, RunSummary
from fsql.engines.warehouse_run import local_spine
from fsql.engines.warehouse_run import run_to_file as write_run
from fsql.errors import CompileError, ExecutionError, QueryRejectedError
from fsql.plan.nodes import SpineRef
from fsql.plan.planner import build_plan, is_file_name, is_query
from fsql.plan.schemas import Target
from fsql.sql.compiler import compile_plan, render
from fsql.sql.dialect import get_dialect

Progress = Callable[[str], None]
POLL = 1.0  # seconds between two looks at a running job's state
SPINE_EXPIRES = timedelta(hours=1)  # an uploaded spine table is deleted by BigQuery after this
_TYPES = ((pa.types.is_boolean, "BOOL"), (pa.types.is_integer, "INT64"),
          (pa.types.is_floating, "FLOAT64"), (pa.types.is_string, "STRING"),
          (pa.types.is_large_string, "STRING"), (pa.types.is_timestamp, "TIMESTAMP"),
          (pa.types.is_date, "DATE"), (pa.types.is_decimal, "NUMERIC"))


def client(project: str, *, location: str | None, endpoint: str | None,
           credentials: Credentials) -> Any:
    """A google-cloud-bigquery client of ``project`` (at ``endpoint``: a local server)."""
    try:
        from google.api_core.client_options import ClientOptions  # an extra
        from google.cloud import bigquery
    except ImportError:
        raise ExecutionError("BigQuery targets need google-cloud-bigquery: pip install "
                             "'fsql[bigquery]'") from None
    options = ClientOptions(api_endpoint=endpoint) if endpoint else None
    return bigquery.Client(project=project, location=location, client_options=options,
                           **credentials.secret)


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def upload(bq: Any, table_id: str, table: pa.Table, *, expires: timedelta = SPINE_EXPIRES
           ) -> None:
    """Load ``table`` into a new BigQuery table ``table_id`` (NDJSON) that expires."""
    from google.cloud import bigquery

    fields = []
    for field in table.schema:
        kind = next((name for test, name in _TYPES if test(field.type)), None)
        if kind is None:
            raise CompileError(f"Spine column {field.name!r} has type {field.type}, which fsql "
                               "does not upload to BigQuery; cast it to a number, string, "
                               "date or timestamp")
        fields.append(bigquery.SchemaField(field.name, kind))
    text = "\n".join(json.dumps({k: _json_value(v) for k, v in row.items()})
                     for row in table.to_pylist())
    what = f"uploading the spine to {table_id}"
    with failures(what):
        created = bq.create_table(bigquery.Table(table_id, schema=fields), retry=retry(),
                                  timeout=TIMEOUT)
        created.expires = datetime.now(UTC) + expires
        bq.update_table(created, ["expires"], retry=retry(), timeout=TIMEOUT)
        config = bigquery.LoadJobConfig(source_format="NEWLINE_DELIMITED_JSON", schema=fields)
        job = bq.load_table_from_file(io.BytesIO(text.encode()), table_id, job_config=config,
                                      timeout=TIMEOUT)
    wait(job, what=what)


def wait(job: Any, *, what: str, progress: Progress | None = None,
         page_size: int | None = None) -> Any:
    """The job's result; its state (and bytes processed) reported each second; Ctrl-C
    cancels the job in BigQuery before it is raised again. Each call is bounded, and a
    failed job is not restarted (``job_retry=None``: it fails the command)."""
    bounds: dict[str, Any] = {"retry": retry()}
    if hasattr(job, "query"):  # a QueryJob would also restart a failed job for 40 minutes
        bounds["job_retry"] = None
    if page_size is not None:
        bounds["page_size"] = page_size
    try:
        # Poll the job's state (a small request) rather than result(timeout=1): result()
        # hands its timeout on to every page request of the rows.
        while not job.done(retry=retry(), timeout=TIMEOUT):
            if progress is not None:
                done = getattr(job, "total_bytes_processed", None)
                progress(f"{what}: job {job.job_id} {job.state}"
                         + (f", {done} bytes processed" if done else ""))
            time.sleep(POLL)
        return job.result(timeout=TIMEOUT, **bounds)
    except KeyboardInterrupt:
        job.cancel(retry=retry(), timeout=TIMEOUT)
        raise
    except concurrent.futures.TimeoutError:
        raise ExecutionError(f"BigQuery did not answer {what} within {TIMEOUT:g} s") from None
    except Exception as err:
        if is_client_error(err):
            raise as_execution_error(err, what) from None
        raise


def query_arrow(bq: Any, sql: str, *, dataset: str | None, progress: Progress | None = None,
                what: str = "running the training-set query") -> pa.Table:
    """Run ``sql`` (unqualified tables read from ``dataset``, ``project.dataset``, if given)
    and fetch its result as Arrow."""
    rows = execute(bq, sql, dataset=dataset, what=what, progress=progress)
    with failures(f"fetching the result of {what}"):
        return rows.to_arrow(create_bqstorage_client=False)


def execute(bq: Any, sql: str, *, what: str, dataset: str | None = None,
            progress: Progress | None = None, page_size: int | None = None) -> Any:
    """Run ``sql`` (a query or a script) as one job and wait for it (Ctrl-C cancels it); its
    rows come in pages of ``page_size`` (default: BigQuery's)."""
    from google.cloud import bigquery

    with failures(what):
        job = bq.query(sql, job_config=bigquery.QueryJobConfig(default_dataset=dataset),
                       retry=retry(), timeout=TIMEOUT, job_retry=None)
    return wait(job, what=what, progress=progress, page_size=page_size)


def query_batches(bq: Any, sql: str, *, what: str, page_size: int = 50_000
                  ) -> Iterator[pa.RecordBatch]:
    """Run ``sql`` and yield its rows as Arrow record batches, one page of at most
    ``page_size`` rows fetched at a time (the whole result is never held in memory)."""
    rows = execute(bq, sql, what=what, page_size=page_size)
    with failures(f"fetching the rows of {what}"):
        yield from rows.to_arrow_iterable(bqstorage_client=None, timeout=TIMEOUT)


def dry_run(bq: Any, sql: str, *, what: str, dataset: str | None = None) -> Any:
    """A dry run of ``sql`` (``use_query_cache=False``): the finished job, whose
    ``total_bytes_processed`` is what the query would read; BigQuery's refusal (a missing
    table, a type error) is an ExecutionError naming ``what``."""
    from google.cloud import bigquery

    config = bigquery.QueryJobConfig(dry_run=True, use_query_cache=False,
                                     default_dataset=dataset)
    with failures(what):
        job = bq.query(sql, job_config=config, retry=retry(), timeout=TIMEOUT, job_retry=None)
    return wait_dry(job, what=what)


def _columns_of(bq: Any, spine: str, dataset: str) -> tuple[str, ...]:
    """The columns of a table or query spine, asked of BigQuery (a dry run for a query)."""
    if is_query(spine):
        schema = dry_run(bq, spine, what="reading the spine query", dataset=dataset).schema
    else:
        name = spine if spine.count(".") >= 1 else f"{dataset}.{spine}"
        with failures(f"reading the spine table {spine!r}"):
            schema = bq.get_table(name, retry=retry(), timeout=TIMEOUT).schema
    return tuple(f.name for f in schema)


def table_columns(bq: Any, name: str) -> tuple[str, ...] | None:
    """The column names of table ``name`` (``project.dataset.table`` or
    ``dataset.table``), from its metadata (nothing is billed); None when it does not exist."""
    from google.api_core.exceptions import NotFound  # an extra

    with failures(f"reading the columns of {name}"):
        try:
            table = bq.get_table(name, retry=retry(), timeout=TIMEOUT)
        except NotFound:
            return None
    return tuple(f.name for f in table.schema)


def wait_dry(job: Any, *, what: str) -> Any:
    """A dry-run job (done when returned), or an ExecutionError naming ``what``."""
    if job.error_result:
        raise QueryRejectedError(f"BigQuery failed {what}: {job.error_result.get('message')}")
    return job


def training_set(repo: Catalog, features: str | Sequence[Any], spine: str, *, bq: Any,
                 dataset: str, progress: Progress | None = None,
                 spine_timestamp: str = "event_timestamp",
                 **options: Any) -> tuple[pa.Table, tuple[str, ...]]:
    """The training set of ``spine`` (a local file: uploaded to a table of ``dataset`` that
    expires; a table or query: used in place) computed by BigQuery, in the spine's order, and
    its feature names."""
    dialect = get_dialect("bigquery")
    uploaded = None
    types: Mapping[str, str] | None = None
    if is_file_name(spine) and not is_query(spine):
        local, rows, types = local_spine(spine, timestamp_column=spine_timestamp)
        uploaded = f"{dataset}.fsql_spine_{uuid.uuid4().hex[:12]}"
        if progress is not None:
            progress(f"uploading the spine ({rows.num_rows} rows) to {uploaded}, expires in "
                     f"{SPINE_EXPIRES}")
        upload(bq, uploaded, rows)
        ref = replace(local, kind="table", ref=uploaded)
    else:
        ref = SpineRef("query" if is_query(spine) else "table", spine, spine_timestamp,
                       columns=_columns_of(bq, spine, dataset))
    try:
        plan = build_plan(repo, features, ref, target=Target(dialect.name,
                                                             dialect.reads_local_files),
                          schemas=DuckDBFiles(), spine_types=types, **options)
        sql = render(compile_plan(plan, dialect), dialect)
        result = query_arrow(bq, sql, dataset=dataset, progress=progress)
    finally:
        if uploaded is not None:
            with failures(f"deleting the uploaded spine {uploaded}"):
                bq.delete_table(uploaded, not_found_ok=True, retry=retry(), timeout=TIMEOUT)
    drop = [n for n in result.column_names if n == SPINE_ROW_ID]
    return (result.drop_columns(drop) if drop else result), plan.output_names


def run_to_file(repo: Catalog, features: str | Sequence[Any], spine: str, out: str | Path, *,
                bq: Any, dataset: str, progress: Progress | None = None,
                **options: Any) -> RunSummary:
    """Write the training set BigQuery computes to ``out`` (.parquet or .csv) atomically."""
    return write_run(lambda: training_set(repo, features, spine, bq=bq, dataset=dataset,
                                          progress=progress, **options), out)
