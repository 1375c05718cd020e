"""Definitions + request -> :class:`~fsql.plan.nodes.PointInTimePlan` (validated)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from fsql.dsl.aggregates import Aggregate
from fsql.dsl.catalog import Catalog
from fsql.dsl.definitions import FeatureService, FeatureView, Field, Source, ViewProjection
from fsql.dsl.environments import Environment, locate
from fsql.dsl.functions import FUNCTIONS, INPUT_TYPED
from fsql.dtypes import DType, parse_dtype
from fsql.durations import parse_duration, to_micros
from fsql.errors import CompileError, DefinitionError, did_you_mean
from fsql.expr.types import result_dtype
from fsql.plan.column_types import (
    NULL_TYPE,
    TIME_TYPES,
    dtype_name,
    engine_type,
    family,
    fsql_dtype,
    fsql_dtypes,
)
from fsql.plan.nodes import (
    AggregateColumn,
    AggregationLookup,
    Cut,
    DerivedColumn,
    FeatureColumn,
    KeyPair,
    Lookup,
    PointInTimePlan,
    SourceRef,
    SpineRef,
)
from fsql.plan.schemas import FileSchemas, Target

_QUERY = re.compile(r"^\s*(\(\s*)*(select|with)\b", re.IGNORECASE)
FILE_SUFFIXES = (".parquet", ".csv", ".csv.gz")


def spine_ref(spine: str, *, schemas: FileSchemas, timestamp_column: str = "event_timestamp",
              root: Path | None = None) -> SpineRef:
    """Classify a ``--spine`` argument: a SELECT, a local file, or a table name.

    A file inside the repository ``root`` is named relative to it, so that the SQL is the same
    text on every machine (DuckDB resolves it with ``file_search_path``)."""
    text = spine.strip()
    if is_query(text):
        return SpineRef("query", text, timestamp_column)
    if is_file_name(text):
        path = Path(text).resolve()
        columns = schemas.describe(path, what="the spine")
        return _with_columns(SpineRef("file", portable_path(path, root), timestamp_column),
                             columns)
    return SpineRef("table", text, timestamp_column)


def is_query(text: str) -> bool:
    """Whether a spine argument is a SQL query (``SELECT ...`` / ``WITH ...``)."""
    return bool(_QUERY.match(text))


def is_file_name(text: str) -> bool:
    """Whether a spine argument names a local file (else a table name or a query)."""
    return text.lower().endswith(FILE_SUFFIXES) or "/" in text or Path(text).is_file()


def portable_path(path: Path, root: Path | None) -> str:
    """``path`` relative to ``root`` (POSIX separators) when it lies inside it, else absolute."""
    if root is not None and path.is_relative_to(root):
        return path.relative_to(root).as_posix()
    return str(path)


def _with_columns(spine: SpineRef, columns: Mapping[str, str]) -> SpineRef:
    ts = spine.timestamp_column
    if ts not in columns:
        close = difflib.get_close_matches(ts, list(columns), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise CompileError(
            f"The spine has no timestamp column {ts!r} (columns: {', '.join(columns)}); name "
            f"its timestamp column with --spine-timestamp COL{hint} (spine_timestamp= in Python)"
        )
    if not TIME_TYPES.match(columns[ts]):
        # NULL_TYPE is DuckDB's type of a DataFrame column holding only None.
        raise CompileError(
            f"The spine's timestamp column {ts!r} holds {columns[ts].strip(chr(34))}, not "
            "timestamps; store ISO 8601 timestamps or dates in it (e.g. 2024-01-01T13:00:00Z; "
            "in pandas, a datetime64 column), or name another column with --spine-timestamp COL"
        )
    reserved = [c for c in columns if c.lower().startswith("__fsql")]
    if reserved:
        raise CompileError(f"Spine columns {reserved} use the prefix '__fsql', which is "
                           "reserved for fsql's own columns; rename them")
    dtype: Literal["timestamp", "date"] = "date" if columns[ts] == "DATE" else "timestamp"
    return replace(spine, columns=tuple(columns), timestamp_dtype=dtype)


def with_spine_columns(spine: SpineRef, columns: Mapping[str, str]) -> SpineRef:
    """``spine`` with its columns (name -> DuckDB type) known, validated."""
    return _with_columns(spine, columns)


def _source_ref(catalog: Catalog, source: Source, view: FeatureView, target: Target,
                env: Environment | None, schemas: FileSchemas
                ) -> tuple[SourceRef, dict[str, str] | None]:
    """The source as the SQL reads it (its file or its table, as the environment says), and
    its columns' DuckDB types when it is a file."""
    ts_col = source.column_for(source.timestamp_field)
    created = source.column_for(source.created_timestamp_field) \
        if source.created_timestamp_field else None
    where = locate(source, reads_local_files=target.reads_local_files, dialect=target.dialect,
                   env=env)
    declared = {c: engine_type(t) for c, t in source.schema.items()}
    if where.kind != "path":
        return (SourceRef(source.name, where.kind, where.ref, ts_col, source.timestamp_dtype,
                          created, catalog.default_dialect), declared or None)
    path = (catalog.root / where.ref).resolve()
    columns = schemas.describe(path, what=f"Source {source.name!r} ({source.location})")
    csv_types = _header_only_csv_types(path, columns, source, view, schemas)
    if csv_types:
        columns = {c: dict(csv_types).get(c, NULL_TYPE) for c in columns}
    for column, wanted in source.schema.items():
        if column not in columns or dtype_name(columns[column]) != wanted.name:
            found = f"holds {columns[column]}" if column in columns else "has no such column"
            raise DefinitionError(
                f"Source {source.name!r} ({source.location}): schema declares {column!r} as "
                f"{wanted}, but {where.ref} {found}; fix the schema or the file")
    needed = [(k, source.column_for(k)) for k in view.join_keys]
    needed += [(name, source.column_for(name)) for name in view_columns(view)]
    needed += [(source.timestamp_field, ts_col)]
    if created and source.created_timestamp_field:
        needed.append((source.created_timestamp_field, created))
    for name, column in needed:
        if column not in columns:
            what = repr(name) if name == column else f"{name!r} (column {column!r})"
            close = difflib.get_close_matches(column, list(columns), n=1)
            fix = (f"Did you mean {close[0]!r}? Fix the name or map it with "
                   f"field_mapping={{{close[0]!r}: {name!r}}}") if close else \
                "Fix the name or map a column to it with field_mapping={'column': 'name'}"
            raise DefinitionError(
                f"FeatureView {view.name!r} ({view.location}): {what} is not a column of "
                f"source {source.name!r} ({source.location}, file {where.ref}); its "
                f"columns are: {', '.join(columns)}. {fix}"
            )
    for column in [ts_col] + ([created] if created else []):
        if not TIME_TYPES.match(columns[column]) and columns[column] != NULL_TYPE:
            raise DefinitionError(
                f"Source {source.name!r} ({source.location}): timestamp column {column!r} "
                f"of {where.ref} holds {columns[column]}, not timestamps"
                f"{_first_bad_value(path, column, schemas)}; store ISO 8601 timestamps or dates "
                "in it (e.g. 2024-01-01T13:00:00Z), or name another column"
            )
    ts_dtype: Literal["timestamp", "date"] = "date" if columns[ts_col] == "DATE" else "timestamp"
    # The SQL names the file as the definition does (relative to the repository root), so
    # it is the same text on every machine.
    return (SourceRef(source.name, "path", portable_path(path, catalog.root), ts_col, ts_dtype,
                      created, catalog.default_dialect, csv_types), columns)


