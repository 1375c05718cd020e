"""What a view's latest table holds: its name, typed key and feature columns, its horizon, and
the hash of the definition its rows were computed from (docs/materialization.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from fsql.dsl.catalog import Catalog
from fsql.dsl.contract_hash import canonical_hash, view_contract
from fsql.dsl.definitions import FeatureView
from fsql.dtypes import DType, parse_dtype
from fsql.engines.files import DuckDBFiles
from fsql.engines.runner import feature_dtypes
from fsql.errors import DefinitionError, UnsupportedError
from fsql.plan.column_types import fsql_dtype
from fsql.plan.nodes import Cut, PointInTimePlan, SourceRef

FEATURE_TIMESTAMP = "feature_timestamp"
CREATED_TIMESTAMP = "created_timestamp"
MATERIALIZED_AT = "materialized_at"
SYSTEM_COLUMNS = (FEATURE_TIMESTAMP, CREATED_TIMESTAMP, MATERIALIZED_AT)
STATE_TABLE = "fsql_materializations"
# A merging view's settle point per key (fsql/materialize/lifetime.py): the end and created
# watermark of the run that computed its hidden sums. Not a value: a MERGE does not rewrite a
# row for it alone (the stored sums and their stored point stay a consistent pair).
SETTLED_END = "__fsql_se"
SETTLED_MARK = "__fsql_sw"
SETTLE_POINT = (SETTLED_END, SETTLED_MARK)
TIMESTAMP = DType("timestamp")


@dataclass(frozen=True)
class LatestTable:
    """The latest table of one view: ``keys`` and ``features`` are (column, dtype) in order;
    ``horizon_us`` is how long a row stays visible after its feature timestamp (the TTL of a
    snapshot view, the longest window of an aggregation view; None: forever)."""

    view: FeatureView
    cut: Cut
    name: str
    keys: tuple[tuple[str, DType], ...]
    features: tuple[tuple[str, DType], ...]
    horizon_us: int | None
    windows_us: tuple[int, ...]
    late_us: int
    definition_hash: str
    source: SourceRef | None = None  # the source as the training-set plan reads it

    @property
    def is_aggregation(self) -> bool:
        """Whether the view aggregates events (else it holds snapshot values)."""
        return self.view.is_aggregation

    @property
    def has_created(self) -> bool:
        """Whether the view's source has a created timestamp (late rows are found by it)."""
        return self.view.source.created_timestamp_field is not None

    @property
    def state_name(self) -> str:
        """The view's ``view_name`` in the state table (one per version)."""
        return state_name(self.view)

    @property
    def columns(self) -> tuple[tuple[str, DType], ...]:
        """Every column of the table, in order."""
        return (*self.keys, *self.features, *((c, TIMESTAMP) for c in SYSTEM_COLUMNS))


def table_name(view: FeatureView, prefix: str = "") -> str:
    """``<prefix><view>_latest``; ``<prefix><view>_v<N>_latest`` for a version N >= 2 (then
    ``<prefix><view>_latest`` is a SQL VIEW of the newest version's table: ``pointer_name``)."""
    if view.version >= 2:
        return f"{prefix}{view.name}_v{view.version}_latest"
    return pointer_name(view, prefix)


def pointer_name(view: FeatureView, prefix: str = "") -> str:
    """``<prefix><view>_latest``: the name consumers read, whatever the version."""
    return f"{prefix}{view.name}_latest"


def pointer_view(pointer: str, table: str) -> exp.Create:
    """``CREATE OR REPLACE VIEW <pointer> AS SELECT * FROM <table>``: consumers of
    ``<view>_latest`` read the newest version's latest table."""
    return exp.Create(this=exp.to_table(pointer), kind="VIEW", replace=True,
                      expression=exp.select(exp.Star()).from_(exp.to_table(table)))


def state_name(view: FeatureView) -> str:
    """The ``view_name`` of the view's rows in the state table: ``<view>``, or ``<view>_v<N>``
    for a version N >= 2 (each version's runs are its own)."""
    return view.name if view.version < 2 else f"{view.name}_v{view.version}"


