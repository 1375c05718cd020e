"""A prototype of the SQL change proposed for fsql's DuckDB strategy, built from fsql's plan.

fsql's ``asof_struct`` strategy makes the whole tie order (ts, created, every feature) the
ASOF match key, so DuckDB sorts both join sides on a wide STRUCT and carries every feature
through that sort. The proposed ``asof_two_phase`` strategy:

1. ``__fsql_m``: ASOF JOIN the spine to a *narrow* projection (keys, ts) of the source: the
   winning event time per spine row (tied rows share it, so ties do not matter yet), TTL
   applied;
2. ``__fsql_v<i>``: equi-join (keys, ts) back to the source for the features of the rows at
   that time and keep ``ROW_NUMBER() OVER (PARTITION BY rid ORDER BY created DESC NULLS LAST,
   features DESC NULLS LAST) = 1`` (the tie order, exactly as ``range_rank`` uses it);
3. LEFT JOIN each view to the spine by row id, as the ``range_rank`` and ``window`` strategies
   already do.

The source CTE is referenced twice; it is marked NOT MATERIALIZED so that DuckDB reads the
Parquet file twice (narrow, then full) instead of buffering every source row.

This module only subclasses the compiler (fsql/ is not modified): the benchmark runs it to
measure the gain, and ``python bench/fsql_proposal.py SPINE`` prints the SQL.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import duckdb
from sqlglot import exp

from fsql.compiler import (
    RID,
    SPINE,
    TS,
    PointInTimeCompiler,
    col,
    finalize,
    ident,
    render,
)
from fsql.dialect import SnapshotStrategy, get_dialect
from fsql.plan import Lookup
from fsql.planner import build_plan
from fsql.repo import Repo
from fsql.runner import load_spine

MATCH = "__fsql_m"
NARROW = "__fsql_n"
ROWS = "__fsql_l"


def _key(n: int) -> str:
    return f"__fsql_k{n}"


def _feat(n: int) -> str:
    return f"__fsql_f{n}"


class TwoPhaseCompiler(PointInTimeCompiler):
    """fsql's compiler with ``asof_struct`` lookups lowered in two phases (see module doc)."""

    def __init__(self, *args: Any, materialize_sources: bool = False,
                 bounds: tuple[int, int] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.materialize_sources = materialize_sources
        self.bounds = bounds

    def spine_bounds(self) -> tuple[exp.Expression, exp.Expression]:
        """fsql's MIN/MAX subqueries over the spine, or constants the runner computed first."""
        if self.bounds is None:
            return super().spine_bounds()
        return exp.Literal.number(self.bounds[0]), exp.Literal.number(self.bounds[1])

    def strategy(self, lookup: Lookup) -> SnapshotStrategy:
        """Route ``asof_struct`` lookups through ``build``'s per-view CTE + rid-join path."""
        base = super().strategy(lookup)
        return "range_rank" if base == "asof_struct" else base

    def range_rank_cte(self, i: int, lookup: Lookup) -> exp.Select:
        """Phase 1 + 2 for ``asof_struct`` lookups; fsql's own range_rank otherwise."""
        if super().strategy(lookup) != "asof_struct":
            return super().range_rank_cte(i, lookup)
        n_keys = len(lookup.keys)
        src = f"__fsql_v{i}_src"
        narrow = exp.select(*[col(_key(k)) for k in range(n_keys)], col(TS)).from_(ident(src))
        conds: list[exp.Expression] = [
            exp.EQ(this=col(k.spine_column, SPINE), expression=col(_key(n), NARROW))
            for n, k in enumerate(lookup.keys)]
        conds.append(self.visible_upper(col(TS, NARROW), col("__fsql_t", SPINE)))
        asof = exp.Join(this=narrow.subquery(NARROW), method="ASOF",
                        on=exp.and_(*conds, copy=False))
        matched = exp.select(
            col(RID, SPINE),
            *[exp.alias_(col(k.spine_column, SPINE), _key(n)) for n, k in enumerate(lookup.keys)],
            col(TS, NARROW),
        ).from_(ident(SPINE)).join(asof)
        if lookup.ttl_us is not None:
            in_ttl = self.within_ttl(lookup, col(TS, NARROW), col("__fsql_t", SPINE))
            matched = matched.where(in_ttl)
        same_time = [exp.EQ(this=col(_key(n), ROWS), expression=col(_key(n), MATCH))
                     for n in range(n_keys)]
        same_time.append(exp.EQ(this=col(TS, ROWS), expression=col(TS, MATCH)))
        rank = exp.Window(
            this=exp.RowNumber(), partition_by=[col(RID, MATCH)],
            order=exp.Order(expressions=self.tie_order(lookup, ROWS, desc=True)),
        )
        return (
            exp.select(col(RID, MATCH), col(TS, ROWS),
                       *[col(_feat(n), ROWS) for n in range(len(lookup.tie_columns))])
            .from_(matched.subquery(MATCH))
            .join(exp.Table(this=ident(src), alias=exp.TableAlias(this=ident(ROWS))),
                  on=exp.and_(*same_time, copy=False), join_type="INNER")
            .qualify(exp.EQ(this=rank, expression=exp.Literal.number(1)))
        )

    def build(self) -> exp.Select:
        """fsql's query; source CTEs NOT MATERIALIZED (each is read twice)."""
        query = super().build()
        if not self.materialize_sources:
            for cte in query.find_all(exp.CTE):
                if cte.alias.endswith("_src"):
                    cte.set("materialized", False)
        return query


def two_phase_sql(repo: Repo, features: str | Sequence[Any], con: duckdb.DuckDBPyConnection,
                  spine: Any, *, materialize_sources: bool = False,
                  literal_bounds: bool = False) -> tuple[str, tuple[str, ...]]:
    """Like :func:`fsql.runner.training_set_sql`, with the two-phase strategy.

    ``literal_bounds``: read the spine's min/max time first (the runner has the spine in a
    table already) and prune sources with constants instead of scalar subqueries.
    """
    ref = load_spine(con, spine, timestamp_column="event_timestamp")
    plan = build_plan(repo, features, ref)
    dialect = get_dialect("duckdb")
    bounds = None
    if literal_bounds:
        (row,) = con.execute(
            f"SELECT min(epoch_us({ref.timestamp_column})), max(epoch_us({ref.timestamp_column}))"
            f" FROM ({ref.ref})").fetchall()
        bounds = (int(row[0]), int(row[1]))
    tree = TwoPhaseCompiler(plan, dialect, materialize_sources=materialize_sources,
                            bounds=bounds).build()
    return render(finalize(tree, dialect), dialect), plan.output_names


def main(argv: list[str]) -> int:
    """``fsql_proposal.py SPINE [REPO] [FEATURES]``: print the two-phase query."""
    spine = argv[0]
    repo = Repo.load(argv[1] if len(argv) > 1 else "bench/features")
    con = duckdb.connect()
    sql, _ = two_phase_sql(repo, argv[2] if len(argv) > 2 else "pit_bench", con, spine)
    sys.stdout.write(sql)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
