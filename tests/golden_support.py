"""Golden cases: ``golden/<case>/`` holds a feature repository (``features/``), typed input data
(``case.toml`` + ``data/*.csv``), the compiled SQL per dialect and the oracle's ``expected.csv``.

CSV conventions: an empty field is NULL; timestamps are ISO 8601 (an offset is honoured, no
offset means UTC); booleans are ``true``/``false``.
"""

from __future__ import annotations

import csv
import math
import tomllib
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any

from fsql import oracle
from fsql.checks.outputs import MATERIALIZE, TRAINING
from fsql.checks.settings import GoldenRequest, GoldenSettings
from fsql.engines.runner import feature_dtypes as runner_feature_dtypes
from fsql.plan.nodes import PointInTimePlan, SpineRef
from fsql.repo import Repo
from tests.engines import Result, TableData
from tests.engines.duckdb_engine import duckdb_type

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
DIALECTS = ("duckdb", "bigquery", "snowflake", "postgres")
# Cases whose views can be materialized (their sources type the join keys) and the dialects
# fsql writes materialization scripts for: golden/<case>/materialize.<dialect>.sql.
MATERIALIZE_CASES = ("float_overflow", "int_sums")
MATERIALIZE_DIALECTS = ("duckdb", "bigquery", "snowflake")


def parse_value(text: str, dtype: str) -> Any:
    """A CSV field as a typed Python value."""
    if text == "":
        return None
    if dtype == "int64":
        return int(text)
    if dtype == "float64":
        return float(text)
    if dtype == "bool":
        return {"true": True, "false": False}[text.lower()]
    if dtype == "timestamp":
        value = datetime.fromisoformat(text)
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if dtype == "date":
        return date.fromisoformat(text)
    if dtype.startswith("decimal"):
        return Decimal(text)
    return text


