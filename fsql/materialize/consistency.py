"""``fsql consistency``: every key of a latest table against the training-set query for a
spine of (every key of the source, T1), run by the local runner (not by the MERGE path)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from fsql.dsl.catalog import Catalog
from fsql.engines.runner import run_training_set
from fsql.errors import ExecutionError
from fsql.materialize import statements as st
from fsql.materialize.layout import STATE_TABLE
from fsql.materialize.run import connect_target, layout_for, select_views
from fsql.materialize.script import absolute
from fsql.materialize.targets import executable, parse_end, resolve_target
from fsql.sql.dialect import get_dialect

SPINE_TIME = "event_timestamp"


@dataclass(frozen=True)
class ConsistencyResult:
    """Keys compared and the (key, feature, table value, training value) that differ."""

    view: str
    at: datetime
    keys: int
    rows: int
    mismatches: list[tuple[tuple[Any, ...], str, Any, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every key matched."""
        return not self.mismatches

    def format(self, limit: int = 20) -> str:
        """A summary line and the first ``limit`` mismatches."""
        lines = [f"{self.view} at {self.at.isoformat()}: {self.keys} keys ({self.rows} with a "
                 f"row), {len(self.mismatches)} mismatches"]
        for key, name, table, training in self.mismatches[:limit]:
            lines.append(f"  key {key!r} {name}: latest table {table!r}, training set "
                         f"{training!r}")
        return "\n".join(lines)


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None or a is pd.NA or b is pd.NA:
        return (a is None or a is pd.NA) and (b is None or b is pd.NA)
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return bool(a == b)


def check_consistency(repo: Catalog, *, view: str, at: str | datetime, target: str | None = None,
                      service: str | None = None) -> ConsistencyResult:
    """Compare ``view``'s latest table with the training set of a spine (every key, ``at``):
    a key without a row must read as nothing visible (counts 0, other features NULL or their
    default), which is the training-set row of the key before any event.

    >>> check_consistency(Repo.load("examples/fraud"), view="user_risk",  # doctest: +SKIP
    ...                   at="2024-06-01").ok
    True
    """
    if service is not None:
        chosen, cut = select_views(repo, service=service)
        if view not in {v.name for v in chosen}:
            chosen = [repo.view(view)]
    else:
        chosen, cut = select_views(repo, views=[view])
    t1 = parse_end(at)
    where = executable(resolve_target(target, root=repo.root))
    layout = layout_for(repo, repo.view(view), cut, where.prefix)
    names = st.Names(where.qualified(layout.name), where.qualified(STATE_TABLE))
    dialect = get_dialect("duckdb")
    assert layout.source is not None
    source = absolute(layout.source, repo.root)
    run = st.RunInfo("consistency", t1, t1, full_refresh=True)
    spine_sql = st.changed_keys(layout, names, run, source, dialect).sql(dialect="duckdb")
    relation, ts, _ = st.relation_for_source(dialect, source)
    first_ts = f"SELECT min({ts.sql('duckdb')}) FROM {relation.sql('duckdb')}"
    keys = [k for k, _ in layout.keys]
    con = connect_target(where)
    try:
        spine = con.execute(spine_sql).df()
        spine[SPINE_TIME] = pd.Timestamp(t1)
        (earliest,) = con.execute(first_ts).fetchall()
        try:
            table = con.sql(f"SELECT * FROM {names.latest}").to_arrow_table()
        except Exception as err:  # duckdb.CatalogException: no such table
            raise ExecutionError(
                f"Target {where.url!r} has no latest table {names.latest}; run fsql "
                f"materialize --views {view} first") from err
    finally:
        con.close()
    spine = spine.sort_values(keys, kind="stable").reset_index(drop=True)
    features = [f for f, _ in layout.features]
    # Arrow, not pandas: a NULL and a NaN stay apart.
    training = run_training_set(repo, [layout.view], spine, spine_timestamp=SPINE_TIME,
                                  cut=cut, arrow=True).to_pylist() if len(spine) else []
    stored = {tuple(r[k] for k in keys): r for r in table.to_pylist()}
    absent = _absent_reading(repo, layout, spine, earliest[0], cut) if len(spine) else {}
    mismatches = []
    for record in training:
        key = tuple(record[k] for k in keys)
        have = stored.get(key, absent)
        for name in features:
            if not _same(_plain(have[name]), _plain(record[name])):
                mismatches.append((key, name, _plain(have[name]), _plain(record[name])))
    extra = set(stored) - {tuple(r[k] for k in keys) for r in spine.to_dict("records")}
    for key in sorted(extra, key=repr):
        mismatches.append((key, "(row)", "present", "key not in the source"))
    return ConsistencyResult(view, t1, len(spine), len(stored), mismatches)


def _absent_reading(repo: Catalog, layout: Any, spine: pd.DataFrame, earliest_us: int,
                    cut: Any) -> dict[str, Any]:
    """The training-set row of a key a day before the source's first event: nothing is
    visible, so it is what a key without a row reads as."""
    probe = spine.head(1).copy()
    probe[SPINE_TIME] = pd.Timestamp(earliest_us, unit="us", tz="UTC") - timedelta(days=1)
    rows = run_training_set(repo, [layout.view], probe, spine_timestamp=SPINE_TIME,
                            cut=cut, arrow=True)
    return dict(rows.to_pylist()[0])


def _plain(value: Any) -> Any:
    if value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return value.item()
    return value
