"""The dialect-agnostic logical plan of a point-in-time request.

The oracle evaluates it in plain Python; the compiler lowers it to one sqlglot tree. Column
names in the plan are *source* column names (after undoing ``field_mapping``) and spine column
names, so neither layer needs the definitions any more.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from fsql.dtypes import DType

Cut = Literal["inclusive", "exclusive"]


@dataclass(frozen=True)
class SpineRef:
    """The rows a training set is built for.

    ``kind`` is ``table`` (a warehouse table name, dotted allowed), ``query`` (a SELECT) or
    ``file`` (a local Parquet/CSV path, DuckDB only). ``columns`` are the spine's columns when
    known. ``row_id_column`` names a column that already numbers the rows in their order (the
    local runner adds one); without it the SQL numbers rows by ``columns`` (or by timestamp and
    keys when the columns are unknown). ``column_dtypes`` are the fsql dtypes of the columns
    that are known (strings are numbered by code point on every dialect).
    """

    kind: Literal["table", "query", "file"]
    ref: str
    timestamp_column: str = "event_timestamp"
    timestamp_dtype: Literal["timestamp", "date"] = "timestamp"
    columns: tuple[str, ...] | None = None
    row_id_column: str | None = None
    column_dtypes: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class SourceRef:
    """A source as the SQL reads it."""

    name: str
    kind: Literal["path", "table", "query"]
    ref: str
    timestamp_column: str
    timestamp_dtype: Literal["timestamp", "date"]
    created_column: str | None
    query_dialect: str = "duckdb"
    # Column types a CSV file is read with (name, DuckDB type): set for a header-only CSV,
    # whose columns DuckDB would otherwise read as VARCHAR.
    csv_types: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class FeatureColumn:
    """One output column of a lookup."""

    source_column: str
    output_name: str
    dtype: DType
    default: Any
    hidden: bool = False  # an input of a view's Derived feature that was not requested
    feature: str = ""  # the feature's name in its view (the latest table's column)


@dataclass(frozen=True)
class KeyPair:
    """A join key: the source's column equals the spine's column."""

    source_column: str
    spine_column: str


@dataclass(frozen=True)
class Lookup:
    """Point-in-time lookup of one view (under one name) for every spine row.

    ``tie_columns`` are the source columns of *all* the view's features, in declaration order:
    the full-tie rule compares them, so the winner does not depend on which features were asked.
    """

    name: str
    view_name: str
    source: SourceRef
    keys: tuple[KeyPair, ...]
    ttl_us: int | None
    outputs: tuple[FeatureColumn, ...]
    tie_columns: tuple[str, ...]
    tie_dtypes: tuple[DType, ...] = ()  # the dtype of each tie column (NaN ordering)


@dataclass(frozen=True)
class AggregateColumn:
    """One windowed aggregation: ``function`` of source ``column`` (None: rows) over the events
    of the key in ``window_us`` (None: lifetime), keeping rows where ``where`` is TRUE."""

    function: str
    column: str | None
    window_us: int | None
    where: Any
    output_name: str
    dtype: DType | None
    default: Any
    hidden: bool = False  # an input of a view's Derived feature that was not requested
    # The input column's dtype when known (the source's file or schema, else a sum's declared
    # dtype): integer sums accumulate exactly, floats order NaN by fsql's rule.
    input_dtype: str | None = None
    feature: str = ""  # the feature's name in its view (the latest table's column)


@dataclass(frozen=True)
class AggregationLookup:
    """Windowed aggregations of one view's events for every spine row."""

    name: str
    view_name: str
    source: SourceRef
    keys: tuple[KeyPair, ...]
    outputs: tuple[AggregateColumn, ...]
    source_dtypes: Mapping[str, str] = field(default_factory=dict)
    # Set by the local runner when the data has no heavy key: every aggregate then uses the
    # range join, which is cheaper than the sub-quadratic plans for a few events per key.
    light: bool = False

    @property
    def longest_window_us(self) -> int | None:
        """The longest window, or None when some aggregation is over the whole lifetime."""
        windows = [a.window_us for a in self.outputs]
        return None if any(w is None for w in windows) else max(w for w in windows if w)


@dataclass(frozen=True)
class DerivedColumn:
    """A derived feature: ``expression`` (fsql.expr) over the request's feature and
    spine columns, computed after every lookup."""

    output_name: str
    expression: Any
    dtype: DType | None
    input_dtypes: Mapping[str, str] = field(default_factory=dict)
    # A view's Derived reads the view's feature names; they map to these output columns.
    renames: Mapping[str, str] = field(default_factory=dict)

    def column(self, reference: str) -> str:
        """The output or spine column that reference ``reference`` reads."""
        return self.renames.get(reference, reference)


@dataclass(frozen=True)
class Visibility:
    """Which source rows a spine row at time t sees (docs/semantics.md, "The cut").

    ``cut``: event time ts <= t (inclusive) or ts < t (exclusive). ``span_us``: a view's TTL or
    an aggregate's window w, also ts > t - w (inclusive) or ts >= t - w (exclusive); None is
    unbounded. ``created_cutoff``: rows created after t are not visible (only where the source
    has a created timestamp). The oracle reads it in Python, fsql/sql/visibility.py writes it
    as SQL predicates, frames and tie ranks: nothing else encodes the rule."""

    cut: Cut
    span_us: int | None = None
    created_cutoff: bool = False

    @property
    def inclusive(self) -> bool:
        """Whether the spine time itself is visible."""
        return self.cut == "inclusive"


@dataclass(frozen=True)
class PointInTimePlan:
    """A training-set request: one output row per spine row, plus each lookup's features."""

    spine: SpineRef
    lookups: tuple[Lookup | AggregationLookup, ...]
    cut: Cut = "inclusive"
    created_cutoff: bool = False
    derived: tuple[DerivedColumn, ...] = ()
    # How the request was asked (for the SQL's header comment): the service or feature list,
    # the naming mode and the environment.
    request: str = ""
    full_names: bool = False
    env: str | None = None
    # Features as of t minus this lag (``--serving-lag``): a training set with the freshness
    # the model will be served with (docs/serving.md). The spine's own time is unchanged.
    serving_lag_us: int = 0

    def visibility(self, lookup: Lookup | AggregationLookup,
                   span_us: int | None = None) -> Visibility:
        """What a spine row sees of ``lookup``'s source over ``span_us`` (a TTL or window)."""
        return Visibility(self.cut, span_us,
                          self.created_cutoff and lookup.source.created_column is not None)

    @property
    def output_names(self) -> tuple[str, ...]:
        """Feature output columns in order."""
        names = [o.output_name for lk in self.lookups for o in lk.outputs if not o.hidden]
        return tuple(names + [d.output_name for d in self.derived])

    @property
    def hidden_names(self) -> tuple[str, ...]:
        """Lookup columns computed only as inputs of derived features."""
        return tuple(o.output_name for lk in self.lookups for o in lk.outputs if o.hidden)
