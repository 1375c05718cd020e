"""Run training-set requests on embedded DuckDB: file sources are read in place."""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import sqlglot
from sqlglot import exp

from fsql.dsl.catalog import Catalog
from fsql.dtypes import DType
from fsql.engines.bad_values import first_bad_timestamp
from fsql.engines.files import DuckDBFiles, first_line
from fsql.engines.plan_choice import choose_plans
from fsql.engines.statements import (
    copy_to,
    create_temp_table,
    describe,
    drop_table,
    from_relation,
    null_counts,
    read_file,
    select_all,
    set_option,
    statement_sql,
    table,
)
from fsql.errors import CompileError, ExecutionError, FsqlError
from fsql.expr.types import result_dtype
from fsql.plan.nodes import Cut, PointInTimePlan, SpineRef
from fsql.plan.planner import FILE_SUFFIXES, build_plan, is_query, with_spine_columns
from fsql.plan.schemas import Target
from fsql.sql.compiler import compile_plan, render
from fsql.sql.dialect import get_dialect

SPINE_INPUT = "__fsql_spine_input"
SPINE_ROW_ID = "__fsql_rid"
_SPINE_QUERY, _SPINE_FRAME = "__fsql_spine_query", "__fsql_spine_frame"
_SPINE_ROWS, _ROW = "__fsql_spine_rows", "__fsql_r"


@dataclass(frozen=True)
class RunSummary:
    """What a run produced: row count, feature names, NULLs per feature, wall seconds."""

    rows: int
    features: tuple[str, ...]
    null_counts: dict[str, int]
    seconds: float

    def format(self) -> str:
        """A short human-readable report."""
        lines = [f"{self.rows} rows, {len(self.features)} features, {self.seconds:.2f} s"]
        width = max((len(f) for f in self.features), default=0)
        for name in self.features:
            nulls = self.null_counts[name]
            share = f"{100 * nulls / self.rows:.1f}%" if self.rows else "-"
            lines.append(f"  {name:<{width}}  NULL {nulls} ({share})")
        return "\n".join(lines)


_SIZE = re.compile(r"^[0-9]+(\.[0-9]+)? ?([KMGT]i?)?B$", re.IGNORECASE)


