"""A long-lived online server of one repository: the store kept open, one prepared read per
request shape (features, entity columns, full names), push of snapshot rows and freshness.
The HTTP server (fsql/online/http.py) is a thin layer over it; Python callers use it for
low-latency reads::

    server = OnlineServer(Repo.load("examples/fraud"))
    server.get_online_features("fraud_detection", {"user_id": [1, 2]}).to_dict()
"""

from __future__ import annotations

import datetime as dt
import decimal
import numbers
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fsql.dsl.catalog import Catalog
from fsql.dsl.definitions import FeatureView
from fsql.dtypes import DType, parse_dtype
from fsql.errors import DefinitionError, StoreUnavailableError, UnsupportedError
from fsql.expr.to_python import evaluate
from fsql.materialize.layout import definition_hash
from fsql.online.config import online_url
from fsql.online.keys import encode_key
from fsql.online.serving import OnlineRead, OnlineResponse, online_plan
from fsql.online.stores import OnlineRow, OnlineStore, open_store
from fsql.online.sync import micros, micros_to_datetime
from fsql.online.values import encode_values

_JSON_KEYS = ("date", "timestamp", "decimal")  # key dtypes JSON has no value of
_PLANS = 256  # prepared reads kept per server (request shapes, not requests)


@dataclass(frozen=True)
class PushResult:
    """What one push did: rows received, rows written (the others were not newer than the
    stored row of their key)."""

    view: str
    rows: int
    written: int


@dataclass(frozen=True)
class Freshness:
    """A view's last sync against its horizon (a snapshot view's TTL, an aggregation view's
    longest window): stale when never synced or older than the horizon."""

    view: str
    as_of: dt.datetime | None
    age: dt.timedelta | None
    horizon: dt.timedelta | None

    @property
    def stale(self) -> bool:
        """Never synced, or synced longer ago than the view's horizon."""
        if self.age is None:
            return True
        return self.horizon is not None and self.age > self.horizon

    def format(self) -> str:
        """One line for the CLI."""
        if self.as_of is None:
            return f"{self.view}: never synced  STALE (sync it: fsql sync / fsql materialize)"
        horizon = "no TTL" if self.horizon is None else f"TTL {_duration(self.horizon)}"
        verdict = "STALE" if self.stale else "fresh"
        return (f"{self.view}: as of {self.as_of.isoformat()}, age {_duration(self.age)} "
                f"({horizon})  {verdict}")


def _duration(value: dt.timedelta | None) -> str:
    if value is None:
        return "-"
    seconds = int(value.total_seconds())
    sign, seconds = ("-", -seconds) if seconds < 0 else ("", seconds)
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{days}d"] * bool(days) + [f"{hours}h"] * bool(hours) + \
        [f"{minutes}m"] * bool(minutes) + [f"{seconds}s"] * (bool(seconds) or not
                                                             (days or hours or minutes))
    return sign + "".join(parts)


