"""Training sets and statements on Snowflake through snowflake-connector-python: a connection
from the target's parts and credentials, a local spine file uploaded to a TEMPORARY table, a
table or query spine used in place, results fetched as Arrow, each query's state shown as
progress, and Ctrl-C cancelling the running query (``SYSTEM$CANCEL_QUERY``)."""

from __future__ import annotations

import contextlib
import json
import math
import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from fsql.dsl.catalog import Catalog
from fsql.dtypes import DType
from fsql.engines.credentials import Credentials
from fsql.engines.files import DuckDBFiles
from fsql.engines.runner import SPINE_ROW_ID, RunSummary
from fsql.engines.warehouse_run import local_spine
from fsql.engines.warehouse_run import run_to_file as write_run
from fsql.errors import CompileError, ExecutionError, QueryRejectedError
from fsql.plan.nodes import SpineRef
from fsql.plan.planner import build_plan, is_file_name, is_query
from fsql.plan.schemas import Target
from fsql.sql.compiler import compile_plan, finalize, render
from fsql.sql.dialect import Dialect, get_dialect
from fsql.sql.tree import ident, table_ref

Progress = Callable[[str], None]
LOGIN_TIMEOUT = 20  # seconds: an unreachable account fails in this time, not the default 120
_UPPER_IDENTIFIER = re.compile(r"[A-Z_][A-Z0-9_$]*")
# The JSON text of one INSERT of spine rows. Snowflake asks for statements under 1 MB (larger
# ones run but cannot be retried): https://docs.snowflake.com/en/user-guide/query-size-limits;
# printing the text as a SQL string can double its backslashes.
BATCH_BYTES = 450_000
# The fsql dtype of each spine column, which gives its Snowflake type (dialects/snowflake.toml).
_DTYPES = ((pa.types.is_boolean, "bool"), (pa.types.is_integer, "int64"),
           (pa.types.is_floating, "float64"), (pa.types.is_string, "string"),
           (pa.types.is_large_string, "string"), (pa.types.is_timestamp, "timestamp"),
           (pa.types.is_date, "date"))


def connection(account: str, *, database: str, schema: str, options: Mapping[str, str],
               credentials: Credentials) -> Any:
    """A snowflake-connector-python connection to ``database.schema`` of ``account``; the
    URL's ``warehouse``, ``role``, ``host``, ``port`` and ``protocol`` options are passed on
    (``host``/``port``/``protocol=http`` point it at a local server of the Snowflake API).
    The session's time zone is UTC. Failing to connect is an ExecutionError without secrets.
    """
    connector = _connector()
    settings: dict[str, Any] = {"account": account, "database": database, "schema": schema,
                                "login_timeout": LOGIN_TIMEOUT,
                                "session_parameters": {"TIMEZONE": "UTC"}}
    for name in ("warehouse", "role", "host", "protocol"):
        if options.get(name):
            settings[name] = options[name]
    if options.get("port"):
        try:
            settings["port"] = int(options["port"])
        except ValueError:
            raise CompileError(f"Snowflake target: ?port={options['port']!r} is not a number"
                               ) from None
    try:
        return connector.connect(**settings, **credentials.secret)
    except connector.errors.Error as err:
        at = f" at {options['host']}{':' + options['port'] if options.get('port') else ''}" \
            if options.get("host") else ""
        raise ExecutionError(f"Snowflake account {account!r}{at}: cannot connect: "
                             f"{_first_line(err, credentials)}") from None


def _sql(tree: exp.Expr) -> str:
    """A statement fsql builds here, as Snowflake SQL: reserved words quoted as the compiler
    quotes them (a spine table or column may be called ``from`` or ``order``)."""
    dialect = get_dialect("snowflake")
    return render(finalize(tree, dialect), dialect).rstrip()


def _connector() -> Any:
    try:
        import snowflake.connector  # an extra: imported when a target needs it
    except ImportError:
        raise ExecutionError("Snowflake targets need snowflake-connector-python: pip install "
                             "'fsql[snowflake]'") from None
    return snowflake.connector


def _first_line(err: BaseException, credentials: Credentials | None = None) -> str:
    """The error's first line, with every secret value of ``credentials`` masked."""
    text = str(err).strip()
    line = text.splitlines()[0] if text else type(err).__name__
    for value in (credentials.secret.values() if credentials else ()):
        if isinstance(value, str) and len(value) >= 4:
            line = line.replace(value, "***")
    return line


