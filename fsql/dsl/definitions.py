"""The feature-definition DSL: frozen, validated dataclasses.

>>> user = Entity("user", join_keys=["user_id"])
>>> src = Source("users", path="data/users.parquet", timestamp_field="ts")
>>> view = FeatureView("user_stats", entities=[user], source=src, ttl="7d",
...                    features=[Field("age", "int64")])
>>> view[["age"]].feature_names
('age',)
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from fsql.dsl.aggregates import Aggregate, Derived
from fsql.dsl.names import caller_location, check_name, checked_arguments
from fsql.dtypes import DType, parse_dtype
from fsql.durations import parse_duration
from fsql.errors import DefinitionError, did_you_mean


def _as_list(value: Any, *, where: str, what: str, example: str) -> list[Any]:
    """``value`` as a list, refusing a single object or a string where a list belongs."""
    if isinstance(value, (str, bytes, Entity, Field, Source)) or not isinstance(value, Sequence):
        raise DefinitionError(f"{where}: {what}= must be a list, got {value!r}; write {example}")
    return list(value)


# Python types a feature's default may have, per dtype (bool is an int in Python: refused).
_DEFAULT_TYPES: dict[str, tuple[type, ...]] = {
    "int64": (numbers.Integral,), "float64": (numbers.Real,), "string": (str,),
    "bool": (bool,), "timestamp": (datetime,), "date": (date,),
    "decimal": (Decimal, numbers.Integral),
}


def _check_default(value: Any, dtype: DType, where: str) -> None:
    if value is None:
        return
    allowed = _DEFAULT_TYPES[dtype.name]
    wrong = not isinstance(value, allowed)
    if dtype.name != "bool" and isinstance(value, bool):
        wrong = True
    if dtype.name == "date" and isinstance(value, datetime):
        wrong = True
    if dtype.name == "int64" and not wrong and not -(2**63) <= int(value) < 2**63:
        wrong = True
    if wrong:
        kinds = {"int64": "a 64-bit int", "float64": "a float", "string": "a str",
                 "bool": "True or False", "timestamp": "a datetime", "date": "a date",
                 "decimal": "a Decimal"}[dtype.name]
        raise DefinitionError(
            f"{where}: default {value!r} does not fit dtype {dtype}; give {kinds} or None"
        )


@dataclass(frozen=True)
class Entity:
    """A business object features are keyed on, e.g. ``Entity("user", join_keys=["user_id"])``."""

    name: str
    join_keys: tuple[str, ...]
    description: str = ""
    location: str = field(default="", compare=False, repr=False)

    @checked_arguments
    def __init__(self, name: str, join_keys: Sequence[str], *, description: str = "") -> None:
        location = caller_location()
        check_name("Entity", name, location)
        if isinstance(join_keys, str) or not join_keys:
            raise DefinitionError(
                f"Entity {name!r} ({location}): join_keys must be a non-empty list of column "
                "names, e.g. join_keys=['user_id']"
            )
        keys = tuple(str(k) for k in join_keys)
        if len(set(keys)) != len(keys):
            raise DefinitionError(f"Entity {name!r} ({location}): join_keys repeat a column")
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "join_keys", keys)
        object.__setattr__(self, "description", description)
        object.__setattr__(self, "location", location)


@dataclass(frozen=True)
class Field:
    """A feature column: ``Field("amount", "float64", default=0.0)``.

    ``default`` replaces the value only when no source row is visible (never a NULL value).
    """

    name: str
    dtype: DType
    default: Any = None
    description: str = ""

    @checked_arguments
    def __init__(self, name: str, dtype: str | DType, default: Any = None, *,
                 description: str = "") -> None:
        location = caller_location()
        check_name("Field", name, location)
        parsed = parse_dtype(dtype, where=f"Field {name!r} ({location})")
        _check_default(default, parsed, f"Field {name!r} ({location})")
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "dtype", parsed)
        object.__setattr__(self, "default", default)
        object.__setattr__(self, "description", description)


@dataclass(frozen=True)
class Source:
    """Where feature rows live: a local ``path`` (Parquet/CSV, relative to the repository),
    a warehouse ``table`` (``project.dataset.table`` / ``db.schema.table``) or a ``query`` (a
    SELECT). ``path`` may be given together with ``table`` or ``query``: one definition for
    local development and the warehouse. Which one a request reads is the environment's choice
    (``fsql.toml`` ``[environments.NAME]``); by default DuckDB reads the file and the
    warehouses the table (docs/environments.md).

    ``field_mapping`` renames source columns: ``{source_column: name_used_in_definitions}``.
    ``schema`` declares the dtypes of a table's or query's columns (by *source* column name,
    before ``field_mapping``): ``{"amount": "float64", "user_id": "int64"}``. fsql sees a file's
    types but not a warehouse table's; with a schema, ``where=`` filters and derived
    expressions type-check on tables as on files, and sums know they are exact integers.
    Declared for a file, it is checked against the file.
    ``timestamp_dtype`` says whether the event timestamp column is a ``timestamp`` (an instant;
    naive values are UTC) or a ``date`` (midnight UTC).
    """

    name: str
    timestamp_field: str
    path: str | None = None
    table: str | None = None
    query: str | None = None
    created_timestamp_field: str | None = None
    field_mapping: Mapping[str, str] = field(default_factory=dict)
    timestamp_dtype: Literal["timestamp", "date"] = "timestamp"
    schema: Mapping[str, DType] = field(default_factory=dict)
    location: str = field(default="", compare=False, repr=False)

    @checked_arguments
    def __init__(self, name: str, *, timestamp_field: str, path: str | None = None,
                 table: str | None = None, query: str | None = None,
                 created_timestamp_field: str | None = None,
                 field_mapping: Mapping[str, str] | None = None,
                 timestamp_dtype: str = "timestamp",
                 schema: Mapping[str, str | DType] | None = None) -> None:
        location = caller_location()
        check_name("Source", name, location)
        if not (path or table or query):
            raise DefinitionError(
                f"Source {name!r} ({location}): give path= (a local Parquet/CSV file), table= "
                "(a warehouse table) or query= (a SELECT), or path= with one of the others"
            )
        if table and query:
            raise DefinitionError(
                f"Source {name!r} ({location}): give table= or query=, not both (path= may "
                "accompany either)"
            )
        if timestamp_dtype not in ("timestamp", "date"):
            raise DefinitionError(
                f"Source {name!r} ({location}): timestamp_dtype must be 'timestamp' or 'date'"
            )
        mapping = dict(field_mapping or {})
        if len(set(mapping.values())) != len(mapping):
            raise DefinitionError(
                f"Source {name!r} ({location}): field_mapping maps two columns to one name"
            )
        if schema is not None and not isinstance(schema, Mapping):
            raise DefinitionError(
                f"Source {name!r} ({location}): schema= must be a dict of column name to dtype, "
                "e.g. {'amount': 'float64'}")
        columns = {str(c): parse_dtype(t, where=f"Source {name!r} ({location}) schema[{c!r}]")
                   for c, t in (schema or {}).items()}
        ts_column = next((c for c, n in mapping.items() if n == timestamp_field), timestamp_field)
        if columns.get(ts_column, DType(timestamp_dtype)).name != timestamp_dtype:
            timestamp_dtype = columns[ts_column].name
            if timestamp_dtype not in ("timestamp", "date"):
                raise DefinitionError(
                    f"Source {name!r} ({location}): schema declares the timestamp column "
                    f"{timestamp_field!r} as {timestamp_dtype}; declare 'timestamp' or 'date'")
        for attr, value in (("name", name), ("timestamp_field", timestamp_field), ("path", path),
                            ("table", table), ("query", query),
                            ("created_timestamp_field", created_timestamp_field),
                            ("field_mapping", mapping), ("timestamp_dtype", timestamp_dtype),
                            ("schema", columns), ("location", location)):
            object.__setattr__(self, attr, value)

    def column_for(self, name: str) -> str:
        """The source column holding the definition-level column ``name``."""
        for source_col, mapped in self.field_mapping.items():
            if mapped == name:
                return source_col
        return name

    def __hash__(self) -> int:
        return hash((self.name, self.path, self.table, self.query))


@dataclass(frozen=True)
class FeatureView:
    """Features of one or more entities read from one source, visible for ``ttl`` after their
    event timestamp (``None``: forever). A view with no entities holds one global row."""

    name: str
    entities: tuple[Entity, ...]
    source: Source
    features: tuple[Field | Aggregate, ...]
    ttl: timedelta | None = None
    description: str = ""
    owner: str = ""
    tags: Mapping[str, str] = field(default_factory=dict)
    derived: tuple[Derived, ...] = ()
    # How late (event time before the previous run's end) a row of a source without a
    # created timestamp may arrive and still reach the latest table (docs/materialization.md).
    late_arrival: timedelta = timedelta(0)
    # How old the newest source event may be before the view counts as stale (fsql freshness
    # --offline); None: the TTL.
    freshness_sla: timedelta | None = None
    # Versions of one name coexist in a repository; the newest is what names resolve to, and
    # a version >= 2 has its own latest table <name>_v<N>_latest (docs/contracts.md).
    version: int = 1
    location: str = field(default="", compare=False, repr=False)

    @checked_arguments
    def __init__(self, name: str, *, source: Source, features: Sequence[Any],
                 entities: Sequence[Entity] = (), ttl: timedelta | str | None = None,
                 description: str = "", owner: str = "",
                 tags: Mapping[str, str] | None = None,
                 late_arrival: timedelta | str = timedelta(0),
                 freshness_sla: timedelta | str | None = None, version: int = 1) -> None:
        location = caller_location()
        where = f"FeatureView {name!r} ({location})"
        check_name("FeatureView", name, location)
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise DefinitionError(f"{where}: version= must be an integer >= 1, got {version!r}")
        if not isinstance(source, Source):
            raise DefinitionError(f"{where}: source= must be a Source, got {source!r}")
        entities = _as_list(entities, where=where, what="entities", example="entities=[user]")
        for entity in entities:
            if isinstance(entity, str):
                raise DefinitionError(
                    f"{where}: unknown entity {entity!r}: entities= takes Entity objects, not "
                    f"names; define it with Entity({entity!r}, join_keys=[...]) and pass that "
                    "object"
                )
            if not isinstance(entity, Entity):
                raise DefinitionError(
                    f"{where}: entities must be Entity objects, got {entity!r}; define it with "
                    "Entity(name, join_keys=[...])"
                )
        features = _as_list(features, where=where, what="features",
                            example="features=[Field('name', 'int64')]")

        derived = [f for f in features if isinstance(f, Derived)]
        features = [f for f in features if not isinstance(f, Derived)]
        if not features:
            raise DefinitionError(
                f"{where}: features= must list at least one Field or Aggregate")
        for feat in features:
            if not isinstance(feat, (Field, Aggregate)):
                raise DefinitionError(
                    f"{where}: features must be Field, Aggregate or Derived objects, got "
                    f"{feat!r}; write Field('name', 'int64') or Aggregate('amount', 'sum', "
                    "window='7d')"
                )
        kinds = {type(f) for f in features}
        if len(kinds) > 1:
            raise DefinitionError(
                f"{where}: mixes Fields (snapshot values) and Aggregates (windowed "
                "aggregations of events); define them in two views over the source"
            )
        if Aggregate in kinds and ttl is not None:
            raise DefinitionError(
                f"{where}: ttl= does not apply to Aggregates; give each Aggregate a window="
            )
        names = [f.name for f in features]
        for item in derived:
            outside = [r for r in item.expression.references if r not in names]
            if outside:
                raise DefinitionError(
                    f"{where}: Derived {item.name!r} ({item.location}) reads {outside}, which "
                    f"are not Fields or Aggregates of this view ({', '.join(names)}); list it in "
                    "a FeatureService to combine features of several views or spine columns"
                )
        names += [d.name for d in derived]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise DefinitionError(f"{where}: duplicate feature names {dupes}")
        keys = [k for e in entities for k in e.join_keys]
        if len(set(keys)) != len(keys):
            raise DefinitionError(f"{where}: two entities share a join key column")
        reserved = set(keys) | {source.timestamp_field}
        if source.created_timestamp_field:
            reserved.add(source.created_timestamp_field)
        clash = sorted(reserved & set(names))
        if clash:
            raise DefinitionError(
                f"{where}: features {clash} are join keys or timestamps, not features"
            )
        parsed_ttl = None if ttl is None else parse_duration(ttl, where=f"{where} ttl")
        sla = None if freshness_sla is None else parse_duration(
            freshness_sla, where=f"{where} freshness_sla")
        late = timedelta(0) if late_arrival in (timedelta(0), 0, "0") else parse_duration(
            late_arrival, where=f"{where} late_arrival")
        for attr, value in (("name", name), ("entities", tuple(entities)), ("source", source),
                            ("features", tuple(features)), ("ttl", parsed_ttl),
                            ("freshness_sla", sla),
                            ("description", description), ("owner", owner),
                            ("tags", dict(tags or {})), ("derived", tuple(derived)),
                            ("late_arrival", late), ("version", version),
                            ("location", location)):
            object.__setattr__(self, attr, value)

    def __hash__(self) -> int:
        return hash(self.name)

    @property
    def join_keys(self) -> tuple[str, ...]:
        """All join key columns of the view's entities, in order."""
        return tuple(k for e in self.entities for k in e.join_keys)

    @property
    def is_aggregation(self) -> bool:
        """Whether the view's features are windowed Aggregates (else snapshot Fields)."""
        return not isinstance(self.features[0], Field)

    def field(self, name: str) -> Any:
        """The Field, Aggregate or Derived called ``name``, or an error listing the view's
        features."""
        for feat in (*self.features, *self.derived):
            if feat.name == name:
                return feat
        names = [f.name for f in (*self.features, *self.derived)]
        raise DefinitionError(
            f"FeatureView {self.name!r} ({self.location}) has no feature {name!r}."
            f"{did_you_mean(name, names)} Its features: {', '.join(names)}"
        )

    def projection(self) -> ViewProjection:
        """All features of the view, under its own name."""
        names = tuple(f.name for f in (*self.features, *self.derived))
        return ViewProjection(self, self.name, names, {})

    def __getitem__(self, names: Sequence[str]) -> ViewProjection:
        return self.projection()[names]

    def with_name(self, name: str) -> ViewProjection:
        """The view under another name (for ``--full-names`` and to use it twice)."""
        return self.projection().with_name(name)

    def with_join_key_map(self, mapping: Mapping[str, str]) -> ViewProjection:
        """Read join key ``k`` from spine column ``mapping[k]``."""
        return self.projection().with_join_key_map(mapping)


