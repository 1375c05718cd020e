"""What a view's latest table holds: its name, typed key and feature columns, its horizon, and
the hash of the definition its rows were computed from (docs/materialization.md)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from fsql.dsl.catalog import Catalog
from fsql.dsl.definitions import FeatureView, Field
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
    def columns(self) -> tuple[tuple[str, DType], ...]:
        """Every column of the table, in order."""
        return (*self.keys, *self.features, *((c, TIMESTAMP) for c in SYSTEM_COLUMNS))


def table_name(view: FeatureView, prefix: str = "") -> str:
    """``<prefix><view>_latest``."""
    return f"{prefix}{view.name}_latest"


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
    """A hash of everything that decides the values of ``view``'s latest table: keys, source,
    features (dtypes, defaults, windows, filters), TTL, derived features and the cut. The late
    arrival allowance only decides which keys a run recomputes, not their values: not hashed,
    except for an aggregation view with lifetime aggregates (their merge state depends on it)."""
    source = view.source
    features: list[Any] = []
    for feat in view.features:
        if isinstance(feat, Field):
            features.append(["field", feat.name, str(feat.dtype), repr(feat.default)])
        else:
            features.append(["aggregate", feat.name, feat.function, feat.column,
                             _micros(feat.window), feat.where.text if feat.where else None,
                             str(feat.dtype), repr(feat.default)])
    description = {
        "view": view.name,
        "keys": list(view.join_keys),
        "source": [source.name, source.path, source.table, source.query,
                   source.timestamp_field, source.created_timestamp_field,
                   sorted(source.field_mapping.items()), source.timestamp_dtype],
        "features": features,
        "ttl": _micros(view.ttl),
        "derived": [[d.name, d.expression.text, str(d.dtype)] for d in view.derived],
        "cut": cut,
    }
    if view.is_aggregation and any(getattr(f, "window", 0) is None for f in view.features):
        # The latest table holds the lifetime aggregates' merge state (materialize/lifetime),
        # whose settled rows are defined by the late-arrival allowance: hashed here.
        description["lifetime_state"] = [1, _micros(view.late_arrival) or 0]
    text = json.dumps(description, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
