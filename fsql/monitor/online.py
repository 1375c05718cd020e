"""The online store's values for a training set's entity keys, read through
:class:`fsql.online.server.OnlineServer` (the read path of ``get_online_features``), as an
Arrow table: what ``fsql skew --online`` compares the training set with."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pyarrow as pa

from fsql.dsl.catalog import Catalog
from fsql.errors import DefinitionError
from fsql.online.server import OnlineServer


def online_values(catalog: Catalog, service: str, training: pa.Table, keys: Sequence[str], *,
                  online: str | None, at: dt.datetime | None) -> pa.Table:
    """One row per training row: the service's features served for its ``keys`` (entity and
    request columns) at ``at`` (default now) from ``online`` (a URL; default the
    repository's ``[online] url``)."""
    missing = [k for k in keys if k not in training.column_names]
    if missing:
        raise DefinitionError(f"The training set of service {service!r} has no entity "
                              f"column(s) {missing}: the spine must carry every join key and "
                              "request column")
    entities = {k: training.column(k).to_pylist() for k in keys}
    with OnlineServer(catalog, online) as server:
        response = server.get_online_features(service, entities, at=at)
    return pa.table({name: pa.array(response.values[name]) for name in response.features})
