"""Definitions + request -> :class:`~fsql.plan.PointInTimePlan` (validated)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from fsql.definitions import FeatureView, Source, ViewProjection
from fsql.durations import to_micros
from fsql.errors import CompileError, DefinitionError, ExecutionError
from fsql.plan import Cut, FeatureColumn, KeyPair, Lookup, PointInTimePlan, SourceRef, SpineRef
from fsql.repo import Repo

_QUERY = re.compile(r"^\s*(\(\s*)*(select|with)\b", re.IGNORECASE)
FILE_SUFFIXES = (".parquet", ".csv", ".csv.gz")


def describe_file(path: Path, *, what: str) -> dict[str, str]:
    """Column name -> DuckDB type of a local Parquet/CSV file."""
    import duckdb

    if not path.exists():
        raise ExecutionError(f"{what}: file {str(path)!r} does not exist")
    reader = "read_csv" if path.name.lower().endswith((".csv", ".csv.gz")) else "read_parquet"
    try:
        rows = duckdb.connect().execute(
            f"DESCRIBE SELECT * FROM {reader}(?)", [str(path)]
        ).fetchall()
    except duckdb.Error as err:
        raise ExecutionError(f"{what}: cannot read {str(path)!r}: {err}") from None
    return {row[0]: str(row[1]) for row in rows}


def spine_ref(spine: str, *, timestamp_column: str = "event_timestamp") -> SpineRef:
    """Classify a ``--spine`` argument: a SELECT, a local file, or a table name."""
    text = spine.strip()
    if _QUERY.match(text):
        return SpineRef("query", text, timestamp_column)
    if text.lower().endswith(FILE_SUFFIXES) or "/" in text or Path(text).is_file():
        path = Path(text).resolve()
        columns = describe_file(path, what="the spine")
        return _with_columns(SpineRef("file", str(path), timestamp_column), columns)
    return SpineRef("table", text, timestamp_column)


def _with_columns(spine: SpineRef, columns: dict[str, str]) -> SpineRef:
    if spine.timestamp_column not in columns:
        raise CompileError(
            f"The spine has no timestamp column {spine.timestamp_column!r} (columns: "
            f"{', '.join(columns)}); name it with --spine-timestamp COL"
        )
    dtype = "date" if columns[spine.timestamp_column] == "DATE" else "timestamp"
    return replace(spine, columns=tuple(columns), timestamp_dtype=dtype)


def with_spine_columns(spine: SpineRef, columns: dict[str, str]) -> SpineRef:
    """``spine`` with its columns (name -> DuckDB type) known, validated."""
    return _with_columns(spine, columns)


def _source_ref(repo: Repo, source: Source, view: FeatureView) -> SourceRef:
    ts_col = source.column_for(source.timestamp_field)
    created = source.column_for(source.created_timestamp_field) \
        if source.created_timestamp_field else None
    if source.path:
        path = (repo.root / source.path).resolve()
        columns = describe_file(path, what=f"Source {source.name!r} ({source.location})")
        needed = [(k, source.column_for(k)) for k in view.join_keys]
        needed += [(f.name, source.column_for(f.name)) for f in view.features]
        needed += [(source.timestamp_field, ts_col)]
        if created and source.created_timestamp_field:
            needed.append((source.created_timestamp_field, created))
        for name, column in needed:
            if column not in columns:
                raise DefinitionError(
                    f"FeatureView {view.name!r} ({view.location}): {name!r} is not a column of "
                    f"source {source.name!r} ({source.path}); its columns are: "
                    f"{', '.join(columns)}. Fix the name or add field_mapping={{...}}"
                )
        dtype = "date" if columns[ts_col] == "DATE" else "timestamp"
        return SourceRef(source.name, "path", str(path), ts_col, dtype, created, repo.default_dialect)
    kind = "table" if source.table else "query"
    ref = source.table or source.query or ""
    return SourceRef(source.name, kind, ref, ts_col, source.timestamp_dtype,  # type: ignore[arg-type]
                     created, repo.default_dialect)


def build_plan(repo: Repo, features: str | Sequence[Any], spine: SpineRef, *,
               cut: Cut = "inclusive", created_cutoff: bool = False,
               full_names: bool = False) -> PointInTimePlan:
    """Validate a request and build its plan."""
    if cut not in ("inclusive", "exclusive"):
        raise CompileError(f"Unknown cut {cut!r}; use 'inclusive' or 'exclusive'")
    projections = repo.resolve(features)
    lookups: list[Lookup] = []
    owners: dict[str, str] = {}
    names_used: set[str] = set()
    for proj in projections:
        if proj.name in names_used:
            raise CompileError(
                f"Feature view {proj.name!r} is requested twice; give the second use another "
                "name with view.with_name('...')"
            )
        names_used.add(proj.name)
        lookups.append(_lookup(repo, proj, spine, full_names, owners))
    return PointInTimePlan(spine=spine, lookups=tuple(lookups), cut=cut,
                           created_cutoff=created_cutoff)


def _lookup(repo: Repo, proj: ViewProjection, spine: SpineRef, full_names: bool,
            owners: dict[str, str]) -> Lookup:
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
    outputs = []
    for name in proj.feature_names:
        feat = view.field(name)
        output = f"{proj.name}__{name}" if full_names else name
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
        outputs.append(FeatureColumn(source.column_for(name), output, feat.dtype, feat.default))
    return Lookup(
        name=proj.name, view_name=view.name, source=_source_ref(repo, source, view), keys=keys,
        ttl_us=to_micros(view.ttl) if view.ttl is not None else None, outputs=tuple(outputs),
        tie_columns=tuple(source.column_for(f.name) for f in view.features),
    )
