"""The canonical hash of a view's definition (docs/contracts.md): what decides its features'
values, not descriptions, owners or tags. ``fsql plan`` records it in ``fsql.lock.json`` and
materialization records it per run in ``fsql_materializations``: one hash for both."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from fsql.dsl.aggregates import Aggregate, window_label
from fsql.dsl.definitions import FeatureView, Field


def canonical_hash(value: Any) -> str:
    """A short SHA-256 of ``value`` written as canonical JSON (sorted keys, no spaces)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def view_context(view: FeatureView) -> dict[str, Any]:
    """What the view contributes to every feature: source, timestamps, mapping, keys, TTL."""
    source = view.source
    context: dict[str, Any] = {
        "source": [source.path, source.table, source.query],
        "timestamp": [source.timestamp_field, source.timestamp_dtype],
        "created": source.created_timestamp_field,
        "mapping": sorted(source.field_mapping.items()),
        "keys": list(view.join_keys),
        "ttl": window_label(view.ttl) if view.ttl is not None else None,
    }
    if view.is_aggregation and any(getattr(f, "window", 0) is None for f in view.features):
        # Lifetime aggregates: the latest table holds their merge state, whose settled rows
        # the late-arrival allowance defines (fsql/materialize/lifetime.py): it decides values.
        context["lifetime_late_us"] = int(view.late_arrival.total_seconds() * 1_000_000)
    return context


def feature_descriptions(view: FeatureView) -> dict[str, dict[str, Any]]:
    """Each feature of ``view`` -> what decides its values (its dtype among them)."""
    out: dict[str, dict[str, Any]] = {}
    for feat in view.features:
        if isinstance(feat, Field):
            how: dict[str, Any] = {"field": view.source.column_for(feat.name)}
        else:
            assert isinstance(feat, Aggregate)
            how = {"function": feat.function, "column": feat.column,
                   "window": window_label(feat.window),
                   "where": feat.where.text if feat.where is not None else None}
        out[feat.name] = {"dtype": None if feat.dtype is None else str(feat.dtype),
                          "how": how, "default": repr(feat.default)}
    for derived in view.derived:
        out[derived.name] = {"dtype": None if derived.dtype is None else str(derived.dtype),
                             "how": {"derived": derived.expression.text}, "default": None}
    return out


def view_contract(view: FeatureView) -> dict[str, Any]:
    """The view's schema hash and its features' dtypes and hashes."""
    context = view_context(view)
    features = {name: {"dtype": d["dtype"], "hash": canonical_hash([context, d]),
                       "definition": {**context, **d}}
                for name, d in feature_descriptions(view).items()}
    return {"schema_hash": canonical_hash(
                [context, sorted((n, f["hash"]) for n, f in features.items())]),
            "features": features}