def format_value(value: Any) -> str:
    """The canonical CSV text of a value (timestamps in UTC, microseconds)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        utc = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        return utc.isoformat(timespec="microseconds")
    return str(value)


def _sort_key(value: Any) -> tuple[bool, Any]:
    if isinstance(value, datetime):
        return (value is not None, oracle.to_micros(value))
    return (value is not None, value)


@dataclass
class GoldenCase:
    """One directory under golden/."""

    path: Path

    @property
    def name(self) -> str:
        return self.path.name

    @cached_property
    def config(self) -> dict[str, Any]:
        return tomllib.loads((self.path / "case.toml").read_text())

    @cached_property
    def tables(self) -> dict[str, TableData]:
        result = {}
        for name, columns in self.config["tables"].items():
            file = self.path / "data" / f"{name}.csv"
            with file.open(newline="") as handle:
                reader = csv.reader(handle)
                header = next(reader)
                assert header == list(columns), f"{file}: header {header} != {list(columns)}"
                rows = [
                    tuple(parse_value(v, columns[c]) for v, c in zip(r, header, strict=True))
                    for r in reader
                    if r
                ]
            result[name] = TableData(columns=list(columns.items()), rows=rows)
        return result

    @cached_property
    def plan(self) -> PointInTimePlan:
        request = self.config["request"]
        spine_table = request.get("spine", "spine")
        ts_col = request.get("spine_timestamp", "event_timestamp")
        columns = self.config["tables"][spine_table]
        spine = SpineRef(
            "table",
            spine_table,
            ts_col,
            "date" if columns[ts_col] == "date" else "timestamp",
            tuple(columns),
        )
        return Repo.load(self.path / "features").plan(
            request["features"],
            spine,
            cut=request.get("cut", "inclusive"),
            created_cutoff=request.get("created_cutoff", False),
            full_names=request.get("full_names", False),
            spine_types={c: duckdb_type(t) for c, t in columns.items()},
        )

    @cached_property
    def golden_request(self) -> tuple[Repo, GoldenSettings, str]:
        """The case as ``fsql golden`` sees a repository: its definitions, the [golden]
        settings its case.toml amounts to, and the service."""
        request = self.config["request"]
        spine_table = request.get("spine", "spine")
        columns = self.config["tables"][spine_table]
        spine = GoldenRequest(
            spine_table, request.get("spine_timestamp", "event_timestamp"), tuple(columns),
            tuple(columns.items()), where=str(self.path / "case.toml"),
            full_names=request.get("full_names", False), cut=request.get("cut", "inclusive"),
            created_cutoff=request.get("created_cutoff", False))
        service = request["features"]
        return (Repo.load(self.path / "features"),
                GoldenSettings(self.path / "case.toml", services={service: spine}), service)

    @cached_property
    def end(self) -> datetime:
        """The case's end time: its spine's latest timestamp (what a materialization is
        run as of)."""
        request = self.config["request"]
        table = self.tables[request.get("spine", "spine")]
        column = [c for c, _ in table.columns].index(request.get("spine_timestamp",
                                                                 "event_timestamp"))
        return max(r[column] for r in table.rows if r[column] is not None)

    def materialize_sql(self, dialect: str, *, full_refresh: bool = True) -> str:
        """The materialization script of the case's view with entities, as of :attr:`end`:
        the ``materialize`` file ``fsql golden`` writes for it (fsql/checks/outputs.py), i.e.
        what ``fsql materialize --print [--full-refresh]`` writes."""
        repo, settings, _ = self.golden_request
        (view,) = MATERIALIZE.items(repo)  # golden/<case>/materialize.<d>.sql: one view
        return MATERIALIZE.render(repo, replace(settings, end=self.end,
                                                full_refresh=full_refresh), dialect, view)

    def sql(self, dialect: str) -> str:
        """The SQL fsql compiles for this case now: the training-set file ``fsql golden``
        writes for it (fsql/checks/outputs.py), so fsql's goldens and users' share the path."""
        return TRAINING.render(*self.golden_request[:2], dialect, self.golden_request[2])

    @cached_property
    def output_dtypes(self) -> dict[str, str]:
        spine = self.config["tables"][self.plan.spine.ref]
        return {**spine, **feature_dtypes(self.plan)}

    def oracle_rows(self) -> list[tuple[Any, ...]]:
        """Expected rows from the oracle, in spine order (the SQL numbers rows by all spine
        columns, NULLs first, so the spine is sorted the same way here)."""
        spine_table = self.tables[self.plan.spine.ref]
        names = [c for c, _ in spine_table.columns]
        spine = [dict(zip(names, row, strict=True)) for row in spine_table.rows]
        spine.sort(key=lambda r: tuple(_sort_key(r[c]) for c in names))
        sources = {}
        for lookup in self.plan.lookups:
            table = self.tables[lookup.source.ref]
            cols = [c for c, _ in table.columns]
            sources[lookup.source.name] = [dict(zip(cols, r, strict=True)) for r in table.rows]
        rows = oracle.evaluate(self.plan, spine, sources)
        return [tuple(r[c] for c in self.output_dtypes) for r in rows]

    def expected(self) -> list[tuple[Any, ...]]:
        """Rows of expected.csv, typed."""
        with (self.path / "expected.csv").open(newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader)
            assert header == list(self.output_dtypes), f"expected.csv header {header}"
            return [
                tuple(parse_value(v, self.output_dtypes[c]) for v, c in zip(r, header, strict=True))
                for r in reader
            ]

    def write_expected(self) -> None:
        with (self.path / "expected.csv").open("w", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(list(self.output_dtypes))
            for row in self.oracle_rows():
                writer.writerow([format_value(v) for v in row])


def feature_dtypes(plan: PointInTimePlan) -> dict[str, str]:
    """Output feature columns of ``plan`` and their dtypes (derived ones inferred), as the
    local runner types its output."""
    return {name: str(dtype) for name, dtype in runner_feature_dtypes(plan).items()}


def cases() -> list[GoldenCase]:
    """Every golden case, by name."""
    return [GoldenCase(p) for p in sorted(GOLDEN.iterdir()) if (p / "case.toml").exists()]


def _normalize(value: Any, dtype: str) -> Any:
    if value is None:
        return None
    if dtype == "timestamp":
        return oracle.to_micros(value)
    if dtype == "float64":
        return float(value)
    if dtype == "int64":
        return int(value)
    if dtype.startswith("decimal"):
        return Decimal(value)
    return value


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b or abs(a - b) <= 1e-9 * max(abs(a), abs(b))
    return (bool(a == b) and type(a) is type(b)) or (a is None and b is None)


def assert_result_matches(
    result: Result, expected: list[tuple[Any, ...]], dtypes: dict[str, str]
) -> None:
    """Exact row count and order, NULL = NULL, floats to 1e-9 relative."""
    names = list(dtypes)
    got_names = [c.lower() for c in result.columns]
    assert got_names == [n.lower() for n in names], f"columns {result.columns} != {names}"
    assert len(result.rows) == len(expected), f"{len(result.rows)} rows != {len(expected)}"
    for i, (got, want) in enumerate(zip(result.rows, expected, strict=True)):
        for name, g, w in zip(names, got, want, strict=True):
            gn, wn = _normalize(g, dtypes[name]), _normalize(w, dtypes[name])
            assert _equal(gn, wn), f"row {i} column {name!r}: got {g!r}, expected {w!r}"