def execute(con: Any, sql: str, *, what: str, progress: Progress | None = None,
            poll: float = 1.0) -> Any:
    """Run one statement and return its cursor (holding the result). The query runs
    asynchronously: its state is reported about every ``poll`` seconds, and Ctrl-C cancels it
    in Snowflake (``SYSTEM$CANCEL_QUERY``) before the KeyboardInterrupt goes on. A refused
    statement is a QueryRejectedError, a service that cannot answer an ExecutionError."""
    errors = _connector().errors
    cursor = con.cursor()
    qid = None
    try:
        qid = cursor.execute_async(sql)["queryId"]
        started, wait = time.monotonic(), 0.02
        while con.is_still_running(con.get_query_status_throw_if_error(qid)):
            time.sleep(min(wait, poll))
            wait *= 2
            if progress is not None and wait > poll:
                progress(f"{what}: query {qid} running, {time.monotonic() - started:.0f} s")
        cursor.get_results_from_sfqid(qid)
    except KeyboardInterrupt:
        if qid is not None:  # (before it has an id, the connector's own handler cancels it)
            cancel(con, qid)
        raise
    except errors.Error as err:
        raise _failed(err, what) from None
    return cursor


def _failed(err: Exception, what: str) -> ExecutionError:
    """A QueryRejectedError when Snowflake refused the statement (compilation, a missing
    object, a value that does not convert: a problem of that statement), else an
    ExecutionError (the service could not answer)."""
    errors = _connector().errors
    refused = (errors.ProgrammingError, errors.DataError, errors.IntegrityError,
               errors.NotSupportedError)
    kind = QueryRejectedError if isinstance(err, refused) else ExecutionError
    return kind(f"Snowflake failed {what}: {_first_line(err)}")


def cancel(con: Any, qid: str) -> None:
    """Cancel query ``qid`` in Snowflake; when Snowflake does not, an ExecutionError saying
    how to cancel it by hand (the query would go on running).
    https://docs.snowflake.com/en/sql-reference/functions/system_cancel_query"""
    try:
        con.cursor().execute("SELECT SYSTEM$CANCEL_QUERY(%s)", (qid,))
    except _connector().errors.Error as err:
        raise ExecutionError(f"Interrupted, but Snowflake did not cancel query {qid}: "
                             f"{_first_line(err)}; cancel it with SELECT "
                             f"SYSTEM$CANCEL_QUERY('{qid}')") from None


def query_arrow(con: Any, sql: str, *, what: str, progress: Progress | None = None
                ) -> pa.Table:
    """Run ``sql`` and fetch its result as Arrow (``fetch_arrow_all``)."""
    cursor = execute(con, sql, what=what, progress=progress)
    try:
        result = cursor.fetch_arrow_all(force_return_table=True)
    except _connector().errors.Error as err:
        raise _failed(err, what) from None
    assert result is not None
    return result


@dataclass(frozen=True)
class Explained:
    """What Snowflake's ``EXPLAIN`` says of one statement: the micro-partitions and bytes it
    would scan after compile-time pruning (the plan's GlobalStats row; None where the plan
    has none) and its operations in plan order."""

    what: str
    partitions_total: int | None
    partitions_assigned: int | None
    bytes_assigned: int | None
    operations: tuple[str, ...]

    def format(self) -> str:
        """One line: the partitions and bytes the statement would scan."""
        if self.partitions_assigned is None:
            return f"{self.what}: no table scanned ({', '.join(self.operations) or 'no plan'})"
        return (f"{self.what}: {self.partitions_assigned} of {self.partitions_total} "
                f"partitions, {self.bytes_assigned} bytes assigned")


def explain(con: Any, sql: str, *, what: str) -> Explained:
    """Snowflake's plan of ``sql`` (one statement: compiled, not executed, no warehouse
    needed), from ``EXPLAIN USING TABULAR``; a refused statement is a QueryRejectedError
    (what ``fsql validate --target`` reports at the definition). The tables it reads must
    exist: a materialization step that reads the run's temporary tables cannot be explained
    alone.
    https://docs.snowflake.com/en/sql-reference/sql/explain

    >>> explain(con, repo.compile("svc", "spine", dialect="snowflake"),  # doctest: +SKIP
    ...         what="service svc").format()
    'service svc: 3 of 12 partitions, 1048576 bytes assigned'
    """
    cursor = execute(con, "EXPLAIN USING TABULAR\n" + sql.strip().rstrip(";").rstrip(),
                     what=f"explaining {what}")
    names = [d.name.lower() for d in cursor.description]
    rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    stats = next((r for r in rows if r.get("operation") == "GlobalStats"), {})

    def number(name: str) -> int | None:
        value = stats.get(name.lower())
        return None if value is None else int(value)

    return Explained(what, number("partitionsTotal"), number("partitionsAssigned"),
                     number("bytesAssigned"),
                     tuple(str(r["operation"]) for r in rows
                           if r.get("operation") not in (None, "GlobalStats")))