def _first_bad_value(path: Path, column: str, schemas: FileSchemas) -> str:
    """``: row N: 'text' is not a timestamp or date`` for the first such value of a file."""
    bad = schemas.first_bad_timestamp(path, column)
    return f": row {bad[0]}: {bad[1]!r} is not a timestamp or date" if bad else ""


def _header_only_csv_types(path: Path, columns: Mapping[str, str], source: Source,
                           view: FeatureView, schemas: FileSchemas
                           ) -> tuple[tuple[str, str], ...]:
    """For a CSV file with a header and no rows (an empty source; DuckDB reads every column
    as VARCHAR), the types to read it with: timestamps, and the declared dtypes of Fields,
    of Aggregates and of the source's schema. Otherwise nothing."""
    if not path.name.lower().endswith((".csv", ".csv.gz")) or any(
            t != "VARCHAR" for t in columns.values()):
        return ()
    if schemas.row_count(path):
        return ()
    types = {c: engine_type(t) for c, t in source.schema.items()}
    for feat in view.features:
        if isinstance(feat, Field):
            types.setdefault(source.column_for(feat.name), engine_type(feat.dtype))
        elif feat.column and feat.dtype is not None and feat.function in INPUT_TYPED:
            types.setdefault(source.column_for(feat.column), engine_type(feat.dtype))
    types.setdefault(source.column_for(source.timestamp_field),
                     "DATE" if source.timestamp_dtype == "date" else "TIMESTAMP")
    if source.created_timestamp_field:
        types.setdefault(source.column_for(source.created_timestamp_field), "TIMESTAMP")
    return tuple((c, types[c]) for c in columns if c in types)