def connect(*, progress: bool = False, memory_limit: str | None = None
            ) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection whose session time zone is UTC (rendering of TIMESTAMPTZ values).

    ``memory_limit`` (e.g. ``"4GB"``) caps DuckDB's memory; past it, DuckDB spills to a
    temporary directory. Without it, DuckDB may use up to 80% of the machine's RAM.
    """
    con = duckdb.connect()
    con.execute(statement_sql(set_option("TimeZone")), ["UTC"])
    con.execute(statement_sql(set_option("enable_progress_bar")), [progress])
    # Hash joins build on the right side as written: DuckDB's estimates of fsql's generated
    # rows (block covers, ranks) are far off, and flipping sides on them cost 13% time and
    # 1.4 GiB on the Zipf aggregation benchmark and 18% on the 1M point-in-time one.
    con.execute(statement_sql(set_option("disabled_optimizers")), ["build_side_probe_side"])
    if memory_limit is not None:
        if not _SIZE.match(memory_limit):
            raise ExecutionError(
                f"memory limit {memory_limit!r} is not a size; write it like '4GB' or '500MB'")
        con.execute(statement_sql(set_option("memory_limit")), [memory_limit])
    return con


def set_repository_root(con: duckdb.DuckDBPyConnection, root: Path) -> None:
    """Resolve relative file paths in SQL run on ``con`` against the repository ``root``.

    Compiled DuckDB SQL names file sources relative to the repository root, and a spine query
    may too (``read_parquet('data/transactions.parquet')``); DuckDB's ``file_search_path``
    finds them. DuckDB tries a relative path against the process's working directory first
    and searches ``file_search_path`` only when nothing matches there
    (https://duckdb.org/docs/stable/configuration/overview, ``file_search_path``).
    """
    text = str(root)
    if "," in text:
        # The setting is a comma-separated list of directories: a comma would split the root.
        raise ExecutionError(
            f"The feature repository's path {text!r} holds a comma, which DuckDB's "
            "file_search_path cannot hold; move or rename the repository directory")
    con.execute(statement_sql(set_option("file_search_path")), [text])


def _relative_paths(tree: exp.Expr) -> list[str]:
    """Relative file paths a DuckDB query reads: string arguments of table functions in FROM
    (``read_parquet('data/x.parquet')``) and file names used as tables (``FROM 'x.csv'``)."""
    paths = []
    for node in tree.find_all(exp.Literal, exp.Table):
        if isinstance(node, exp.Literal):
            table = node.find_ancestor(exp.Table)
            if node.is_string and table is not None and isinstance(table.this, exp.Func):
                paths.append(node.this)
        elif isinstance(node.this, exp.Identifier) and (
                "/" in node.name or node.name.lower().endswith((*FILE_SUFFIXES, ".json"))):
            paths.append(node.name)
    return [p for p in paths if p and not Path(p).is_absolute() and "://" not in p]


def check_relative_paths(tree: exp.Expr, root: Path, *, what: str) -> None:
    """Refuse a relative path that DuckDB would read from the working directory instead of
    the repository ``root``: it searches ``file_search_path`` only when the working directory
    has no match, so another ``data/x.parquet`` there would be read silently."""
    for relative in _relative_paths(tree):
        here, there = Path.cwd() / relative, root / relative
        if here.is_file() and not (there.is_file() and here.samefile(there)):
            raise ExecutionError(
                f"{what} reads {relative!r}, which DuckDB would take from the working directory "
                f"({here}) rather than from the feature repository ({there}); run from the "
                "repository root or another directory, or write the path absolute")


@dataclass(frozen=True)
class _SpineInput:
    """How the spine is read: a relation (with its parameters), the in-memory object to
    register under that name (a DataFrame or an Arrow table) or the user's query to define it
    as a view (run as written), and its name in messages."""

    relation: exp.Expr
    params: list[Any]
    frame: Any | None
    what: str
    query: str | None = None


def _spine_input(spine: Any) -> _SpineInput:
    if isinstance(spine, str) and is_query(spine):
        text = spine.strip().rstrip(";").strip()
        short = " ".join(text.split())
        short = short if len(short) <= 80 else short[:77] + "..."
        return _SpineInput(table(_SPINE_QUERY), [], None, f"the spine query {short!r}", text)
    if isinstance(spine, (str, Path)):
        path = Path(spine).resolve()
        return _SpineInput(read_file(None, reader=_reader(path)), [str(path)], None,
                           f"the spine {str(path)!r}")
    return _SpineInput(table(_SPINE_FRAME), [], spine, "the spine")


def _reader(path: Path) -> str:
    if not path.exists():
        raise ExecutionError(
            f"Spine file {str(path)!r} does not exist; the local runner reads a .parquet or "
            ".csv file, a 'SELECT ...' query, a pandas DataFrame or an Arrow table (use "
            "`fsql compile` for a warehouse table)"
        )
    if not path.is_file():
        raise ExecutionError(f"Spine {str(path)!r} is not a file; give a .parquet or .csv file")
    if path.name.lower().endswith((".csv", ".csv.gz")):
        return "read_csv"
    if path.name.lower().endswith(".parquet"):
        return "read_parquet"
    raise ExecutionError(f"Spine file {str(path)!r}: use a .parquet or .csv file")


def _check_timestamp_text(con: duckdb.DuckDBPyConnection, source: _SpineInput,
                          columns: dict[str, str], column: str) -> None:
    """A timestamp column DuckDB read as text: name the first value that is not a timestamp."""
    if columns.get(column) != "VARCHAR":
        return
    bad = first_bad_timestamp(con, source.relation, source.params, column)
    if bad is not None:
        row, text = bad
        raise CompileError(
            f"The spine's timestamp column {column!r} holds VARCHAR, not timestamps: row {row}: "
            f"{text!r} is not a timestamp or date; store ISO 8601 timestamps or dates in it "
            "(e.g. 2024-01-01T13:00:00Z), or name another column with --spine-timestamp COL")


def _load_spine(con: duckdb.DuckDBPyConnection, spine: Any, *, timestamp_column: str,
                root: Path | None = None) -> tuple[SpineRef, dict[str, str]]:
    """Copy the spine into table SPINE_INPUT with a row number in its order; return the spine
    and its columns' types (without the row number). ``root``: where relative paths of a
    spine query are read from (for the error message)."""
    source = _spine_input(spine)
    relation, params = source.relation, source.params
    # fetchall, not fetchone: DuckDB refuses con.sql() while a result is left unfinished.
    (zone,) = con.execute(statement_sql(exp.select(exp.func(
        "current_setting", exp.Literal.string("TimeZone"))))).fetchall()
    try:
        # A CSV column mixing naive and offset timestamps is read as TIMESTAMPTZ, its naive
        # values in the session zone: read them as UTC, as fsql's semantics say.
        con.execute(statement_sql(set_option("TimeZone")), ["UTC"])
        if source.query is not None:
            # The user's query runs as written (DuckDB's syntax, which sqlglot may not parse).
            con.sql(source.query).create_view(_SPINE_QUERY, replace=True)
        if source.frame is not None:
            try:
                con.register(_SPINE_FRAME, source.frame)
            except duckdb.Error:
                raise ExecutionError(
                    f"Cannot read the spine, a {type(spine).__name__}: give a .parquet or .csv "
                    "path, a 'SELECT ...' query, a pandas DataFrame or an Arrow table") from None
        columns = {r[0]: str(r[1]) for r in con.execute(
            statement_sql(describe(select_all(relation))), params).fetchall()}
        _check_timestamp_text(con, source, columns, timestamp_column)
        ref = with_spine_columns(
            SpineRef("query", statement_sql(select_all(table(SPINE_INPUT))), timestamp_column,
                     row_id_column=SPINE_ROW_ID), columns)
        # The row number is the table's rowid, read while the table holds one STRUCT column:
        # a spine column called "rowid" would hide DuckDB's pseudo-column.
        rows = exp.select(exp.column(_ROW)).from_(
            exp.alias_(from_relation(relation), _ROW, table=True))
        con.execute(statement_sql(create_temp_table(_SPINE_ROWS, rows)), params)
        numbered = exp.select(exp.Unnest(expressions=[exp.column(_ROW)]),
                              exp.alias_(exp.column("rowid"), SPINE_ROW_ID)).from_(
            table(_SPINE_ROWS))
        con.execute(statement_sql(create_temp_table(SPINE_INPUT, numbered)))
        con.execute(statement_sql(drop_table(_SPINE_ROWS)))
    except duckdb.Error as err:
        if source.frame is None and not source.params:
            where = f" (relative paths in it name files under {str(root)!r})" if root else ""
            raise ExecutionError(
                f"DuckDB failed to run {source.what}{where}: {first_line(err)}") from None
        raise ExecutionError(f"Cannot read the spine: {first_line(err)}") from None
    finally:
        if source.frame is not None:
            con.unregister(_SPINE_FRAME)
        con.execute(statement_sql(set_option("TimeZone")), [zone[0]])
    return ref, columns


def load_spine(con: duckdb.DuckDBPyConnection, spine: Any, *, timestamp_column: str) -> SpineRef:
    """Copy the spine into a DuckDB table (keeping its row order) and describe it."""
    return _load_spine(con, spine, timestamp_column=timestamp_column)[0]


def training_set_sql(repo: Catalog, features: str | Sequence[Any], con: duckdb.DuckDBPyConnection,
                     spine: Any, *, spine_timestamp: str = "event_timestamp",
                     cut: Cut | None = None, created_cutoff: bool = False,
                     full_names: bool = False, env: str | None = None,
                     serving_lag: timedelta | str | None = None
                     ) -> tuple[str, tuple[str, ...]]:
    """Load ``spine`` into ``con`` and return the DuckDB query and its feature columns.

    ``spine`` is a .parquet/.csv path (relative to the working directory), a ``SELECT``/
    ``WITH`` query run on ``con``, a pandas DataFrame or an Arrow table. ``con``'s
    ``file_search_path`` is set to the repository root, so that relative paths in the
    compiled SQL and in a spine query name files of the repository.

    ``con``'s TimeZone only changes how TIMESTAMPTZ values print: the spine is read in UTC
    and the query compares instants. (A CSV *source* whose timestamp column mixes naive and
    offset values is still read in the session's zone when the query runs.)

    >>> con = connect()                                                  # doctest: +SKIP
    >>> sql, names = training_set_sql(repo, "svc", con, "spine.parquet")  # doctest: +SKIP
    """
    tree, plan = _training_set(repo, features, con, spine, spine_timestamp=spine_timestamp,
                               cut=cut, created_cutoff=created_cutoff, full_names=full_names,
                               env=env, serving_lag=serving_lag)
    return render(tree, get_dialect("duckdb"), copy=False), plan.output_names


def _training_set(repo: Catalog, features: str | Sequence[Any], con: duckdb.DuckDBPyConnection,
                  spine: Any, *, spine_timestamp: str = "event_timestamp",
                  cut: Cut | None = None, created_cutoff: bool = False,
                  full_names: bool = False, env: str | None = None,
                  serving_lag: timedelta | str | None = None
                  ) -> tuple[exp.Expr, PointInTimePlan]:
    """The training-set query's tree (sources read by absolute paths, plans chosen for the
    spine loaded into ``con``) and its plan."""
    if isinstance(spine, str) and is_query(spine):
        set_repository_root(con, repo.root)
        try:
            query = sqlglot.parse_one(spine.strip().rstrip(";"), read="duckdb")
        except sqlglot.errors.ParseError:
            query = None  # DuckDB may still read it; it names its own errors
        if query is not None:
            check_relative_paths(query, repo.root, what="The spine query")
    ref, types = _load_spine(con, spine, timestamp_column=spine_timestamp, root=repo.root)
    dialect = get_dialect("duckdb")
    plan = build_plan(repo, features, ref, target=Target(dialect.name, dialect.reads_local_files),
                      schemas=DuckDBFiles(), env=env, cut=cut, created_cutoff=created_cutoff,
                      full_names=full_names, spine_types=types, serving_lag=serving_lag)
    plan = choose_plans(_absolute_sources(plan, repo.root), con, SPINE_INPUT, dialect)
    return compile_plan(plan, dialect), plan


def _absolute_sources(plan: PointInTimePlan, root: Path) -> PointInTimePlan:
    """``plan`` with its file sources named by absolute paths. Compiled text names them
    relative to the repository root (the same on every machine); the runner executes, and an
    absolute path cannot be shadowed by a file of the same name in the working directory
    (DuckDB looks there before ``file_search_path``)."""
    lookups = tuple(
        replace(lk, source=replace(lk.source, ref=str((root / lk.source.ref).resolve())))
        if lk.source.kind == "path" else lk for lk in plan.lookups)
    return replace(plan, lookups=lookups)


def run_training_set(repo: Catalog, features: str | Sequence[Any], spine: Any, *,
                     arrow: bool = False, progress: bool = False,
                     memory_limit: str | None = None, **options: Any) -> Any:
    """The training set as a pandas DataFrame (or an Arrow table with ``arrow=True``): one row
    per spine row, in the spine's order, the spine's columns first, then the features.

    ``spine``: a pandas DataFrame, an Arrow table, a .parquet/.csv path or a ``SELECT``/
    ``WITH`` query (run on the runner's DuckDB; relative paths in it name files of the
    repository). The output goes through Arrow, never through DuckDB's ``.df()``, so no column
    is converted lossily:

    - a DataFrame spine's columns come back as given (the same Series: dtype, time zone,
      values), and the output keeps its index; an Arrow spine's columns come back as the same
      Arrow arrays; a Parquet spine's timestamp columns keep the file's unit and time zone;
      CSV and query spines come back as DuckDB reads them;
    - feature columns: int -> pandas ``Int64`` and bool -> ``boolean`` (nullable, always:
      a NULL is ``pd.NA``, never a float); float64 -> ``float64`` (NULL -> NaN); string ->
      pandas' default string dtype; timestamp -> ``datetime64[us, UTC]`` (Arrow:
      ``timestamp[us, tz=UTC]``; output timestamps are UTC); date -> ``datetime.date``
      objects; decimal(p,s) -> exact ``decimal.Decimal`` objects (Arrow: ``decimal128``);
    - int and bool columns DuckDB produces for a file, query or Arrow spine follow the same
      nullable rule.

    See docs/python_api.md.

    >>> df = run_training_set(repo, "fraud_detection", spine_frame)        # doctest: +SKIP
    """
    result, plan = training_table(repo, features, spine, progress=progress,
                                  memory_limit=memory_limit, **options)
    return result_frame(result, spine, feature_dtypes(plan), arrow=arrow)


def training_table(repo: Catalog, features: str | Sequence[Any], spine: Any, *,
                   progress: bool = False, memory_limit: str | None = None,
                   **options: Any) -> tuple[pa.Table, PointInTimePlan]:
    """The training set as DuckDB returns it (an Arrow table: spine columns, then features)
    and its plan; :func:`run_training_set` gives it the spine's own types."""
    con = connect(progress=progress, memory_limit=memory_limit)
    tree, plan = _training_set(repo, features, con, spine, **options)
    try:
        # A relation: Arrow output without an extra copy.
        return con.sql(render(tree, get_dialect("duckdb"), copy=False)).to_arrow_table(), plan
    except duckdb.Error as err:
        raise ExecutionError(
            f"DuckDB failed to run the training-set query: {first_line(err)}") from None