def upload(con: Any, name: str, rows: pa.Table, *, temporary: bool = True,
           progress: Progress | None = None) -> None:
    """Create table ``name`` (TEMPORARY: dropped with the session) with ``rows``' columns,
    typed as fsql's Snowflake SQL types them (timestamps as TIMESTAMP_NTZ, UTC wall-clock
    time), and insert the rows, ``BATCH_BYTES`` of JSON per statement, each batch one JSON
    string literal flattened into rows (one token to parse, however many rows) whose values
    are exact texts cast to the column types with explicit formats (no session format reads
    them)."""
    dialect = get_dialect("snowflake")
    dtypes = [_dtype(field) for field in rows.schema]
    columns = [exp.ColumnDef(this=ident(f.name), kind=dialect.type_sql(d))
               for f, d in zip(rows.schema, dtypes, strict=True)]
    properties = exp.Properties(expressions=[exp.TemporaryProperty()]) if temporary else None
    create = exp.Create(this=exp.Schema(this=exp.to_table(name, dialect="snowflake"),
                                        expressions=columns),
                        kind="TABLE", properties=properties)
    execute(con, _sql(create), what=f"creating {name}", progress=progress)
    values = [_value(dialect, i, dtype) for i, dtype in enumerate(dtypes)]
    for batch in _batches(json.dumps([_text(v) for v in row.values()], ensure_ascii=False)
                          for row in rows.to_pylist()):
        flattened = exp.TableFromRows(this=exp.Explode(this=exp.Kwarg(
            this=exp.var("INPUT"), expression=exp.ParseJSON(this=exp.Literal.string(batch)))))
        select = exp.select(*[v.copy() for v in values]).from_(flattened)
        insert = exp.Insert(this=exp.to_table(name, dialect="snowflake"), expression=select)
        execute(con, _sql(insert), what=f"loading {name}", progress=progress)


def _batches(rows: Iterable[str]) -> Iterator[str]:
    """JSON arrays of the rows (each a JSON array), each at most ``BATCH_BYTES`` (a row
    longer than that alone)."""
    batch: list[str] = []
    size = 0
    for row in rows:
        length = len(row.encode()) + 1
        if batch and size + length > BATCH_BYTES:
            yield "[" + ",".join(batch) + "]"
            batch, size = [], 0
        batch.append(row)
        size += length
    if batch:
        yield "[" + ",".join(batch) + "]"


def _value(dialect: Dialect, index: int, dtype: DType) -> exp.Expr:
    """Column ``index`` of a flattened row (``value[index]::VARCHAR``) as ``dtype``."""
    text = exp.Cast(this=exp.Bracket(this=exp.column("value"),
                                     expressions=[exp.Literal.number(index)]),
                    to=exp.DataType.build("VARCHAR"))
    if dtype.name == "string":
        return text
    if dtype.name == "timestamp":
        return dialect.template("timestamp_literal", x=text)
    if dtype.name == "date":
        return dialect.template("date_literal", x=text)
    return exp.Cast(this=text, to=dialect.type_sql(dtype))


