"""Run training-set requests on embedded DuckDB: file sources are read in place."""

from __future__ import annotations

import os
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
from fsql.planner import FILE_SUFFIXES, build_plan, with_spine_columns

if TYPE_CHECKING:
    from fsql.repo import Repo

SPINE_INPUT = "__fsql_spine_input"


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


def connect(*, progress: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection whose session time zone is UTC (rendering of TIMESTAMPTZ values)."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"SET enable_progress_bar = {'true' if progress else 'false'}")
    return con


def _reader(path: Path) -> str:
    if not path.exists():
        raise ExecutionError(f"Spine file {str(path)!r} does not exist")
    if path.name.lower().endswith((".csv", ".csv.gz")):
        return "read_csv"
    if path.name.lower().endswith(".parquet"):
        return "read_parquet"
    raise ExecutionError(f"Spine file {str(path)!r}: use a .parquet or .csv file")


def load_spine(con: duckdb.DuckDBPyConnection, spine: Any, *, timestamp_column: str) -> SpineRef:
    """Copy the spine into a DuckDB table (keeping its row order) and describe it."""
    try:
        if isinstance(spine, (str, Path)):
            path = Path(spine).resolve()
            con.execute(f"CREATE TEMP TABLE {SPINE_INPUT} AS SELECT * FROM {_reader(path)}(?)",
                        [str(path)])
        else:
            con.register("__fsql_spine_frame", spine)
            con.execute(f"CREATE TEMP TABLE {SPINE_INPUT} AS SELECT * FROM __fsql_spine_frame")
            con.unregister("__fsql_spine_frame")
    except duckdb.Error as err:
        raise ExecutionError(f"Cannot read the spine: {err}") from None
    columns = {r[0]: str(r[1]) for r in con.execute(f"DESCRIBE {SPINE_INPUT}").fetchall()}
    ref = SpineRef("query", f"SELECT *, rowid AS __fsql_rid FROM {SPINE_INPUT}",
                   timestamp_column, row_id_column="__fsql_rid")
    return with_spine_columns(ref, columns)


def training_set_sql(repo: Repo, features: str | Sequence[Any], con: duckdb.DuckDBPyConnection,
                     spine: Any, *, spine_timestamp: str = "event_timestamp",
                     cut: Cut = "inclusive", created_cutoff: bool = False,
                     full_names: bool = False) -> tuple[str, tuple[str, ...]]:
    """Load ``spine`` into ``con`` and return the DuckDB query and its feature columns."""
    ref = load_spine(con, spine, timestamp_column=spine_timestamp)
    plan = build_plan(repo, features, ref, cut=cut, created_cutoff=created_cutoff,
                      full_names=full_names)
    dialect = get_dialect("duckdb")
    return render(compile_plan(plan, dialect), dialect), plan.output_names


def run_training_set(repo: Repo, features: str | Sequence[Any], spine: Any, *,
                     arrow: bool = False, progress: bool = False, **options: Any) -> Any:
    """The training set as a pandas DataFrame (or Arrow table), in the spine's row order."""
    con = connect(progress=progress)
    sql, _ = training_set_sql(repo, features, con, spine, **options)
    try:
        result = con.execute(sql)
        return result.to_arrow_table() if arrow else result.df()
    except duckdb.Error as err:
        raise ExecutionError(f"DuckDB failed to run the training-set query: {err}") from None


def run_to_file(repo: Repo, features: str | Sequence[Any], spine: str | Path, out: str | Path,
                *, progress: bool = False, **options: Any) -> RunSummary:
    """Write the training set to ``out`` (.parquet or .csv) atomically and summarize it."""
    started = time.perf_counter()
    out_path = Path(out).resolve()
    if not out_path.name.lower().endswith(FILE_SUFFIXES):
        raise ExecutionError(f"Output {str(out)!r}: use a .parquet or .csv file name")
    fmt = "csv" if ".csv" in out_path.name.lower() else "parquet"
    con = connect(progress=progress)
    sql, names = training_set_sql(repo, features, con, spine, **options)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".fsql-", suffix=out_path.suffix, dir=out_path.parent)
    os.close(fd)
    try:
        options_sql = "(FORMAT csv, HEADER true)" if fmt == "csv" else "(FORMAT parquet)"
        con.execute(f"COPY ({sql}) TO '{_escape(tmp)}' {options_sql}")
        counts = con.execute(
            "SELECT count(*)" + "".join(f", count(*) - count({_quote(n)})" for n in names)
            + f" FROM {'read_csv' if fmt == 'csv' else 'read_parquet'}('{_escape(tmp)}')"
        ).fetchone()
        os.replace(tmp, out_path)
    except duckdb.Error as err:
        raise ExecutionError(f"DuckDB failed to run the training-set query: {err}") from None
    except FsqlError:
        raise
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    assert counts is not None
    return RunSummary(rows=int(counts[0]), features=names,
                      null_counts={n: int(c) for n, c in zip(names, counts[1:], strict=True)},
                      seconds=time.perf_counter() - started)


def _escape(text: str) -> str:
    return text.replace("'", "''")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