def feature_dtypes(plan: PointInTimePlan) -> dict[str, DType | None]:
    """Each output feature of ``plan`` and its dtype (declared, else inferred; None: unknown)."""

    out: dict[str, DType | None] = {o.output_name: o.dtype for lk in plan.lookups
                                    for o in lk.outputs if not o.hidden}
    for d in plan.derived:
        try:
            out[d.output_name] = d.dtype or result_dtype(d.expression, d.input_dtypes)
        except FsqlError:
            out[d.output_name] = None
    return out


def arrow_type(dtype: DType) -> pa.DataType:
    """The Arrow type of an fsql dtype in the local runner's output (timestamps: UTC, us)."""
    if dtype.name == "decimal":
        return pa.decimal128(dtype.precision or 38, dtype.scale or 0)
    return {"int64": pa.int64(), "float64": pa.float64(), "string": pa.string(),
            "bool": pa.bool_(), "timestamp": pa.timestamp("us", tz="UTC"),
            "date": pa.date32()}[dtype.name]


# Arrow int and bool types -> pandas' nullable dtypes: a NULL is pd.NA, never a float.
_NULLABLE: dict[pa.DataType, Any] = {
    pa.bool_(): pd.BooleanDtype(),
    pa.int8(): pd.Int8Dtype(), pa.int16(): pd.Int16Dtype(), pa.int32(): pd.Int32Dtype(),
    pa.int64(): pd.Int64Dtype(), pa.uint8(): pd.UInt8Dtype(), pa.uint16(): pd.UInt16Dtype(),
    pa.uint32(): pd.UInt32Dtype(), pa.uint64(): pd.UInt64Dtype(),
}