def build_plan(catalog: Catalog, features: str | Sequence[Any], spine: SpineRef, *,
               target: Target, schemas: FileSchemas, env: str | None = None,
               cut: Cut | None = None, created_cutoff: bool = False,
               full_names: bool = False,
               spine_types: Mapping[str, str] | None = None,
               serving_lag: timedelta | str | None = None) -> PointInTimePlan:
    """Validate a request and build its plan for ``target``; ``schemas`` describes the local
    files it reads.

    ``spine_types`` (column -> type name, :mod:`fsql.plan.column_types`) lets fsql check that
    spine keys compare with the source keys as typed values; a file spine is described here
    when it is not given.
    """
    environment = catalog.environment(env)
    service = catalog.services.get(features) if isinstance(features, str) else None
    cut = _request_cut(service, cut)
    if spine_types is None and spine.kind == "file":
        spine_types = schemas.describe(catalog.root / spine.ref, what="the spine")
    schema = dict(service.request_schema) if service else {}
    spine = _check_request_schema(service, spine, spine_types)
    spine = _with_column_dtypes(spine, spine_types, schema)
    projections = catalog.resolve(features)
    lookups: list[Lookup | AggregationLookup] = []
    owners: dict[str, str] = {}
    names_used: set[str] = set()
    for proj in projections:
        if proj.name.lower() in names_used:
            raise CompileError(
                f"Feature view {proj.name!r} is requested twice (names are compared ignoring "
                "letter case, as warehouses fold it); give the second use another name with "
                "view.with_name('...')"
            )
        names_used.add(proj.name.lower())
        lookups.append(_lookup(catalog, proj, spine, full_names, owners, spine_types, target,
                               environment, schemas))
    feature_dtypes = {o.output_name: str(o.dtype) for lk in lookups for o in lk.outputs
                      if o.dtype is not None}
    derived = _view_derived(projections, lookups, owners, spine, full_names, feature_dtypes)
    dtypes = {**dict(spine.column_dtypes), **feature_dtypes, **_derived_dtypes(derived)}
    readable = _readable_features(projections, full_names)
    request_columns = set(schema) if service else (
        set(spine.columns) if spine.columns is not None else set())
    derived += _derived(catalog.derived(features), readable, owners, spine, request_columns,
                        service, dtypes)
    lag = 0 if serving_lag is None else to_micros(
        parse_duration(serving_lag, where="--serving-lag (serving_lag=)"))
    plan = PointInTimePlan(spine=spine, lookups=tuple(lookups), cut=cut,
                           created_cutoff=created_cutoff, derived=derived,
                           request=_request_label(features), full_names=full_names, env=env,
                           serving_lag_us=lag)
    _check_case_collisions(plan)
    return plan


