"""Online reads: the features of a request for entity rows, from an online store, with the
training-set semantics at time ``at`` (docs/serving.md).

Per view, a stored row is read when its feature time is visible at ``at``: a snapshot view's
row inside its TTL (``ts > at - ttl`` under the inclusive cut, ``>=`` under the exclusive
one, and not after ``at``); an aggregation view's values (as of the last sync) while some of
their events can still be inside a window (``ts > at - longest window``). A key with no
visible row reads as a spine row with nothing visible: counts 0, other features NULL or their
default (a NULL key part: every feature its default, counts included, as in the training set).
Derived features are evaluated in Python over those values and the entity rows' request
columns, as the oracle evaluates them.

:class:`OnlineRead` is a plan prepared once for many reads (a server keeps one per request
shape); :func:`get_online_features` prepares and reads once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from fsql.dsl.catalog import Catalog
from fsql.dsl.functions import COUNTS
from fsql.dtypes import DType, parse_dtype
from fsql.engines.files import DuckDBFiles
from fsql.errors import (
    CompileError,
    DefinitionError,
    StoreDefinitionError,
    StoreUnavailableError,
)
from fsql.expr.to_python import compile_python, evaluate
from fsql.online.keys import key_encoder
from fsql.online.stores import OnlineRow, OnlineStore, ViewState
from fsql.online.sync import micros, micros_to_datetime
from fsql.online.values import decoder
from fsql.plan.nodes import AggregateColumn, AggregationLookup, Lookup, PointInTimePlan, SpineRef
from fsql.plan.planner import build_plan
from fsql.plan.schemas import Target

PRESENT, NOT_FOUND, OUTSIDE_TTL = "PRESENT", "NOT_FOUND", "OUTSIDE_TTL"
_AT = "__fsql_at"  # the spine timestamp column of an online request (not an entity column)


@dataclass
class OnlineResponse:
    """Features per entity row, in the order of the entity rows:

    - ``values[name]``: the feature's values;
    - ``statuses[name]``: ``PRESENT`` (a stored value visible at ``at``), ``NOT_FOUND`` (no
      stored row for the key, or a NULL key part) or ``OUTSIDE_TTL`` (a stored row outside the
      view's TTL, or an aggregation view's longest window, at ``at``); a derived feature is
      ``PRESENT``;
    - ``timestamps[name]``: the feature time of the row read (a snapshot view's event time;
      an aggregation view's as-of time, the last sync), None when no row was read and for
      derived features.

    ``at`` is the read time (UTC).
    """

    entities: dict[str, list[Any]]
    features: list[str]
    values: dict[str, list[Any]] = field(default_factory=dict)
    statuses: dict[str, list[str]] = field(default_factory=dict)
    timestamps: dict[str, list[dt.datetime | None]] = field(default_factory=dict)
    at: dt.datetime | None = None

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
    try:
        plan = build_plan(catalog, features, spine, target=Target("duckdb", True),
                          schemas=DuckDBFiles(), full_names=full_names)
    except (DefinitionError, CompileError) as err:  # speak of entity rows, not a spine
        text = str(err).replace(f", {_AT}", "").replace(f"{_AT}, ", "")
        for old, new in (("The spine lacks", "The entity rows lack"),
                                ("to the spine", "to the entities"),
                                ("Spine columns:", "Entity columns:")):
            text = text.replace(old, new)
        raise type(err)(text) from None
    produced = {*columns, *(o.output_name for lk in plan.lookups for o in lk.outputs)}
    for derived in plan.derived:
        needed = [derived.renames.get(r, r) for r in derived.expression.references]
        absent = [c for c in needed if c not in produced]
        if absent:
            raise DefinitionError(
                f"Derived feature {derived.output_name!r} reads {absent}, which the entity "
                f"rows lack: give every entity row {', '.join(absent)} (request columns)")
        produced.add(derived.output_name)
    return plan


def get_online_features(plan: PointInTimePlan, store: OnlineStore,
                        entity_rows: Sequence[Mapping[str, Any]], *,
                        at: dt.datetime | None = None,
                        hashes: Mapping[str, str] | None = None) -> OnlineResponse:
    """Read ``plan``'s features for ``entity_rows`` from ``store`` at ``at`` (default: now).
    ``hashes`` (view -> definition hash) refuses a view synced from another definition."""
    return OnlineRead(plan, hashes=hashes).read_rows(store, entity_rows, at=at)


@dataclass(frozen=True)
class _Layout:
    """What reading a view needs of its stored state: key dtypes, value decoders, and where
    each requested feature sits in a stored row."""

    key_dtypes: tuple[DType, ...]
    encode: Callable[[Sequence[Any], str], bytes]
    decode: Callable[[str], list[Any]]
    positions: tuple[int, ...]


class _LookupRead:
    """One lookup of a plan, prepared: its key columns and, per output, the absent values."""

    def __init__(self, lookup: Lookup | AggregationLookup) -> None:
        self.name = lookup.name
        self.view = lookup.view_name
        self.key_columns = tuple(k.spine_column for k in lookup.keys)
        self.outputs = tuple(o.output_name for o in lookup.outputs)
        self.features = tuple(o.feature for o in lookup.outputs)
        self.absent = tuple(0 if isinstance(o, AggregateColumn) and o.function in COUNTS
                            else o.default for o in lookup.outputs)
        self.null_key = tuple(o.default for o in lookup.outputs)
        self._layouts: dict[tuple[Any, ...], _Layout] = {}
        self.last: _Layout | None = None  # the layout of the last state read

    def layout(self, state: ViewState, url: str) -> _Layout:
        ident = (state.keys, state.features)
        found = self._layouts.get(ident)
        if found is None:
            position = {name: i for i, (name, _) in enumerate(state.features)}
            missing = [f for f in self.features if f not in position]
            if missing:
                raise StoreUnavailableError(
                    f"Online store {url!r}: features {missing} of view {self.view!r} were not "
                    "synced (the store holds another layout); re-sync the view")
            keys = tuple(parse_dtype(d, where=f"view {self.view!r} key") for _, d in state.keys)
            if len(keys) != len(self.key_columns):
                raise StoreUnavailableError(
                    f"Online store {url!r}: view {self.view!r} was synced with keys "
                    f"{[k for k, _ in state.keys]}; re-sync the view")
            dtypes = [parse_dtype(d, where=f"view {self.view!r}") for _, d in state.features]
            found = self._layouts[ident] = _Layout(keys, key_encoder(keys), decoder(dtypes),
                                                   tuple(position[f] for f in self.features))
        self.last = found
        return found

    def encode(self, entities: Mapping[str, Sequence[Any]], layout: _Layout
               ) -> list[bytes | None]:
        encode, name = layout.encode, self.name
        out: list[bytes | None] = []
        for i, parts in enumerate(zip(*(entities[c] for c in self.key_columns), strict=True)):
            out.append(None if None in parts else encode(parts, f"entity row {i + 1} ({name})"))
        return out


class OnlineRead:
    """A plan prepared for repeated online reads: per lookup its key columns, absent values
    and decoders (built once per stored layout), so a read is key encoding, one store round
    trip (Redis: one MGET for every view's state and keys) and value decoding."""

    def __init__(self, plan: PointInTimePlan, *,
                 hashes: Mapping[str, str] | None = None) -> None:
        self.plan = plan
        self.columns = tuple(c for c in (plan.spine.columns or ()) if c != _AT)
        self.lookups = tuple(_LookupRead(lk) for lk in plan.lookups)
        self.names = tuple(plan.output_names)
        self.hashes = dict(hashes or {})
        self.derived: list[tuple[Any, Callable[[Mapping[str, Any]], Any], dict[str, str]]] = []
        for derived in plan.derived:
            refs = derived.expression.references
            if all(r in derived.input_dtypes for r in refs):  # compiled once
                run = compile_python(derived.expression,
                                     {r: derived.input_dtypes[r] for r in refs})
            else:  # typed by each row's values, as the oracle does
                run = partial(evaluate, derived.expression)
            self.derived.append((derived, run, {r: derived.renames.get(r, r) for r in refs}))

    def views(self) -> tuple[str, ...]:
        """The feature views the request reads."""
        return tuple(dict.fromkeys(lk.view for lk in self.lookups))

    def key_dtypes(self, column: str) -> DType | None:
        """The dtype of an entity column that is a join key (from the last state read), or
        None when not known yet or not a key."""
        for lookup in self.lookups:
            if lookup.last is not None and column in lookup.key_columns:
                return lookup.last.key_dtypes[lookup.key_columns.index(column)]
        return None

    def learn(self, store: OnlineStore) -> None:
        """Read the stored layouts of views not read yet (key dtypes are known after)."""
        pending = [lk for lk in self.lookups if lk.last is None]
        if pending:
            for lookup, (state, _) in zip(
                    pending, store.read_views([(lk.view, []) for lk in pending]), strict=True):
                lookup.layout(self._check(store, lookup, state), store.url)

    def read_rows(self, store: OnlineStore, entity_rows: Sequence[Mapping[str, Any]], *,
                  at: dt.datetime | None = None) -> OnlineResponse:
        """Read for entity rows (dicts holding the join keys and request columns)."""
        for n, row in enumerate(entity_rows):
            missing = [c for c in self.columns if c not in row]
            if missing:
                raise DefinitionError(f"entity row {n + 1} lacks {missing}; every row needs "
                                      f"{', '.join(self.columns)}")
        entities = {c: [row[c] for row in entity_rows] for c in self.columns}
        return self.read(store, entities, at=at)

    def read(self, store: OnlineStore, entities: Mapping[str, Sequence[Any]], *,
             at: dt.datetime | None = None) -> OnlineResponse:
        """Read for entity columns (column -> values, one per entity row)."""
        missing = [c for c in self.columns if c not in entities]
        if missing:
            raise DefinitionError(f"the entities lack {missing}; the request needs "
                                  f"{', '.join(self.columns)}")
        lengths = {len(entities[c]) for c in self.columns}
        if len(lengths) > 1:
            raise DefinitionError(
                f"entity columns have different lengths {sorted(lengths)}; give every column "
                "one value per entity row")
        n = lengths.pop() if lengths else 0
        at = at or dt.datetime.now(dt.UTC)
        t = micros(at)
        columns: dict[str, list[Any]] = {c: list(entities[c]) for c in self.columns}
        statuses: dict[str, list[str]] = {}
        stamps: dict[str, list[dt.datetime | None]] = {}
        pending = list(self.lookups)
        for _attempt in range(3):
            self.learn(store)  # the first read of a view: its key dtypes
            keys = [lk.encode(entities, lk.last)  # type: ignore[arg-type]
                    for lk in pending]
            reads = store.read_views([(lk.view, [k for k in ks if k is not None])
                                      for lk, ks in zip(pending, keys, strict=True)])
            again = []
            for lookup, encoded, (state, rows) in zip(pending, keys, reads, strict=True):
                used = lookup.last
                layout = lookup.layout(self._check(store, lookup, state), store.url)
                if layout.key_dtypes != used.key_dtypes:  # type: ignore[union-attr]
                    again.append(lookup)  # re-synced with other key types: encode again
                    continue
                self._fill(lookup, layout, state, encoded, rows, t,  # type: ignore[arg-type]
                           columns, statuses, stamps)
            if not again:
                break
            pending = again
        else:
            raise StoreUnavailableError(f"Online store {store.url!r}: the views' layouts keep "
                                        "changing during the read; retry")
        for derived, run, sources in self.derived:
            names = list(sources)
            inputs = zip(*(columns[sources[r]] for r in names), strict=True)
            columns[derived.output_name] = [run(dict(zip(names, row, strict=True)))
                                            for row in inputs] if names else \
                [run({}) for _ in range(n)]
            statuses[derived.output_name] = [PRESENT] * n
            stamps[derived.output_name] = [None] * n
        return OnlineResponse(
            entities={c: columns[c] for c in self.columns}, features=list(self.names),
            values={f: columns[f] for f in self.names},
            statuses={f: statuses[f] for f in self.names},
            timestamps={f: stamps[f] for f in self.names}, at=at)

    def _check(self, store: OnlineStore, lookup: _LookupRead,
               state: ViewState | None) -> ViewState:
        if state is None:
            raise StoreUnavailableError(
                f"Online store {store.url!r} has no rows of feature view {lookup.view!r}: "
                "sync it first (fsql sync, or fsql materialize --online)")
        expected = self.hashes.get(lookup.view)
        if expected is not None and expected != state.definition_hash:
            raise StoreDefinitionError(
                f"Online store {store.url!r} holds feature view {lookup.view!r} synced from "
                "another definition or cut than this request's (its hash differs); materialize "
                "and sync it for this definition (fsql materialize --full-refresh --online, or "
                "with --service for a service's cut)")
        return state

    @staticmethod
    def _fill(lookup: _LookupRead, layout: _Layout, state: ViewState,
              encoded: list[bytes | None], rows: list[OnlineRow | None], t: int,
              columns: dict[str, list[Any]], statuses: dict[str, list[str]],
              stamps: dict[str, list[dt.datetime | None]]) -> None:
        found = iter(rows)
        as_of = micros_to_datetime(state.as_of) if state.aggregation else None
        decode, positions = layout.decode, layout.positions
        row_values: list[tuple[Any, ...]] = []
        row_status: list[str] = []
        row_stamps: list[dt.datetime | None] = []
        stamp_of: dict[int, dt.datetime] = {}
        for key in encoded:
            hit = next(found) if key is not None else None
            if hit is None:
                row_status.append(NOT_FOUND)
                row_values.append(lookup.null_key if key is None else lookup.absent)
                row_stamps.append(None)
            elif not visible(state, hit.feature_ts, t):
                row_status.append(OUTSIDE_TTL)
                row_values.append(lookup.absent)
                row_stamps.append(None)
            else:
                stored = decode(hit.payload)
                row_status.append(PRESENT)
                row_values.append(tuple(stored[p] for p in positions))
                stamp = as_of or stamp_of.get(hit.feature_ts)
                if stamp is None:
                    stamp = stamp_of[hit.feature_ts] = micros_to_datetime(hit.feature_ts)
                row_stamps.append(stamp)
        by_output = list(zip(*row_values, strict=True)) if row_values else \
            [() for _ in lookup.outputs]
        for name, values in zip(lookup.outputs, by_output, strict=True):
            columns[name] = list(values)
            statuses[name] = list(row_status)
            stamps[name] = list(row_stamps)


def visible(state: ViewState, ts: int, t: int) -> bool:
    """Whether a stored row with feature time ``ts`` is visible at ``t`` (UTC microseconds)."""
    span = state.horizon_us
    if state.aggregation:
        return span is None or ts > t - span
    inclusive = state.cut == "inclusive"
    if not (ts <= t if inclusive else ts < t):
        return False
    return span is None or (ts > t - span if inclusive else ts >= t - span)