def latest_table(repo: Catalog, view: FeatureView, plan: PointInTimePlan, *, cut: Cut,
                 prefix: str = "") -> LatestTable:
    """The layout of ``view``'s latest table; ``plan`` is a training-set plan of the whole view
    (for the dtypes of its aggregations and derived features)."""
    if not view.join_keys:
        raise UnsupportedError(
            f"FeatureView {view.name!r} ({view.location}) has no entities: a latest table is "
            "keyed by join keys; give the view an entity to materialize it")
    dtypes = _feature_dtypes(plan)
    features = []
    for name in (*(f.name for f in view.features), *(d.name for d in view.derived)):
        dtype = dtypes.get(name)
        if dtype is None:
            raise UnsupportedError(
                f"FeatureView {view.name!r} ({view.location}): the dtype of feature {name!r} "
                "is unknown, so its latest-table column cannot be typed; declare dtype=... on it")
        if name in SYSTEM_COLUMNS:
            raise DefinitionError(
                f"FeatureView {view.name!r} ({view.location}): feature {name!r} has the name of "
                f"a latest-table column ({', '.join(SYSTEM_COLUMNS)}); rename it")
        features.append((name, dtype))
    keys = _key_dtypes(repo, view)
    if view.is_aggregation:
        windows = _windows(view)
        horizon = None if any(w is None for w in windows) else max(w for w in windows if w)
        finite = tuple(sorted({w for w in windows if w is not None}))
    else:
        horizon = _micros(view.ttl) if view.ttl is not None else None
        finite = ()
    return LatestTable(view=view, cut=cut, name=table_name(view, prefix), keys=keys,
                       features=tuple(features), horizon_us=horizon, windows_us=finite,
                       late_us=_micros(view.late_arrival) or 0,
                       definition_hash=definition_hash(view, cut),
                       source=plan.lookups[0].source)


def _micros(value: Any) -> int | None:
    return None if value is None else int(value.total_seconds() * 1_000_000)


def _windows(view: FeatureView) -> list[int | None]:
    return [_micros(getattr(f, "window", None)) for f in view.features]


def _feature_dtypes(plan: PointInTimePlan) -> dict[str, DType | None]:
    return feature_dtypes(plan)


def _key_dtypes(repo: Catalog, view: FeatureView) -> tuple[tuple[str, DType], ...]:
    """Each join key's dtype: the source's declared schema, else its local file's column
    type."""
    source = view.source
    types: dict[str, str] = {}
    if source.path and any(source.column_for(k) not in source.schema for k in view.join_keys):
        types = DuckDBFiles().describe(repo.root / source.path,
                              what=f"Source {source.name!r} ({source.location})")
    return tuple((k, _key_dtype(view, k, types)) for k in view.join_keys)


def _key_dtype(view: FeatureView, key: str, types: dict[str, str]) -> DType:
    source = view.source
    column = source.column_for(key)
    if column in source.schema:
        return source.schema[column]
    found = fsql_dtype(types.get(column, ""))
    if found is not None:
        return parse_dtype(found, where=f"Source {source.name!r} column {column!r}")
    raise UnsupportedError(
        f"FeatureView {view.name!r} ({view.location}): the type of join key {key!r} (column "
        f"{column!r} of source {source.name!r}) is unknown; declare it with "
        f"Source(..., schema={{{column!r}: 'int64'}}) so the latest table's key can be typed")


def definition_hash(view: FeatureView, cut: Cut) -> str:
    """The hash of the definition a latest table's rows come from: the view's contract
    ``schema_hash`` (fsql/dsl/contract_hash.py, what ``fsql plan`` records in the lock), and
    the cut too when it is not the default ``inclusive``. Descriptions, tags and the late
    arrival allowance (which decides which keys a run recomputes, not their values) are not
    hashed, so editing them needs no --full-refresh (except for lifetime aggregates, whose
    merge state depends on it: the contract hashes it for them)."""
    schema_hash = str(view_contract(view)["schema_hash"])
    return schema_hash if cut == "inclusive" else canonical_hash([schema_hash, cut])
