"""Run training-set requests on embedded DuckDB: file sources are read in place."""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from fsql.compiler import compile_plan, render
from fsql.dialect import get_dialect
from fsql.errors import ExecutionError, FsqlError
from fsql.plan import Cut, SpineRef
from fsql.plan_choice import choose_plans
from fsql.planner import FILE_SUFFIXES, build_plan, first_line, with_spine_columns

if TYPE_CHECKING:
    from fsql.repo import Repo

SPINE_INPUT = "__fsql_spine_input"
SPINE_ROW_ID = "__fsql_rid"


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
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"SET enable_progress_bar = {'true' if progress else 'false'}")
    # Hash joins build on the right side as written: DuckDB's estimates of fsql's generated
    # rows (block covers, ranks) are far off, and flipping sides on them cost 13% time and
    # 1.4 GiB on the Zipf aggregation benchmark and 18% on the 1M point-in-time one.
    con.execute("SET disabled_optimizers = 'build_side_probe_side'")
    if memory_limit is not None:
        if not _SIZE.match(memory_limit):
            raise ExecutionError(
                f"memory limit {memory_limit!r} is not a size; write it like '4GB' or '500MB'")
        con.execute(f"SET memory_limit = '{memory_limit}'")
    return con


def _reader(path: Path) -> str:
    if not path.exists():
        raise ExecutionError(
            f"Spine file {str(path)!r} does not exist; the local runner reads a .parquet or "
            ".csv file, a pandas DataFrame or an Arrow table (use `fsql compile` for a "
            "warehouse table or query)"
        )
    if not path.is_file():
        raise ExecutionError(f"Spine {str(path)!r} is not a file; give a .parquet or .csv file")
    if path.name.lower().endswith((".csv", ".csv.gz")):
        return "read_csv"
    if path.name.lower().endswith(".parquet"):
        return "read_parquet"
    raise ExecutionError(f"Spine file {str(path)!r}: use a .parquet or .csv file")


def _load_spine(con: duckdb.DuckDBPyConnection, spine: Any, *,
                timestamp_column: str) -> tuple[SpineRef, dict[str, str]]:
    """Copy the spine into table SPINE_INPUT with a row number in its order; return the spine
    and its columns' types (without the row number)."""
    if isinstance(spine, (str, Path)):
        path = Path(spine).resolve()
        relation, params = f"{_reader(path)}(?)", [str(path)]
    else:
        relation, params = "__fsql_spine_frame", []
    # fetchall, not fetchone: DuckDB refuses con.sql() while a result is left unfinished.
    (zone,) = con.execute("SELECT current_setting('TimeZone')").fetchall()
    try:
        # A CSV column mixing naive and offset timestamps is read as TIMESTAMPTZ, its naive
        # values in the session zone: read them as UTC, as fsql's semantics say.
        con.execute("SET TimeZone = 'UTC'")
        if not params:
            try:
                con.register(relation, spine)
            except duckdb.Error:
                raise ExecutionError(
                    f"Cannot read the spine, a {type(spine).__name__}: give a .parquet or .csv "
                    "path, a pandas DataFrame or an Arrow table") from None
        columns = {r[0]: str(r[1]) for r in con.execute(
            f"DESCRIBE SELECT * FROM {relation}", params).fetchall()}
        ref = with_spine_columns(
            SpineRef("query", f"SELECT * FROM {SPINE_INPUT}", timestamp_column,
                     row_id_column=SPINE_ROW_ID), columns)
        # The row number is the table's rowid, read while the table holds one STRUCT column:
        # a spine column called "rowid" would hide DuckDB's pseudo-column.
        con.execute(f"CREATE OR REPLACE TEMP TABLE __fsql_spine_rows AS SELECT __fsql_r "
                    f"FROM {relation} AS __fsql_r", params)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {SPINE_INPUT} AS SELECT unnest(__fsql_r), "
                    f"rowid AS {SPINE_ROW_ID} FROM __fsql_spine_rows")
        con.execute("DROP TABLE __fsql_spine_rows")
    except duckdb.Error as err:
        raise ExecutionError(f"Cannot read the spine: {first_line(err)}") from None
    finally:
        if not params:
            con.unregister(relation)
        con.execute("SET TimeZone = ?", [zone[0]])
    return ref, columns