class OnlineServer:
    """Online reads, pushes and freshness for one repository's definitions from one open
    online store (``store``: an opened store or a URL; default: the repository's
    ``[online] url``). Prepared reads are cached per (features, entity columns, full names);
    the store stays open until :meth:`close`. A view synced from another definition or cut
    than a request's is refused (the definition hash of materialization; ``hashes``, view ->
    hash, overrides it, ``{}`` turns the check off)."""

    def __init__(self, catalog: Catalog, store: OnlineStore | str | None = None, *,
                 hashes: Mapping[str, str] | None = None) -> None:
        self.catalog = catalog
        if store is None or isinstance(store, str):
            store = open_store(online_url(catalog, store), root=catalog.root)
        self.store: OnlineStore = store
        self.hashes = None if hashes is None else dict(hashes)
        self._reads: dict[tuple[Any, ...], OnlineRead] = {}
        self._lock = threading.Lock()

    # -- reads -------------------------------------------------------------------------------
    def prepared(self, features: str | Sequence[Any], columns: Sequence[str], *,
                 full_names: bool = False) -> OnlineRead:
        """The prepared read of a request shape (planned once, then reused)."""
        ident = (features if isinstance(features, str) else tuple(features), tuple(columns),
                 full_names)
        found = self._reads.get(ident)
        if found is None:
            plan = online_plan(self.catalog, features if isinstance(features, str)
                               else list(features), list(columns), full_names=full_names)
            hashes = self.hashes if self.hashes is not None else {
                lk.view_name: definition_hash(self.catalog.views[lk.view_name], plan.cut)
                for lk in plan.lookups}
            found = OnlineRead(plan, hashes=hashes)
            with self._lock:
                if len(self._reads) >= _PLANS:
                    self._reads.pop(next(iter(self._reads)))
                self._reads[ident] = found
        return found

    def get_online_features(self, features: str | Sequence[Any],
                            entities: Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Any]],
                            *, at: dt.datetime | None = None,
                            full_names: bool = False) -> OnlineResponse:
        """The features of the entities at ``at`` (default: now): ``entities`` is columnar
        (``{"user_id": [1, 2]}``) or a list of entity rows (``[{"user_id": 1}]``). Semantics
        as :meth:`fsql.Repo.get_online_features`."""
        if isinstance(entities, Mapping):
            read = self.prepared(features, list(entities), full_names=full_names)
            return read.read(self.store, entities, at=at)
        columns = list(dict.fromkeys(c for row in entities for c in row))
        read = self.prepared(features, columns, full_names=full_names)
        return read.read_rows(self.store, entities, at=at)

    def get_online_features_json(self, features: str | Sequence[str],
                                 entities: Mapping[str, Sequence[Any]], *,
                                 at: dt.datetime | None = None,
                                 full_names: bool = False) -> OnlineResponse:
        """As :meth:`get_online_features` for columnar entities decoded from JSON: join-key
        columns of date, timestamp and decimal views are read from their JSON form (ISO
        text, numbers) first (:func:`json_value`)."""
        read = self.prepared(features, list(entities), full_names=full_names)
        read.learn(self.store)
        typed = dict(entities)
        for column in read.columns:
            dtype = read.key_dtypes(column)
            values = entities.get(column)
            if dtype is not None and dtype.name in _JSON_KEYS and values is not None:
                typed[column] = [json_value(v, dtype, where=f"entity {column!r} row {i + 1}")
                                 for i, v in enumerate(values)]
        return read.read(self.store, typed, at=at)

    # -- push --------------------------------------------------------------------------------
    def push(self, view_name: str, columns: Mapping[str, Sequence[Any]]) -> PushResult:
        """Write rows of a snapshot view straight into the online store, with the
        never-regress rule: a row replaces its key's stored row only when its (feature time,
        created time) is greater. ``columns`` holds the view's join keys, its source's
        timestamp field (and created timestamp field, if the source has one) and every Field
        of the view; view-level Derived features are computed here. Push does not change the
        view's as-of time, its latest table or its offline source (docs/serving.md)."""
        view = self.catalog.view(view_name)
        where = f"push to FeatureView {view.name!r} ({view.location})"
        if view.is_aggregation:
            raise UnsupportedError(
                f"{where}: push writes snapshot values; an aggregation view's windows are "
                "computed by materialization from its events (fsql does not aggregate streams "
                "online): write the events to its source and materialize")
        state = self.store.state(view.name)
        if state is None:
            raise StoreUnavailableError(
                f"Online store {self.store.url!r} has no rows of feature view {view.name!r}: "
                "sync it once (fsql sync, or fsql materialize --online) before pushing, so the "
                "store knows its key and feature layout")
        source = view.source
        ts_column, created_column = source.timestamp_field, source.created_timestamp_field
        key_names = [k for k, _ in state.keys]
        fields = {f.name: f for f in view.features}
        derived = {d.name: d for d in view.derived}
        needed = [*key_names, ts_column, *fields]
        missing = [c for c in needed if c not in columns]
        if missing:
            raise DefinitionError(
                f"{where}: the rows lack columns {missing}; give {', '.join(needed)}"
                + (f" (and optionally {created_column})" if created_column else ""))
        unknown = sorted(set(columns) - {*needed, *([created_column] if created_column
                                                     else [])})
        if unknown:
            raise DefinitionError(f"{where}: unknown columns {unknown}; a push carries "
                                  f"{', '.join(needed)}")
        lengths = {len(columns[c]) for c in columns}
        if len(lengths) > 1:
            raise DefinitionError(f"{where}: columns have different lengths {sorted(lengths)}")
        n = lengths.pop() if lengths else 0
        key_dtypes = [parse_dtype(d, where=f"view {view.name!r} key") for _, d in state.keys]
        dtypes = [parse_dtype(d, where=f"view {view.name!r}") for _, d in state.features]
        rows: list[OnlineRow] = []
        for i in range(n):
            at = f"{where}, row {i + 1}"
            key = encode_key([json_value(columns[k][i], t, where=f"{at}, column {k!r}")
                              for k, t in zip(key_names, key_dtypes, strict=True)],
                             key_dtypes, where=at)
            ts = json_value(columns[ts_column][i], DType("timestamp"),
                            where=f"{at}, column {ts_column!r}")
            if ts is None:
                raise DefinitionError(f"{at}: {ts_column} cannot be NULL")
            created = None
            if created_column and created_column in columns:
                created = json_value(columns[created_column][i], DType("timestamp"),
                                     where=f"{at}, column {created_column!r}")
            row = {name: json_value(columns[name][i], f.dtype, where=f"{at}, column {name!r}")
                   for name, f in fields.items()}
            values = []
            for name, _ in state.features:
                if name in row:
                    values.append(row[name])
                elif name in derived:
                    values.append(_derive(view, derived[name], row))
                else:
                    raise StoreUnavailableError(
                        f"{where}: the store's layout of the view has feature {name!r}, which "
                        "the definition does not; re-sync the view (fsql sync --full-refresh)")
            rows.append(OnlineRow(key, micros(ts), None if created is None else micros(created),
                                  encode_values(values, dtypes)))
        written = self.store.write(view.name, rows)
        return PushResult(view.name, n, written)

    # -- freshness ---------------------------------------------------------------------------
    def freshness(self, views: Sequence[str] | None = None, *,
                  now: dt.datetime | None = None) -> list[Freshness]:
        """Per view (default: every view with entities) its last sync's as-of time and age
        at ``now`` (default: now) against its horizon."""
        now = now or dt.datetime.now(dt.UTC)
        names = list(views) if views else sorted(
            name for name, v in self.catalog.views.items() if v.join_keys)
        out = []
        for name in names:
            view = self.catalog.view(name)
            state = self.store.state(view.name)
            if state is None:
                out.append(Freshness(view.name, None, None, _horizon(view)))
                continue
            as_of = micros_to_datetime(state.as_of)
            horizon = None if state.horizon_us is None else dt.timedelta(
                microseconds=state.horizon_us)
            out.append(Freshness(view.name, as_of, now - as_of, horizon))
        return out

    # -- lifecycle ---------------------------------------------------------------------------
    def health(self) -> None:
        """Raise StoreUnavailableError unless the store answers."""
        for view in list(self.catalog.views)[:1]:
            self.store.state(view)

    def close(self) -> None:
        """Close the store."""
        self.store.close()

    def __enter__(self) -> OnlineServer:
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()