def result_frame(table: pa.Table, spine: Any, features: Mapping[str, DType | None], *,
                 arrow: bool = False) -> Any:
    """The training set as returned to Python, from the query's Arrow ``table`` (spine columns
    first, then ``features``, each cast to its dtype): see :func:`run_training_set`."""
    spine_names = table.column_names[:table.num_columns - len(features)]
    given = spine if isinstance(spine, pa.Table) and spine.column_names == spine_names else None
    file_schema = _parquet_schema(spine) if isinstance(spine, (str, Path)) else None
    arrays: dict[str, pa.ChunkedArray] = {}
    for name in spine_names:
        column = given.column(name) if given is not None else table.column(name)
        if file_schema is not None and name in file_schema.names:
            wanted = file_schema.field(name).type
            if pa.types.is_timestamp(wanted) and pa.types.is_timestamp(column.type):
                column = column.cast(wanted)  # the file's unit and zone: the same instants
        arrays[name] = column
    for name, dtype in features.items():
        column = table.column(name)
        if pa.types.is_timestamp(column.type):
            # Keep DuckDB's unit (a nanosecond source stays exact); naive = UTC.
            if column.type.tz != "UTC":
                column = column.cast(pa.timestamp(column.type.unit, tz="UTC"))
        elif dtype is not None and column.type != arrow_type(dtype):
            # DuckDB's SUM of BIGINT is a HUGEINT (decimal128(38, 0) in Arrow), a snapshot of an
            # INTEGER column an int32: the declared dtype is the contract.
            try:
                column = column.cast(arrow_type(dtype))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as err:
                raise ExecutionError(
                    f"Feature {name!r} ({dtype}) holds a value of DuckDB type {column.type} "
                    f"that does not fit: {first_line(err)}") from None
        arrays[name] = column
    result = pa.Table.from_arrays(list(arrays.values()), names=list(arrays))
    if arrow:
        return result
    if not isinstance(spine, pd.DataFrame):
        return result.to_pandas(types_mapper=_NULLABLE.get)
    # The spine's own columns and index: DuckDB's round trip would change time zones (to UTC),
    # units (ns -> us) and nullable dtypes, and drop the index.
    if [str(c) for c in spine.columns] != spine_names or len(spine) != result.num_rows:
        raise ExecutionError(
            f"The training set has {result.num_rows} rows and spine columns {spine_names}, "
            f"the spine {len(spine)} rows and columns {list(spine.columns)}")
    values = result.select(list(features)).to_pandas(types_mapper=_NULLABLE.get)
    frame = pd.concat([spine.reset_index(drop=True), values], axis=1)
    return frame.set_axis(spine.index, axis=0)