def _check_case_collisions(plan: PointInTimePlan) -> None:
    """No two output columns may be equal once letter case is folded: DuckDB and BigQuery
    compare column names ignoring case, Snowflake folds unquoted ones (a silent rename or a
    dropped column otherwise)."""
    owners = {c: "spine column" for c in plan.spine.columns or ()}
    owners |= {o.output_name: f"feature of view {lk.name!r}" for lk in plan.lookups
               for o in lk.outputs}
    owners |= {d.output_name: "derived feature" for d in plan.derived}
    seen: dict[str, str] = {}
    for name, owner in owners.items():
        other = seen.setdefault(name.lower(), name)
        if other != name:
            raise CompileError(
                f"Output columns {other!r} ({owners[other]}) and {name!r} ({owner}) differ only "
                "in letter case, which warehouses fold: rename one (view.with_name, "
                "Aggregate(name=...), or the spine column), or use --full-names")


def _request_label(features: str | Sequence[Any]) -> str:
    """How the SQL's header comment names the request."""
    if isinstance(features, str):
        return features
    return ",".join(getattr(f, "name", str(f)) for f in features)


def _request_cut(service: FeatureService | None, cut: Cut | None) -> Cut:
    """The request's cut: the one asked for, else the service's, else inclusive; asking for
    another cut than the service declares is refused (training and serving would differ)."""
    if cut not in (None, "inclusive", "exclusive"):
        raise CompileError(f"Unknown cut {cut!r}; use 'inclusive' or 'exclusive'")
    declared = service.cut if service else None
    if cut is not None and declared is not None and cut != declared:
        raise CompileError(
            f"FeatureService {service.name!r} ({service.location}) declares cut="  # type: ignore[union-attr]
            f"{declared!r}, but the request asks for the {cut!r} cut; drop --cut (cut=) or "
            "change the service's cut, so that training and serving use one cut"
        )
    return cut or declared or "inclusive"


def _with_column_dtypes(spine: SpineRef, spine_types: Mapping[str, str] | None,
                        schema: Mapping[str, DType]) -> SpineRef:
    """``spine`` with the fsql dtypes of its columns that its types or the request schema
    give (the SQL numbers string columns by code point on every dialect)."""
    dtypes = {**fsql_dtypes(spine_types), **{c: str(t) for c, t in schema.items()}}
    return replace(spine, column_dtypes=tuple(dtypes.items())) if dtypes else spine