def _horizon(view: FeatureView) -> dt.timedelta | None:
    if not view.is_aggregation:
        return view.ttl
    windows: list[dt.timedelta | None] = [getattr(f, "window", None) for f in view.features]
    finite = [w for w in windows if w is not None]
    return None if len(finite) < len(windows) else max(finite)


def _derive(view: FeatureView, item: Any, row: Mapping[str, Any]) -> Any:
    dtypes = {f.name: f.dtype for f in view.features if f.dtype is not None}
    refs = item.expression.references
    return evaluate(item.expression, row,
                    dtypes={r: dtypes[r] for r in refs} if all(r in dtypes for r in refs)
                    else None)


def json_value(value: Any, dtype: DType | None, *, where: str) -> Any:
    """A value received as JSON (number, string, bool, null) as the Python value of ``dtype``:
    timestamps from ISO 8601 text (naive: UTC) or epoch seconds, dates from ISO text, decimals
    from text or numbers, floats from numbers or 'NaN'/'Infinity'/'-Infinity'. Python values of
    the right type pass through; anything else raises a DefinitionError naming ``where``."""
    if value is None or dtype is None:
        return value
    name = dtype.name
    try:
        if name == "timestamp":
            if isinstance(value, dt.datetime):
                return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
            if isinstance(value, str):
                parsed = dt.datetime.fromisoformat(value)
                return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
            if isinstance(value, numbers.Real) and not isinstance(value, bool):
                return dt.datetime.fromtimestamp(float(value), dt.UTC)
        elif name == "date":
            if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
                return value
            if isinstance(value, str):
                return dt.date.fromisoformat(value)
        elif name == "decimal":
            if isinstance(value, (str, decimal.Decimal)) or (
                    isinstance(value, numbers.Real) and not isinstance(value, bool)):
                return decimal.Decimal(str(value))
        elif name == "float64":
            if isinstance(value, numbers.Real) and not isinstance(value, bool):
                return float(value)
            if isinstance(value, str) and value in ("NaN", "Infinity", "-Infinity"):
                return float(value.replace("Infinity", "inf"))
        elif name == "int64":
            if isinstance(value, numbers.Integral) and not isinstance(value, bool):
                return int(value)
        elif name == "string":
            if isinstance(value, str):
                return value
        elif name == "bool":
            if isinstance(value, bool):
                return value
        else:
            return value
    except (ValueError, decimal.InvalidOperation, OverflowError) as err:
        raise DefinitionError(f"{where}: {value!r} is not a {dtype}: {err}") from None
    raise DefinitionError(f"{where}: {value!r} ({type(value).__name__}) is not a {dtype}")