def load_spine(con: duckdb.DuckDBPyConnection, spine: Any, *, timestamp_column: str) -> SpineRef:
    """Copy the spine into a DuckDB table (keeping its row order) and describe it."""
    return _load_spine(con, spine, timestamp_column=timestamp_column)[0]


def training_set_sql(repo: Repo, features: str | Sequence[Any], con: duckdb.DuckDBPyConnection,
                     spine: Any, *, spine_timestamp: str = "event_timestamp",
                     cut: Cut | None = None, created_cutoff: bool = False,
                     full_names: bool = False, env: str | None = None
                     ) -> tuple[str, tuple[str, ...]]:
    """Load ``spine`` into ``con`` and return the DuckDB query and its feature columns.

    ``con``'s TimeZone only changes how TIMESTAMPTZ values print: the spine is read in UTC
    and the query compares instants. (A CSV *source* whose timestamp column mixes naive and
    offset values is still read in the session's zone when the query runs.)

    >>> con = connect()                                                  # doctest: +SKIP
    >>> sql, names = training_set_sql(repo, "svc", con, "spine.parquet")  # doctest: +SKIP
    """
    # Compiled SQL names local files relative to the repository root.
    con.execute("SET file_search_path = ?", [str(repo.root)])
    ref, types = _load_spine(con, spine, timestamp_column=spine_timestamp)
    plan = build_plan(repo, features, ref, dialect="duckdb", env=env, cut=cut,
                      created_cutoff=created_cutoff, full_names=full_names, spine_types=types)
    dialect = get_dialect("duckdb")
    plan = choose_plans(plan, con, SPINE_INPUT, dialect)
    return render(compile_plan(plan, dialect), dialect), plan.output_names


def run_training_set(repo: Repo, features: str | Sequence[Any], spine: Any, *,
                     arrow: bool = False, progress: bool = False,
                     memory_limit: str | None = None, **options: Any) -> Any:
    """The training set as a pandas DataFrame (or Arrow table), in the spine's row order."""
    con = connect(progress=progress, memory_limit=memory_limit)
    sql, _ = training_set_sql(repo, features, con, spine, **options)
    try:
        result = con.sql(sql)  # a relation: Arrow output without an extra copy
        return result.to_arrow_table() if arrow else result.df()
    except duckdb.Error as err:
        raise ExecutionError(
            f"DuckDB failed to run the training-set query: {first_line(err)}") from None


def run_to_file(repo: Repo, features: str | Sequence[Any], spine: str | Path, out: str | Path,
                *, progress: bool = False, memory_limit: str | None = None,
                **options: Any) -> RunSummary:
    """Write the training set to ``out`` (.parquet or .csv) atomically and summarize it."""
    started = time.perf_counter()
    out_path = Path(out).resolve()
    suffix = next((s for s in FILE_SUFFIXES if out_path.name.lower().endswith(s)), None)
    if suffix is None:
        raise ExecutionError(
            f"Output {str(out)!r}: use a file name ending in {', '.join(FILE_SUFFIXES)}")
    fmt = "parquet" if suffix == ".parquet" else "csv"
    con = connect(progress=progress, memory_limit=memory_limit)
    sql, names = training_set_sql(repo, features, con, spine, **options)
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".fsql-", suffix=suffix, dir=out_path.parent)
    except OSError as err:
        raise ExecutionError(f"Output {str(out)!r}: cannot write there: {err}") from None
    os.close(fd)
    try:
        options_sql = "(FORMAT csv, HEADER true)" if fmt == "csv" else "(FORMAT parquet)"
        con.execute(f"COPY ({sql}) TO '{_escape(tmp)}' {options_sql}")
        # Read back as written: a header, text columns, and "" (an empty string) kept apart
        # from an empty field (NULL), so the NULL counts are those of the query's result.
        reader = (f"read_csv('{_escape(tmp)}', header = true, all_varchar = true, "
                  "allow_quoted_nulls = false)" if fmt == "csv"
                  else f"read_parquet('{_escape(tmp)}')")
        (counts,) = con.execute(
            "SELECT count(*)" + "".join(f", count(*) - count({_quote(n)})" for n in names)
            + f" FROM {reader}"
        ).fetchall()
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


def _escape(text: str) -> str:
    return text.replace("'", "''")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
