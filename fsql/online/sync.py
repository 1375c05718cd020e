"""Copy a view's latest rows into an online store: changed keys only (the store keeps the
newer row), keys that left the latest table removed, then the view's state recorded. On
SQLite the whole sync is one transaction; on Redis each key is replaced atomically (a reader
sees a key's old row or its new one, never a mix) and the state is written last."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from fsql.dtypes import parse_dtype
from fsql.errors import DefinitionError
from fsql.online.keys import key_encoder
from fsql.online.stores import OnlineRow, OnlineStore, SQLiteStore, ViewState
from fsql.online.values import encoder

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_BATCH = 10_000
_MICRO = dt.timedelta(microseconds=1)


@dataclass(frozen=True)
class SyncResult:
    """What one view's sync did."""

    view: str
    keys: int
    written: int
    deleted: int
    seconds: float
    as_of: int

    def format(self) -> str:
        """One line for the CLI."""
        return (f"{self.view}: {self.keys} keys, {self.written} written, {self.deleted} "
                f"removed in {self.seconds:.2f}s (as of {micros_to_datetime(self.as_of)})")


def micros(value: dt.datetime) -> int:
    """UTC microseconds of a timestamp (naive: UTC)."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    return (aware - _EPOCH) // _MICRO


def micros_to_datetime(value: int) -> dt.datetime:
    """The UTC timestamp of microseconds."""
    return _EPOCH + dt.timedelta(microseconds=value)


LatestRow = tuple[Sequence[Any], dt.datetime, dt.datetime | None, Sequence[Any]]


def sync_view(store: OnlineStore, view: str, state: ViewState, rows: Iterable[LatestRow], *,
              full_refresh: bool = False) -> SyncResult:
    """Bring ``view`` in ``store`` to ``rows`` (key values, feature time, created time, feature
    values in ``state.features`` order) as of ``state.as_of``. A store synced from another
    definition of the view is refused unless ``full_refresh`` (which rebuilds it)."""
    started = time.perf_counter()
    stored = store.state(view)
    if stored is not None and stored.definition_hash != state.definition_hash and \
            not full_refresh:
        raise DefinitionError(
            f"Online store {store.url!r} holds feature view {view!r} synced from another "
            "definition (its hash differs); re-sync it with --full-refresh so that no reader "
            "mixes values of two definitions")
    key_dtypes = [parse_dtype(t, where=f"view {view!r} key") for _, t in state.keys]
    dtypes = [parse_dtype(t, where=f"view {view!r} feature") for _, t in state.features]
    as_of = max(state.as_of, stored.as_of) if stored and not full_refresh else state.as_of
    # A run as of a later T1 restates rows tied on times: an aggregation's windows move on
    # without a new event (its feature time is the key's last event time).
    restate = stored is None or full_refresh or state.as_of >= stored.as_of
    if isinstance(store, SQLiteStore):
        with store.transaction():
            result = _sync(store, view, state, rows, key_dtypes, dtypes, full_refresh, as_of,
                           restate)
    else:
        result = _sync(store, view, state, rows, key_dtypes, dtypes, full_refresh, as_of,
                       restate)
    written, deleted, keys = result
    return SyncResult(view, keys, written, deleted, time.perf_counter() - started, as_of)


def _sync(store: OnlineStore, view: str, state: ViewState, rows: Iterable[LatestRow],
          key_dtypes: list[Any], dtypes: list[Any], full_refresh: bool,
          as_of: int, restate: bool) -> tuple[int, int, int]:
    if full_refresh:
        store.clear(view)
    before = set(store.keys(view))
    seen: set[bytes] = set()
    written = 0
    batch: list[OnlineRow] = []
    encode, encode_row = key_encoder(key_dtypes), encoder(dtypes)
    where = f"latest table of {view!r}"
    for key_values, feature_ts, created_ts, values in rows:
        key = encode(key_values, where)
        seen.add(key)
        batch.append(OnlineRow(key, micros(feature_ts),
                               None if created_ts is None else micros(created_ts),
                               encode_row(values)))
        if len(batch) >= _BATCH:
            written += store.write(view, batch, restate=restate)
            batch = []
    written += store.write(view, batch, restate=restate)
    gone = [k for k in before if k not in seen]
    deleted = store.delete(view, gone, not_after=as_of) if gone else 0
    store.set_state(view, ViewState(state.definition_hash, as_of, state.keys, state.features,
                                    state.horizon_us, state.aggregation, state.cut))
    return written, deleted, len(seen)