@dataclass(frozen=True)
class ViewProjection:
    """A view as used in a request: some of its features, a name, and a join-key mapping."""

    view: FeatureView
    name: str
    feature_names: tuple[str, ...]
    join_key_map: Mapping[str, str]

    def __hash__(self) -> int:
        return hash((self.view.name, self.name, self.feature_names,
                     tuple(sorted(self.join_key_map.items()))))

    def __getitem__(self, names: Sequence[str]) -> ViewProjection:
        if isinstance(names, str):
            names = [names]
        for n in names:
            self.view.field(n)
        return ViewProjection(self.view, self.name, tuple(names), self.join_key_map)

    def with_name(self, name: str) -> ViewProjection:
        """This projection under another name."""
        check_name("view name", name, self.view.location)
        return ViewProjection(self.view, name, self.feature_names, self.join_key_map)

    def with_join_key_map(self, mapping: Mapping[str, str]) -> ViewProjection:
        """Read join key ``k`` from spine column ``mapping[k]``."""
        unknown = sorted(set(mapping) - set(self.view.join_keys))
        if unknown:
            raise DefinitionError(
                f"FeatureView {self.view.name!r} ({self.view.location}): with_join_key_map "
                f"({caller_location()}) names {unknown}, which are not join keys of the view; "
                f"map its join keys {list(self.view.join_keys)} to spine columns, e.g. "
                f"{{{self.view.join_keys[0] if self.view.join_keys else 'key'!r}: 'spine_col'}}"
            )
        bad = [v for v in mapping.values() if not isinstance(v, str) or not v]
        if bad:
            raise DefinitionError(
                f"FeatureView {self.view.name!r} ({self.view.location}): with_join_key_map "
                f"values must be spine column names, got {bad}"
            )
        return ViewProjection(self.view, self.name, self.feature_names, dict(mapping))

    def spine_column(self, key: str) -> str:
        """The spine column that holds join key ``key``."""
        return self.join_key_map.get(key, key)