def _parquet_schema(spine: str | Path) -> pa.Schema | None:
    """A Parquet spine's Arrow schema (None for a CSV file or a query)."""
    if not str(spine).lower().endswith(".parquet") or is_query(str(spine)):
        return None
    try:
        return pq.read_schema(Path(spine).resolve())
    except (OSError, pa.ArrowException):
        return None


def output_file(out: str | Path) -> tuple[Path, str]:
    """Where a training set is written (absolute) and its suffix (.parquet or .csv); another
    name is an ExecutionError, raised before anything runs."""
    out_path = Path(out).resolve()
    suffix = next((s for s in FILE_SUFFIXES if out_path.name.lower().endswith(s)), None)
    if suffix is None:
        raise ExecutionError(
            f"Output {str(out)!r}: use a file name ending in {', '.join(FILE_SUFFIXES)}")
    return out_path, suffix


def run_to_file(repo: Catalog, features: str | Sequence[Any], spine: Any, out: str | Path,
                *, progress: bool = False, memory_limit: str | None = None,
                **options: Any) -> RunSummary:
    """Write the training set to ``out`` (.parquet or .csv) atomically and summarize it.

    ``spine`` is what :func:`training_set_sql` takes (a path, a query, a DataFrame...).
    """
    started = time.perf_counter()
    out_path, suffix = output_file(out)
    fmt = "parquet" if suffix == ".parquet" else "csv"
    con = connect(progress=progress, memory_limit=memory_limit)
    query, plan = _training_set(repo, features, con, spine, **options)
    names = plan.output_names
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".fsql-", suffix=suffix, dir=out_path.parent)
    except OSError as err:
        raise ExecutionError(f"Output {str(out)!r}: cannot write there: {err}") from None
    os.close(fd)
    try:
        con.execute(render(copy_to(query, Path(tmp), fmt), get_dialect("duckdb"), copy=False))
        # Read back as written: a header, text columns, and "" (an empty string) kept apart
        # from an empty field (NULL), so the NULL counts are those of the query's result.
        written = read_file(Path(tmp), header=True, all_varchar=True,
                            allow_quoted_nulls=False) if fmt == "csv" else read_file(Path(tmp))
        (counts,) = con.execute(statement_sql(null_counts(written, names))).fetchall()
        os.replace(tmp, out_path)
    except duckdb.Error as err:
        raise ExecutionError(
            f"DuckDB failed to run the training-set query: {first_line(err)}") from None
    except OSError as err:
        raise ExecutionError(f"Output {str(out)!r}: cannot write it: {err}") from None
    except FsqlError:
        raise
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return RunSummary(rows=int(counts[0]), features=names,
                      null_counts={n: int(c) for n, c in zip(names, counts[1:], strict=True)},
                      seconds=time.perf_counter() - started)