def _check_request_schema(service: FeatureService | None, spine: SpineRef,
                          spine_types: Mapping[str, str] | None) -> SpineRef:
    """Check the service's declared request columns against a spine whose columns are known;
    a declared DATE spine timestamp types a table or query spine's timestamp."""
    if service is None or not service.request_schema:
        return spine
    where = f"FeatureService {service.name!r} ({service.location}) request_schema"
    declared_ts = service.request_schema.get(spine.timestamp_column)
    if declared_ts is not None and declared_ts.name not in ("timestamp", "date"):
        raise CompileError(
            f"{where}: the spine timestamp column {spine.timestamp_column!r} is declared "
            f"{declared_ts}; declare it 'timestamp' or 'date'")
    if spine_types is None:
        if declared_ts is not None and spine.kind != "file":
            return replace(spine, timestamp_dtype=declared_ts.name)  # type: ignore[arg-type]
        return spine
    for column, dtype in service.request_schema.items():
        if column not in spine_types:
            close = difflib.get_close_matches(column, list(spine_types), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise CompileError(
                f"{where}: the spine has no column {column!r}{hint}; spine columns: "
                f"{', '.join(spine_types)}")
        if spine_types[column] == NULL_TYPE:  # a column of only NULLs: any dtype holds it
            continue
        actual = fsql_dtype(spine_types[column])
        if dtype_name(spine_types[column]) != dtype.name:
            raise CompileError(
                f"{where}: spine column {column!r} is declared {dtype} but the spine holds "
                f"{actual or spine_types[column]}; store it as {dtype} or fix the declaration")
    return spine


def _readable_features(projections: Sequence[ViewProjection],
                       full_names: bool) -> dict[str, list[str]]:
    """The requested features a service's Derived may read: the name a definition uses (the
    feature's own name) -> the output column(s) holding it, under either naming mode."""
    readable: dict[str, list[str]] = {}
    for proj in projections:
        for name in proj.feature_names:
            output = f"{proj.name}__{name}" if full_names else name
            readable.setdefault(name, []).append(output)
    return readable


def view_columns(view: FeatureView) -> list[str]:
    """Definition-level source columns a view reads besides keys and timestamps."""
    if not view.is_aggregation:
        return [f.name for f in view.features]
    columns: list[str] = []
    for agg in view.features:
        assert isinstance(agg, Aggregate)
        for name in ([agg.column] if agg.column else []) + list(
                agg.where.references if agg.where is not None else []):
            if name not in columns:
                columns.append(name)
    return columns


def _derived_dtypes(derived: Sequence[DerivedColumn]) -> dict[str, str]:
    """Each derived feature's dtype (declared, else inferred from its inputs' when known)."""

    out = {}
    for d in derived:
        if d.dtype is not None:
            out[d.output_name] = str(d.dtype)
        elif all(r in d.input_dtypes for r in d.expression.references):
            out[d.output_name] = str(result_dtype(d.expression, d.input_dtypes))
    return out


def _view_derived(projections: Sequence[ViewProjection],
                  lookups: Sequence[Lookup | AggregationLookup], owners: dict[str, str],
                  spine: SpineRef, full_names: bool,
                  dtypes: Mapping[str, str]) -> tuple[DerivedColumn, ...]:
    """Derived features listed in a view: they read that view's features (by their names in
    the view), which are computed as hidden columns when the request did not select them."""
    result = []
    for proj, lookup in zip(projections, lookups, strict=True):
        columns = {o.output_name: o for o in lookup.outputs}
        for item in proj.view.derived:
            if item.name not in proj.feature_names:
                continue
            output = f"{proj.name}__{item.name}" if full_names else item.name
            where = f"Derived {item.name!r} of feature view {proj.name!r} ({item.location})"
            if output in owners or (spine.columns is not None and output in spine.columns):
                raise CompileError(
                    f"{where}: its name {output!r} is already a feature or spine column; "
                    "use --full-names or rename it"
                )
            owners[output] = proj.name
            renames = {}
            for name in item.expression.references:
                visible = f"{proj.name}__{name}" if full_names else name
                hidden = f"__fsql_{proj.name}__{name}"
                renames[name] = visible if visible in columns and not columns[
                    visible].hidden else hidden
            inputs = {n: dtypes[c] for n, c in renames.items() if c in dtypes}
            result.append(DerivedColumn(output, item.expression, item.dtype, inputs, renames))
    return tuple(result)


def _derived(items: Sequence[Any], readable: Mapping[str, list[str]], owners: dict[str, str],
             spine: SpineRef, request_columns: set[str], service: FeatureService | None,
             dtypes: Mapping[str, str]) -> tuple[DerivedColumn, ...]:
    """A request's Derived features. Each reference is a requested feature (by its name in
    the definitions, whatever ``--full-names`` does to the output columns; or by its output
    column), an earlier Derived, or a declared request (spine) column."""
    result = []
    for item in items:
        where = f"Derived {item.name!r} ({item.location})"
        if item.name in owners or (spine.columns is not None and item.name in spine.columns):
            raise CompileError(f"{where}: its name is already a feature or spine column; "
                               "rename it (or use --full-names)")
        renames = {}
        for name in item.expression.references:
            outputs = readable.get(name, [])
            if len(outputs) > 1:
                raise CompileError(
                    f"{where} reads {name!r}, a feature of several requested views "
                    f"({', '.join(outputs)}); write the output column you mean instead")
            if outputs:
                renames[name] = outputs[0]
            elif name not in owners and name not in request_columns:
                raise CompileError(_unknown_input(where, name, owners, spine, service,
                                                  dtypes.get(name)))
        owners[item.name] = "derived"
        inputs = {n: dtypes[renames.get(n, n)] for n in item.expression.references
                  if renames.get(n, n) in dtypes}
        result.append(DerivedColumn(item.name, item.expression, item.dtype, inputs, renames))
        dtypes = {**dtypes, **_derived_dtypes(result[-1:])}
    return tuple(result)


def _unknown_input(where: str, name: str, owners: Mapping[str, str], spine: SpineRef,
                   service: FeatureService | None, dtype: str | None) -> str:
    """The message for a Derived input that is neither a feature nor a request column."""
    features = [n for n in owners if not n.startswith("__fsql")]
    if service is None:
        return (f"{where} reads {name!r}, which is neither a requested feature nor a column "
                f"of the spine; features: {', '.join(features) or '(none)'}. To read a spine "
                "column of a table or query spine, list the Derived in a FeatureService with "
                "request_schema={...}")
    if spine.columns is not None and name in spine.columns:
        return (f"{where} reads spine column {name!r}, which FeatureService "
                f"{service.name!r} ({service.location}) does not declare; add it to "
                f"request_schema={{{name!r}: {dtype or '<dtype>'!r}}} so that table, query and "
                "online "
                "requests know its type")
    hint = did_you_mean(name, [*features, *service.request_schema])
    return (f"{where} reads {name!r}, which is neither a feature of the request nor a "
            f"request column declared in FeatureService {service.name!r} request_schema.{hint}"
            f" Features: {', '.join(features) or '(none)'}")


def _aggregate_dtype(function: str, column: str | None) -> DType | None:
    """The result dtype of an aggregate whose input dtype is known (sum of int64 is int64,
    exact; of decimal(p,s) decimal(38,s); min/max/first/last keep the input's)."""
    if column is None:
        return None
    return FUNCTIONS[function].result_dtype(parse_dtype(column, where="source column"))


def _check_aggregate_dtype(view: FeatureView, feat: Any, input_dtype: str | None) -> None:
    """A sum/min/max/first/last declared (or defaulted) to another dtype than its known input
    would be cast silently (a float sum truncated to int64): refused, naming both."""
    if input_dtype is None or feat.dtype is None or feat.function not in INPUT_TYPED:
        return
    expected = _aggregate_dtype(feat.function, input_dtype)
    widened = feat.function == "sum" and feat.dtype.name == "decimal" and (
        input_dtype == "int64" or input_dtype.startswith("decimal"))  # wider exact sums
    if expected is not None and expected.name != feat.dtype.name and not widened:
        how = "declared" if feat.dtype_declared else f"implied by its default {feat.default!r}"
        raise DefinitionError(
            f"FeatureView {view.name!r} ({view.location}): Aggregate {feat.name!r} "
            f"({feat.location}) is {feat.dtype} ({how}) but {feat.function} of column "
            f"{feat.column!r}, which holds {input_dtype}, is {expected}; declare "
            f"dtype={str(expected)!r} (and a default of that type)")


def _check_key_types(proj: ViewProjection, keys: Sequence[KeyPair],
                     spine_types: Mapping[str, str] | None,
                     source_types: Mapping[str, str] | None) -> None:
    """Keys compare as typed values of one family; floating-point keys are refused."""
    view = proj.view
    for key in keys:
        spine_type = (spine_types or {}).get(key.spine_column, NULL_TYPE)
        source_type = (source_types or {}).get(key.source_column, NULL_TYPE)
        for side, kind in ((f"source {view.source.name!r}", source_type),
                           (f"the spine column {key.spine_column!r}", spine_type)):
            if fsql_dtype(kind) == "float64":
                raise CompileError(
                    f"Join key {key.source_column!r} of feature view {proj.name!r} "
                    f"({view.location}) is {kind} in {side}: floating-point keys are refused "
                    "(BigQuery cannot partition or join on FLOAT64, and float equality breaks "
                    "on NaN, -0.0 and rounding); store the key as int64, string or decimal")
        if spine_types is not None and source_types is not None and \
                NULL_TYPE not in (spine_type, source_type) and \
                family(spine_type) != family(source_type):
            # DuckDB would cast one side ('1' = 1 matches): keys compare as typed values.
            raise CompileError(
                f"Join key {key.source_column!r} of feature view {proj.name!r} "
                f"({view.location}) is {source_type} in source {view.source.name!r} but the "
                f"spine column {key.spine_column!r} is {spine_type}; store both as the same "
                "type (keys are compared as typed values, never converted)"
            )


def _check_field_types(view: FeatureView, known: Mapping[str, str]) -> None:
    """A Field's declared dtype must be the type its source column holds (values are not
    cast): reported before any query runs, naming the view, the field and both types."""
    for feat in view.features:
        column = view.source.column_for(feat.name)
        actual = known.get(column)
        if actual is None or feat.dtype is None:
            continue
        if parse_dtype(actual, where="source column").name != feat.dtype.name:
            raise DefinitionError(
                f"FeatureView {view.name!r} ({view.location}): Field {feat.name!r} is declared "
                f"{feat.dtype} but column {column!r} of source {view.source.name!r} holds "
                f"{actual}; declare Field({feat.name!r}, {actual!r}) or fix the source")


def _lookup(catalog: Catalog, proj: ViewProjection, spine: SpineRef, full_names: bool,
            owners: dict[str, str], spine_types: Mapping[str, str] | None,
            target: Target, env: Environment | None,
            schemas: FileSchemas) -> Lookup | AggregationLookup:
    view = proj.view
    source = view.source
    keys = tuple(KeyPair(source.column_for(k), proj.spine_column(k)) for k in view.join_keys)
    if spine.columns is not None:
        missing = [k.spine_column for k in keys if k.spine_column not in spine.columns]
        if missing:
            raise CompileError(
                f"The spine lacks join key column(s) {missing} needed by feature view "
                f"{proj.name!r}; add them to the spine or map them with "
                f"view.with_join_key_map({{...}}). Spine columns: {', '.join(spine.columns)}"
            )
    source_ref, source_types = _source_ref(catalog, source, view, target, env, schemas)
    known = fsql_dtypes(source_types)
    _check_key_types(proj, keys, spine_types, source_types)
    if not view.is_aggregation:
        _check_field_types(view, known)
    outputs: list[Any] = []  # AggregateColumns of an aggregation view, else FeatureColumns
    derived = {d.name: d for d in view.derived}
    selected = [n for n in proj.feature_names if n not in derived]
    needed = [r for n in proj.feature_names if n in derived
              for r in derived[n].expression.references]
    hidden = list(dict.fromkeys(r for r in needed if r not in selected))
    for name in selected + hidden:
        feat = view.field(name)
        is_hidden = name not in selected
        output = (f"__fsql_{proj.name}__{name}" if is_hidden
                  else f"{proj.name}__{name}" if full_names else name)
        if output in owners:
            raise CompileError(
                f"Feature {output!r} is requested from both {owners[output]!r} and "
                f"{proj.name!r}; use --full-names (columns named view__feature) or request one"
            )
        if spine.columns is not None and output in spine.columns:
            raise CompileError(
                f"Feature {output!r} of view {proj.name!r} has the name of a spine column; "
                "use --full-names or rename the spine column"
            )
        owners[output] = proj.name
        if view.is_aggregation:
            column = source.column_for(feat.column) if feat.column else None
            input_dtype = known.get(column or "")
            _check_aggregate_dtype(view, feat, input_dtype)
            if input_dtype is None and feat.function == "sum" and feat.dtype_declared:
                input_dtype = str(feat.dtype) if str(feat.dtype) == "int64" else None
            outputs.append(AggregateColumn(
                feat.function, column,
                to_micros(feat.window) if feat.window is not None else None, feat.where,
                output, feat.dtype or _aggregate_dtype(feat.function, input_dtype),
                feat.default, is_hidden, input_dtype, feature=name))
        else:
            outputs.append(FeatureColumn(source.column_for(name), output, feat.dtype,
                                         feat.default, is_hidden, feature=name))
    if view.is_aggregation:
        return AggregationLookup(name=proj.name, view_name=view.name, source=source_ref,
                                 keys=keys, outputs=tuple(outputs),
                                 source_dtypes=known)
    return Lookup(
        name=proj.name, view_name=view.name, source=source_ref, keys=keys,
        ttl_us=to_micros(view.ttl) if view.ttl is not None else None, outputs=tuple(outputs),
        tie_columns=tuple(source.column_for(f.name) for f in view.features),
        tie_dtypes=tuple(f.dtype for f in view.features if isinstance(f, Field)),
    )
