"""Online reads: the features of a request for entity rows, from an online store, with the
training-set semantics at time ``at`` (docs/serving.md).

Per view, a stored row is read when its feature time is visible at ``at``: a snapshot view's
row inside its TTL (``ts > at - ttl`` under the inclusive cut, ``>=`` under the exclusive
one, and not after ``at``); an aggregation view's values (as of the last sync) while some of
their events can still be inside a window (``as_of > at - longest window``). A key with no
visible row reads as a spine row with nothing visible: counts 0, other features NULL or their
default. Derived features are evaluated in Python over those values and the entity rows'
request columns, as the oracle evaluates them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fsql.dsl.catalog import Catalog
from fsql.dsl.functions import COUNTS
from fsql.dtypes import parse_dtype
from fsql.engines.files import DuckDBFiles
from fsql.errors import DefinitionError, ExecutionError
from fsql.expr.to_python import evaluate
from fsql.online.keys import encode_key
from fsql.online.stores import OnlineStore, ViewState
from fsql.online.sync import micros, micros_to_datetime
from fsql.online.values import decode_values
from fsql.plan.nodes import AggregateColumn, AggregationLookup, Lookup, PointInTimePlan, SpineRef
from fsql.plan.planner import build_plan
from fsql.plan.schemas import Target

PRESENT, NOT_FOUND, OUTSIDE_TTL = "PRESENT", "NOT_FOUND", "OUTSIDE_TTL"
_AT = "__fsql_at"  # the spine timestamp column of an online request (not an entity column)


@dataclass
class OnlineResponse:
    """Features per entity row: ``values[name]``, ``statuses[name]`` (PRESENT, NOT_FOUND,
    OUTSIDE_TTL; derived features: PRESENT) and ``timestamps[name]`` (the row's feature time,
    an aggregation view's as-of time; None when absent), in the order of the entity rows."""

    entities: dict[str, list[Any]]
    features: list[str]
    values: dict[str, list[Any]] = field(default_factory=dict)
    statuses: dict[str, list[str]] = field(default_factory=dict)
    timestamps: dict[str, list[dt.datetime | None]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, list[Any]]:
        """Feast's shape: each entity column and feature name -> its values in row order."""
        return {**self.entities, **{f: self.values[f] for f in self.features}}

    def to_df(self) -> Any:
        """The response as a pandas DataFrame (entity columns, then features)."""
        import pandas as pd

        return pd.DataFrame(self.to_dict())


def online_plan(catalog: Catalog, features: str | Sequence[Any], columns: Sequence[str], *,
                full_names: bool = False) -> PointInTimePlan:
    """The plan of an online request whose entity rows have ``columns``."""
    spine = SpineRef("table", "__fsql_online", _AT, columns=(*columns, _AT))
    return build_plan(catalog, features, spine, target=Target("duckdb", True),
                      schemas=DuckDBFiles(), full_names=full_names)


def get_online_features(plan: PointInTimePlan, store: OnlineStore,
                        entity_rows: Sequence[Mapping[str, Any]], *,
                        at: dt.datetime | None = None,
                        hashes: Mapping[str, str] | None = None) -> OnlineResponse:
    """Read ``plan``'s features for ``entity_rows`` from ``store`` at ``at`` (default: now).
    ``hashes`` (view -> definition hash) refuses a view synced from another definition."""
    at = at or dt.datetime.now(dt.UTC)
    t = micros(at)
    columns = [c for c in (plan.spine.columns or ()) if c != _AT]
    for n, row in enumerate(entity_rows):
        missing = [c for c in columns if c not in row]
        if missing:
            raise DefinitionError(f"entity row {n + 1} lacks {missing}; every row needs "
                                  f"{', '.join(columns)}")
    results: list[dict[str, Any]] = [dict(row) for row in entity_rows]
    statuses: dict[str, list[str]] = {}
    stamps: dict[str, list[dt.datetime | None]] = {}
    for lookup in plan.lookups:
        state = _state(store, lookup, hashes)
        _read_lookup(lookup, store, state, entity_rows, t, results, statuses, stamps)
    for derived in plan.derived:
        for result in results:
            inputs = {**result, **{r: result[c] for r, c in derived.renames.items()}}
            known = all(n in derived.input_dtypes for n in derived.expression.references)
            result[derived.output_name] = evaluate(
                derived.expression, inputs,
                dtypes=({n: derived.input_dtypes[n] for n in derived.expression.references}
                        if known else None))
        statuses[derived.output_name] = [PRESENT] * len(results)
        stamps[derived.output_name] = [None] * len(results)
    names = list(plan.output_names)
    return OnlineResponse(
        entities={c: [row[c] for row in entity_rows] for c in columns},
        features=names,
        values={n: [r[n] for r in results] for n in names},
        statuses={n: statuses[n] for n in names},
        timestamps={n: stamps[n] for n in names})


def _state(store: OnlineStore, lookup: Lookup | AggregationLookup,
           hashes: Mapping[str, str] | None) -> ViewState:
    state = store.state(lookup.view_name)
    if state is None:
        raise ExecutionError(
            f"Online store {store.url!r} has no rows of feature view {lookup.view_name!r}: "
            "sync it first (fsql sync, or fsql materialize --online)")
    expected = (hashes or {}).get(lookup.view_name)
    if expected is not None and expected != state.definition_hash:
        raise DefinitionError(
            f"Online store {store.url!r} holds feature view {lookup.view_name!r} synced from "
            "another definition or cut than this request's (its hash differs); materialize "
            "and sync it for this definition (fsql materialize --full-refresh --online, or "
            "with --service for a service's cut)")
    return state


def _visible(state: ViewState, ts: int, t: int) -> bool:
    """Whether a stored row with feature time ``ts`` is visible at ``t``."""
    span = state.horizon_us
    if state.aggregation:
        return span is None or ts > t - span
    inclusive = state.cut == "inclusive"
    if not (ts <= t if inclusive else ts < t):
        return False
    return span is None or (ts > t - span if inclusive else ts >= t - span)


def _read_lookup(lookup: Lookup | AggregationLookup, store: OnlineStore, state: ViewState,
                 entity_rows: Sequence[Mapping[str, Any]],
                 t: int, results: list[dict[str, Any]], statuses: dict[str, list[str]],
                 stamps: dict[str, list[dt.datetime | None]]) -> None:
    key_dtypes = [parse_dtype(d, where=f"view {lookup.view_name!r} key") for _, d in state.keys]
    dtypes = [parse_dtype(d, where=f"view {lookup.view_name!r}") for _, d in state.features]
    position = {name: i for i, (name, _) in enumerate(state.features)}
    for out in lookup.outputs:
        if out.feature not in position:
            raise DefinitionError(
                f"Online store {store.url!r}: feature {out.feature!r} of view "
                f"{lookup.view_name!r} was not synced; re-sync the view")
    encoded: list[bytes | None] = []
    for n, row in enumerate(entity_rows):
        parts = [row[k.spine_column] for k in lookup.keys]
        encoded.append(None if any(v is None for v in parts) else encode_key(
            parts, key_dtypes, where=f"entity row {n + 1} ({lookup.name})"))
    stored = store.read(lookup.view_name, [k for k in encoded if k is not None])
    found = iter(stored)
    for out in lookup.outputs:
        statuses.setdefault(out.output_name, [])
        stamps.setdefault(out.output_name, [])
    for key, result in zip(encoded, results, strict=True):
        hit = next(found) if key is not None else None
        status = NOT_FOUND if hit is None else PRESENT
        if hit is not None and not _visible(state, hit.feature_ts, t):
            status, hit = OUTSIDE_TTL, None
        values = decode_values(hit.payload, dtypes) if hit is not None else None
        stamp = micros_to_datetime(hit.feature_ts) if hit is not None else None
        for out in lookup.outputs:
            if values is not None:
                result[out.output_name] = values[position[out.feature]]
            elif isinstance(out, AggregateColumn) and out.function in COUNTS:
                result[out.output_name] = 0
            else:
                result[out.output_name] = out.default
            statuses[out.output_name].append(status)
            stamps[out.output_name].append(stamp)
