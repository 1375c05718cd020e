"""Hypothesis strategies for whole point-in-time scenarios: definitions, sources and spines with
the hard cases (ties, NULLs, timestamps on boundaries, duplicates, several views)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from fsql import Aggregate, Entity, FeatureView, Field, Source
from fsql.plan.nodes import PointInTimePlan, SpineRef
from fsql.repo import Repo
from tests.engines import TableData

BASE = datetime(2024, 1, 1, tzinfo=UTC)
STEP = timedelta(minutes=30)
TTLS = [None, STEP, 2 * STEP, timedelta(minutes=45)]
ENTITIES = {
    "none": (),
    "user": (("user_id", "int64"),),
    "pair": (("bank", "int64"), ("branch", "string")),
}
KEY_VALUES = {
    "int64": st.sampled_from([1, 2, 3, 12, None]),
    "string": st.sampled_from(["a", "ab", "b", None]),
}
# Value kinds: the dtype of a column, and the values drawn for it. "int64_big" holds int64's
# extremes (sums overflow: the SQL must fail as the oracle does); float64 draws NaN, infinities
# and -0.0, which fsql orders and aggregates by one rule on every dialect.
FEATURE_VALUES = {
    "float64": st.sampled_from([0.5, -1.25, 2.0, None, math.nan, math.inf, -math.inf, -0.0]),
    "string": st.sampled_from(["x", "y", "", None]),
    "int64": st.sampled_from([0, 7, -3, None]),
    "int64_big": st.sampled_from([2**62, 2**62, 2**62, -(2**62), 2**63 - 1, -(2**63), 1, None]),
    "bool": st.sampled_from([True, False, None]),
}
DTYPE_OF = {kind: "int64" if kind == "int64_big" else kind for kind in FEATURE_VALUES}
# Instants on the 30-minute grid (exactly on TTL boundaries) and one microsecond either side.
times = st.builds(
    lambda k, nudge: BASE + k * STEP + timedelta(microseconds=nudge),
    st.integers(0, 6),
    st.sampled_from([0, 0, 0, -1, 1]),
)


@dataclass
class Scenario:
    """Definitions, typed tables and the request built from them."""

    repo: Repo
    tables: dict[str, TableData]
    plan: PointInTimePlan

    def spine_dicts(self) -> list[dict[str, Any]]:
        table = self.tables["spine"]
        names = [c for c, _ in table.columns]
        return [dict(zip(names, r, strict=True)) for r in table.rows]

    def source_dicts(self) -> dict[str, list[dict[str, Any]]]:
        out = {}
        for lookup in self.plan.lookups:
            table = self.tables[lookup.source.ref]
            names = [c for c, _ in table.columns]
            out[lookup.source.name] = [dict(zip(names, r, strict=True)) for r in table.rows]
        return out


@st.composite
def scenarios(
    draw: st.DrawFn,
    *,
    max_views: int = 3,
    max_rows: int = 12,
    max_spine: int = 10,
    aggregations: bool = True,
) -> Scenario:
    """A random request: 1..max_views views (snapshot or aggregation) over their own sources,
    and a spine."""
    n_views = draw(st.integers(1, max_views))
    views, tables = [], {}
    spine_keys: dict[str, str] = {}
    for v in range(n_views):
        entity_kind = draw(st.sampled_from(list(ENTITIES)))
        keys = ENTITIES[entity_kind]
        spine_keys.update(dict(keys))
        kinds = draw(st.lists(st.sampled_from(list(FEATURE_VALUES)), min_size=1, max_size=3))
        has_created = draw(st.booleans())
        columns = [*keys, ("ts", "timestamp")] + ([("created", "timestamp")] if has_created else [])
        # Some feature columns have upper-case letters: names keep their case on every dialect.
        value_columns = [(f"{draw(st.sampled_from('fF'))}{v}_{i}", k) for i, k in enumerate(kinds)]
        columns += [(name, DTYPE_OF[k]) for name, k in value_columns]
        row = st.tuples(
            *[KEY_VALUES[t] for _, t in keys],
            times,
            *([st.one_of(st.none(), times)] if has_created else []),
            *[FEATURE_VALUES[k] for _, k in value_columns],
        )
        rows = draw(st.lists(row, max_size=max_rows))
        # Exact duplicates of (key, ts[, created]) make full ties more likely.
        if rows and draw(st.booleans()):
            rows.append(draw(st.sampled_from(rows)))
        table = f"src{v}"
        tables[table] = TableData(columns=columns, rows=rows)
        entity = [Entity(entity_kind, join_keys=[k for k, _ in keys])] if keys else []
        source = Source(
            table,
            table=table,
            timestamp_field="ts",
            created_timestamp_field="created" if has_created else None,
            schema=dict(columns),
        )
        if aggregations and draw(st.booleans()):
            features = draw(aggregates(value_columns))
            ttl = None
        else:
            features = [
                Field(name, DTYPE_OF[k], default=draw(st.sampled_from([None, FEATURE_DEFAULTS[k]])))
                for name, k in value_columns
            ]
            ttl = draw(st.sampled_from(TTLS))
        views.append(
            FeatureView(f"view{v}", entities=entity, source=source, ttl=ttl, features=features)
        )
    spine_columns = [
        ("spine_id", "int64"),
        *sorted(spine_keys.items()),
        ("event_timestamp", "timestamp"),
        ("label", "int64"),
    ]
    spine_row = st.tuples(
        *[
            st.one_of(times, st.none())
            if name == "event_timestamp"
            else st.integers(0, 1)
            if name == "label"
            else KEY_VALUES[t]
            for name, t in spine_columns[1:]
        ]
    )
    body = draw(st.lists(spine_row, max_size=max_spine))
    if body and draw(st.booleans()):
        body.append(draw(st.sampled_from(body)))
    tables["spine"] = TableData(columns=spine_columns, rows=[(i, *r) for i, r in enumerate(body)])
    repo = Repo.from_objects(views)
    spine = SpineRef(
        "table", "spine", "event_timestamp", columns=tuple(c for c, _ in spine_columns)
    )
    plan = repo.plan(
        views,
        spine,
        cut=draw(st.sampled_from(["inclusive", "exclusive"])),
        created_cutoff=draw(st.booleans()),
        full_names=True,
    )
    return Scenario(repo=repo, tables=tables, plan=plan)


WINDOWS = [None, STEP, 2 * STEP, timedelta(minutes=45), timedelta(microseconds=1)]
NUMERIC_FUNCTIONS = ("sum", "avg", "stddev", "variance")
ANY_FUNCTIONS = ("count", "count_distinct", "min", "max", "first", "last")


@st.composite
def aggregates(draw: st.DrawFn, value_columns: list[tuple[str, str]]) -> list[Aggregate]:
    """1..4 Aggregates over the view's columns (booleans only counted; int64 extremes only
    by the exact functions: a float average or variance of them is not exact anywhere)."""
    result = []
    for n in range(draw(st.integers(1, 4))):
        name, kind = draw(st.sampled_from(value_columns))
        functions = ["count"] if kind == "bool" else list(ANY_FUNCTIONS)
        if kind in ("int64", "float64"):
            functions += NUMERIC_FUNCTIONS
        elif kind == "int64_big":
            functions.append("sum")
        function = draw(st.sampled_from(functions))
        column = "*" if function == "count" and draw(st.booleans()) else name
        out_dtype = DTYPE_OF[kind] if function in ("sum", "min", "max", "first", "last") else None
        default = draw(st.sampled_from([None, FEATURE_DEFAULTS[kind]])) if out_dtype else None
        filter_name, filter_kind = draw(st.sampled_from(value_columns))
        where = draw(st.sampled_from([None, None, WHERE[filter_kind].format(filter_name)]))
        result.append(
            Aggregate(
                column,
                function,
                window=draw(st.sampled_from(WINDOWS)),
                name=f"{name}_a{n}",
                dtype=out_dtype,
                default=default,
                where=where,
            )
        )
    return result


# where= filters: NULL inputs make the condition NULL (the event is left out).
WHERE = {"int64": "{} > 0", "int64_big": "{} > 0", "float64": "{} >= 0.5",
         "string": "{} <> 'x'", "bool": "{} = TRUE"}


FEATURE_DEFAULTS = {"float64": 9.5, "string": "dflt", "int64": 42, "int64_big": -1,
                    "bool": False}