@dataclass(frozen=True)
class FeatureService:
    """A named list of features served together: views, projections, ``"view:feature"``
    strings, view names and Derived features.

    ``request_schema`` declares the spine (request) columns the service's Derived features
    read, with their dtypes: ``{"amount": "float64"}``. They type the derived expressions on
    table and query spines and are checked against file and DataFrame spines. It may also give
    the spine timestamp column's dtype (``"date"`` for a DATE column of a table spine).
    ``cut`` fixes the visibility cut of every request of the service (``"inclusive"``: rows at
    exactly the spine time are visible; ``"exclusive"``: only earlier rows), so that training
    sets and online reads agree without a flag (docs/semantics.md, "Which cut").
    """

    name: str
    features: tuple[FeatureView | ViewProjection | str, ...]
    description: str = ""
    request_schema: Mapping[str, DType] = field(default_factory=dict)
    cut: Literal["inclusive", "exclusive"] | None = None
    location: str = field(default="", compare=False, repr=False)

    @checked_arguments
    def __init__(self, name: str, features: Sequence[FeatureView | ViewProjection | str], *,
                 description: str = "", request_schema: Mapping[str, str] | None = None,
                 cut: str | None = None) -> None:
        location = caller_location()
        where = f"FeatureService {name!r} ({location})"
        check_name("FeatureService", name, location)
        features = _as_list(features, where=where, what="features", example="features=[view]")
        if not features:
            raise DefinitionError(f"{where}: features= is empty")

        for item in features:
            if not isinstance(item, (FeatureView, ViewProjection, str, Derived)):
                raise DefinitionError(
                    f"{where}: cannot use {item!r} as a feature; list FeatureViews, "
                    "view[['f1']] projections, 'view:feature' strings or Derived features"
                )
        if cut not in (None, "inclusive", "exclusive"):
            raise DefinitionError(f"{where}: cut={cut!r}; use 'inclusive' or 'exclusive'")
        if request_schema is not None and not isinstance(request_schema, Mapping):
            raise DefinitionError(
                f"{where}: request_schema= must be a dict of column name to dtype, e.g. "
                "{'amount': 'float64'}")
        schema = {}
        for column, dtype in (request_schema or {}).items():
            if not isinstance(column, str) or not column:
                raise DefinitionError(f"{where}: request_schema column {column!r} is not a name")
            schema[column] = parse_dtype(dtype, where=f"{where} request_schema[{column!r}]")
        for attr, value in (("name", name), ("features", tuple(features)),
                            ("description", description), ("request_schema", schema),
                            ("cut", cut), ("location", location)):
            object.__setattr__(self, attr, value)

    def __hash__(self) -> int:
        return hash(self.name)