def _text(value: Any) -> str | None:
    """The exact text of a spine value (aware timestamps in UTC); None for NULL."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else \
            ("NaN" if math.isnan(value) else ("inf" if value > 0 else "-inf"))
    if isinstance(value, datetime):
        utc = value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
        return utc.isoformat(sep=" ", timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)  # int, Decimal: exact


def _dtype(field: pa.Field) -> DType:
    if pa.types.is_decimal(field.type):
        return DType("decimal", field.type.precision, field.type.scale)
    kind = next((name for test, name in _DTYPES if test(field.type)), None)
    if kind is None:
        raise CompileError(f"Spine column {field.name!r} has type {field.type}, which fsql "
                           "does not upload to Snowflake; cast it to a number, string, "
                           "date or timestamp")
    return DType(kind)


def _columns_of(con: Any, spine: str) -> tuple[str, ...]:
    """The columns of a table or query spine, as Snowflake describes them (nothing runs:
    the connector's ``describe``)."""
    dialect = get_dialect("snowflake")
    sql = spine if is_query(spine) else _sql(  # the table named as the query names it
        exp.select(exp.Star()).from_(table_ref(spine, dialect)))
    try:
        described = con.cursor().describe(sql)
    except _connector().errors.Error as err:
        raise _failed(err, f"reading the spine {spine!r}") from None
    return tuple(_unquoted(d.name) for d in described or ())


def table_columns(con: Any, name: str) -> tuple[str, ...] | None:
    """The column names of table ``name`` as Snowflake stores them (nothing runs: the
    connector's ``describe``); None when it does not exist."""
    sql = _sql(exp.select(exp.Star()).from_(table_ref(name, get_dialect("snowflake"))))
    try:
        described = con.cursor().describe(sql)
    except _connector().errors.Error as err:
        if "does not exist" in str(err).lower():
            return None
        raise _failed(err, f"reading the columns of {name}") from None
    return tuple(d.name for d in described or ())


def _unquoted(name: str) -> str:
    """A column name as fsql's definitions write it: Snowflake stores an unquoted identifier
    upper-cased and resolves it case-insensitively, so ``USER_ID`` is read as ``user_id``
    (which fsql prints unquoted); any other name (created quoted) is kept as it is.
    https://docs.snowflake.com/en/sql-reference/identifiers-syntax"""
    return name.lower() if _UPPER_IDENTIFIER.fullmatch(name) else name


def _restore_names(result: pa.Table, names: Iterable[str]) -> pa.Table:
    """``result`` with Snowflake's upper-cased names of unquoted identifiers given back
    their definitions' spelling, and timestamps (TIMESTAMP_NTZ: UTC wall-clock time) as UTC
    instants in microseconds (the connector's Arrow has nanoseconds)."""
    spelled = {n.upper(): n for n in names}
    columns, fields = [], []
    for field, column in zip(result.schema, result.columns, strict=True):
        name = field.name if field.name in spelled.values() else \
            spelled.get(field.name, field.name)
        if pa.types.is_timestamp(field.type):  # fsql's resolution: the microsecond
            column = pc.cast(column, pa.timestamp("us", tz="UTC"))
        columns.append(column)
        fields.append(pa.field(name, column.type))
    return pa.Table.from_arrays(columns, schema=pa.schema(fields))


def training_set(repo: Catalog, features: str | Sequence[Any], spine: str, *, con: Any,
                 progress: Progress | None = None,
                 spine_timestamp: str = "event_timestamp",
                 **options: Any) -> tuple[pa.Table, tuple[str, ...]]:
    """The training set of ``spine`` (a local file: uploaded to a TEMPORARY table of the
    connection's schema; a table or query: used in place, unqualified names read from the
    connection's schema) computed by Snowflake, in a file spine's order, and its feature
    names."""
    dialect = get_dialect("snowflake")
    uploaded = None
    types: Mapping[str, str] | None = None
    try:
        if is_file_name(spine) and not is_query(spine):
            local, rows, types = local_spine(spine, timestamp_column=spine_timestamp)
            # Unqualified: a temporary table lives in the session's schema (fakesnow's server
            # refuses a qualified one: "TEMPORARY table names can only use the temp catalog").
            uploaded = upload_name()
            if progress is not None:
                progress(f"uploading the spine ({rows.num_rows} rows) to {uploaded} "
                         "(TEMPORARY)")
            upload(con, uploaded, rows, progress=progress)
            ref = replace(local, kind="table", ref=uploaded)
            spine_names: tuple[str, ...] = tuple(rows.column_names)
        else:
            spine_names = _columns_of(con, spine)
            ref = SpineRef("query" if is_query(spine) else "table", spine, spine_timestamp,
                           columns=spine_names)
        plan = build_plan(repo, features, ref, target=Target(dialect.name,
                                                             dialect.reads_local_files),
                          schemas=DuckDBFiles(), spine_types=types, **options)
        sql = render(compile_plan(plan, dialect), dialect)
        result = query_arrow(con, sql, what="running the training-set query",
                             progress=progress)
    except BaseException:
        if uploaded is not None:  # the first error is the one to report; the session's end
            with contextlib.suppress(ExecutionError):  # drops the table anyway
                _drop(con, uploaded)
        raise
    if uploaded is not None:
        _drop(con, uploaded)
    result = _restore_names(result, (*spine_names, *plan.output_names, SPINE_ROW_ID))
    drop_ids = [n for n in result.column_names if n == SPINE_ROW_ID]
    return (result.drop_columns(drop_ids) if drop_ids else result), plan.output_names


def upload_name() -> str:
    """A fresh name for an uploaded spine table."""
    return f"fsql_spine_{uuid.uuid4().hex[:12]}"


def _drop(con: Any, name: str) -> None:
    drop = exp.Drop(tables=[exp.to_table(name, dialect="snowflake")], kind="TABLE", exists=True)
    execute(con, _sql(drop), what=f"dropping {name}")


def run_to_file(repo: Catalog, features: str | Sequence[Any], spine: str, out: str | Path, *,
                con: Any, progress: Progress | None = None,
                **options: Any) -> RunSummary:
    """Write the training set Snowflake computes to ``out`` (.parquet or .csv) atomically.

    >>> run_to_file(repo, "svc", "spine.parquet", "out.parquet",      # doctest: +SKIP
    ...             con=connection(...))
    """
    return write_run(lambda: training_set(repo, features, spine, con=con, progress=progress,
                                          **options), out)
